import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { resolve } from "node:path";
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import addFormatsModule from "ajv-formats";
import { ConfigError } from "../errors.js";
import { keyTemplateProblems } from "../s3/key-settings.js";
import { validateKeyLiteral } from "../s3/safe-key.js";
import { configSchema, settingTypes, type SettingSchema } from "./schema.js";
import type { Settings } from "./settings.js";

export interface LoadedConfig {
  settings: Settings;
  /** Things worth a log line that do not stop the run (unknown keys, settings that have no effect). */
  warnings: string[];
  /** The secret values present, for the logger to redact. */
  secrets: string[];
}

/** `--config ENV` reads `TARGET_S3_<SETTING_UPPERCASE>`. */
export const ENV_SOURCE = "ENV";
export const ENV_PREFIX = "TARGET_S3_";
/** TARGET_S3_* variables that are not settings (read elsewhere), so no "unknown" warning. */
const NON_SETTING_ENV = new Set(["TARGET_S3_LOGLEVEL"]);
const MIN_MEMORY_LIMIT_BYTES = 16_000_000;
const MAX_OBJECT_METADATA_BYTES = 2048;

/** Common names from other S3 targets, for "did you mean" hints. */
const ALIASES: Record<string, string> = {
  s3_bucket: "bucket",
  bucket_name: "bucket",
  prefix: "object_key_path",
  s3_prefix: "object_key_path",
  s3_key_prefix: "object_key_path",
  path_prefix: "object_key_path",
  region: "aws_region",
  region_name: "aws_region",
  s3_bucket_region: "aws_region",
  endpoint: "aws_endpoint",
  endpoint_url: "aws_endpoint",
  aws_endpoint_url: "aws_endpoint",
  s3_endpoint: "aws_endpoint",
  s3_endpoint_url: "aws_endpoint",
  access_key_id: "aws_access_key_id",
  secret_access_key: "aws_secret_access_key",
  session_token: "aws_session_token",
  profile: "aws_profile",
  format: "file_type",
  file_format: "file_type",
  format_type: "file_type",
  output_format: "file_type",
  compression_codec: "parquet_compression",
  encryption: "server_side_encryption",
  encryption_type: "server_side_encryption",
  encryption_key: "kms_key_id",
  sse_kms_key_id: "kms_key_id",
  s3_acl: "acl",
  tags: "object_tags",
  metadata: "object_metadata",
  batch_size: "batch_size_rows",
  max_batch_rows: "batch_size_rows",
  naming_convention: "key_template",
  s3_key_template: "key_template",
};

/**
 * Reads the settings from `sources` (the `--config` arguments in order: JSON file paths relative to
 * `cwd`, or `ENV` for TARGET_S3_* variables; later sources win), applies the schema's defaults and
 * checks everything, throwing one ConfigError that lists every problem.
 *
 * When `ENV` is among the sources and `cwd/.env` exists, its variables are first added to `env`
 * (without overriding variables already set), as the Singer SDK does; pass `process.env` so they
 * reach the AWS SDK as well.
 */
export function loadConfig(sources: string[], env: NodeJS.ProcessEnv, cwd: string): LoadedConfig {
  const properties = configSchema().properties;
  const merged: Record<string, unknown> = {};
  const origin = new Map<string, string>();
  const readProblems: string[] = [];
  const problems: string[] = [];
  const warnings: string[] = [];
  let dotenvDone = false;

  for (const source of sources) {
    if (source === ENV_SOURCE) {
      if (!dotenvDone) {
        loadDotenvInto(env, cwd, readProblems, warnings);
        dotenvDone = true;
      }
      for (const [name, value] of readEnvSettings(env, properties, problems, warnings)) {
        merged[name] = value;
        origin.set(name, `${ENV_PREFIX}${name.toUpperCase()}`);
      }
      continue;
    }
    const fileSettings = readConfigFile(source, cwd, readProblems);
    if (fileSettings === undefined) continue;
    for (const [name, value] of Object.entries(fileSettings)) {
      const setting = properties[name];
      if (setting === undefined) {
        warnings.push(`Unknown setting '${name}' in config file '${source}' is ignored${hint(name, properties)}.`);
        continue;
      }
      // null for a setting that cannot be null means "not set" (UIs and templating tools send it).
      if (value === null && !settingTypes(setting).includes("null")) continue;
      merged[name] = value;
      origin.set(name, `config file '${source}'`);
    }
  }
  if (readProblems.length > 0) throw new ConfigError("Cannot read configuration", readProblems);

  // "" for a nullable setting (e.g. date_partition_format) means null: Meltano and .env cannot say null.
  for (const [name, value] of Object.entries(merged)) {
    const setting = properties[name];
    if (value === "" && setting !== undefined && settingTypes(setting).includes("null")) merged[name] = null;
  }

  const data: Record<string, unknown> = structuredClone(merged);
  const validate = validator();
  if (!validate(data)) {
    problems.push(...describeAjvErrors(validate.errors ?? [], data, properties, origin));
  }
  if (data.temp_dir === undefined) data.temp_dir = tmpdir();
  const checked = semanticProblems(data, origin);
  problems.push(...checked.problems);
  warnings.push(...checked.warnings);
  // The key template needs the other settings (deterministic_keys, date_partition_format): checked once they are valid.
  if (problems.length === 0) problems.push(...keyTemplateProblems(data as unknown as Settings));
  if (problems.length > 0) throw new ConfigError("Invalid configuration", problems);

  const settings: Record<string, unknown> = {};
  const secrets: string[] = [];
  for (const [name, setting] of Object.entries(properties)) {
    const value = data[name];
    settings[name] = value;
    if (setting.secret === true && typeof value === "string" && value !== "" && !secrets.includes(value)) {
      secrets.push(value);
    }
  }
  return { settings: settings as unknown as Settings, warnings, secrets };
}

// ---------------------------------------------------------------------------------------------
// Sources

function readConfigFile(source: string, cwd: string, problems: string[]): Record<string, unknown> | undefined {
  const path = resolve(cwd, source);
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") {
      problems.push(
        `config file '${source}' not found (looked for ${path}): pass the path of an existing JSON file, or ENV to read ${ENV_PREFIX}* environment variables.`,
      );
    } else if (code === "EISDIR") {
      problems.push(`config file '${source}' is a directory (${path}): pass the path of a JSON file.`);
    } else {
      problems.push(`config file '${source}' cannot be read (${code ?? String(error)}): check that ${path} is readable.`);
    }
    return undefined;
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.trim() === "") {
    problems.push(`config file '${source}' is empty: it must hold a JSON object such as {"bucket": "my-bucket"}.`);
    return undefined;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    problems.push(`config file '${source}' is not valid JSON (${jsonErrorWhere(error, text)}): fix its syntax.`);
    return undefined;
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    const got = Array.isArray(parsed) ? "an array" : parsed === null ? "null" : `a ${typeof parsed}`;
    problems.push(`config file '${source}' holds ${got}: it must hold a JSON object of settings such as {"bucket": "my-bucket"}.`);
    return undefined;
  }
  return parsed as Record<string, unknown>;
}

/** V8's JSON error without the quoted excerpt of the file (it could contain a secret), plus line and column. */
function jsonErrorWhere(error: unknown, text: string): string {
  const message = error instanceof Error ? error.message : String(error);
  const withoutExcerpt = message.replace(/,?\s*"[\s\S]*" is not valid JSON$/, "").replace(/\s*\(line \d+ column \d+\)$/, "");
  const position = /at position (\d+)/.exec(message)?.[1];
  if (position === undefined) return withoutExcerpt;
  const before = text.slice(0, Number(position));
  const line = before.split("\n").length;
  const column = Number(position) - before.lastIndexOf("\n");
  return `${withoutExcerpt.replace(/ in JSON at position \d+/, "").replace(/ at position \d+/, "")} at line ${line}, column ${column}`;
}

function readEnvSettings(
  env: NodeJS.ProcessEnv,
  properties: Record<string, SettingSchema>,
  problems: string[],
  warnings: string[],
): Map<string, unknown> {
  const found = new Map<string, unknown>();
  const known = new Set(Object.keys(properties).map((name) => `${ENV_PREFIX}${name.toUpperCase()}`));
  for (const [name, setting] of Object.entries(properties)) {
    const variable = `${ENV_PREFIX}${name.toUpperCase()}`;
    const raw = env[variable];
    if (raw === undefined) continue;
    const parsed = parseEnvValue(raw, setting);
    if (parsed.ok) {
      found.set(name, parsed.value);
    } else {
      const shown = setting.secret === true ? "the value" : JSON.stringify(raw);
      problems.push(`${name}: ${variable}=${shown} ${parsed.reason}.`);
    }
  }
  for (const variable of Object.keys(env)) {
    if (variable.startsWith(ENV_PREFIX) && !known.has(variable) && !NON_SETTING_ENV.has(variable)) {
      const name = variable.slice(ENV_PREFIX.length).toLowerCase();
      warnings.push(`Unknown environment variable ${variable} is ignored${hint(name, properties, true)}.`);
    }
  }
  return found;
}

const TRUE_WORDS = new Set(["true", "1", "yes", "on"]);
const FALSE_WORDS = new Set(["false", "0", "no", "off"]);

/**
 * One environment variable's text as the setting's type: booleans true/1/yes/on and false/0/no/off,
 * numbers, JSON for objects and arrays, "" or "null" for null where the setting allows it, strings as is.
 */
export function parseEnvValue(
  raw: string,
  setting: SettingSchema,
): { ok: true; value: unknown } | { ok: false; reason: string } {
  const types = settingTypes(setting);
  if (types.includes("null") && (raw === "" || raw === "null")) return { ok: true, value: null };
  const type = types.find((t) => t !== "null") ?? "string";
  const text = raw.trim();
  switch (type) {
    case "boolean": {
      const word = text.toLowerCase();
      if (TRUE_WORDS.has(word)) return { ok: true, value: true };
      if (FALSE_WORDS.has(word)) return { ok: true, value: false };
      return { ok: false, reason: "is not a boolean: use true or false (1/0, yes/no and on/off work too)" };
    }
    case "integer":
    case "number": {
      const value = Number(text);
      if (text === "" || !Number.isFinite(value)) return { ok: false, reason: `is not a number: use digits, e.g. 3600` };
      return { ok: true, value };
    }
    case "object":
    case "array": {
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        return { ok: false, reason: `is not valid JSON: write the ${type} as JSON text, e.g. ${type === "object" ? '{"orders": "updated_at"}' : '["a"]'}` };
      }
      const isArray = Array.isArray(value);
      if (type === "object" ? typeof value !== "object" || value === null || isArray : !isArray) {
        return { ok: false, reason: `is not a JSON ${type}: write it as ${type === "object" ? '{"key": "value"}' : '["a", "b"]'}` };
      }
      return { ok: true, value };
    }
    default:
      return { ok: true, value: raw };
  }
}

function loadDotenvInto(env: NodeJS.ProcessEnv, cwd: string, problems: string[], warnings: string[]): void {
  const path = resolve(cwd, ".env");
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return;
    problems.push(`.env file '${path}' cannot be read (${code ?? String(error)}): fix its permissions or remove it.`);
    return;
  }
  const { values, badLines } = parseDotenv(text);
  for (const line of badLines) {
    warnings.push(`.env line ${line} is not KEY=VALUE and is ignored.`);
  }
  for (const [key, value] of values) {
    if (env[key] === undefined) env[key] = value;
  }
}

/**
 * Parses `.env` text: `KEY=VALUE` lines, optional `export `, `#` comments, blank lines, values in
 * single quotes (literal), double quotes (\n, \t, \\, \" escapes; may span lines) or bare (trimmed, a
 * ` #` starts a comment). Later lines win. Returns the 1-based numbers of lines it could not read.
 */
export function parseDotenv(text: string): { values: Map<string, string>; badLines: number[] } {
  const values = new Map<string, string>();
  const badLines: number[] = [];
  const lines = text.replace(/\r\n?/g, "\n").split("\n");
  for (let i = 0; i < lines.length; i++) {
    const lineNumber = i + 1;
    const line = (lines[i] ?? "").trim();
    if (line === "" || line.startsWith("#")) continue;
    const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_.]*)\s*=\s*([\s\S]*)$/.exec(line);
    const key = match?.[1];
    let rest = match?.[2];
    if (key === undefined || rest === undefined) {
      badLines.push(lineNumber);
      continue;
    }
    const quote = rest[0];
    if (quote === '"' || quote === "'") {
      // Gather following lines until the closing quote.
      let body = rest.slice(1);
      let end = closingQuote(body, quote);
      while (end < 0 && i + 1 < lines.length) {
        i++;
        body += `\n${lines[i] ?? ""}`;
        end = closingQuote(body, quote);
      }
      if (end < 0) {
        badLines.push(lineNumber);
        continue;
      }
      const inner = body.slice(0, end);
      values.set(key, quote === '"' ? unescapeDoubleQuoted(inner) : inner);
      continue;
    }
    const comment = rest.search(/\s#/);
    if (comment >= 0) rest = rest.slice(0, comment);
    values.set(key, rest.trim());
  }
  return { values, badLines };
}

function closingQuote(body: string, quote: string): number {
  for (let i = 0; i < body.length; i++) {
    if (quote === '"' && body[i] === "\\") {
      i++;
      continue;
    }
    if (body[i] === quote) return i;
  }
  return -1;
}

function unescapeDoubleQuoted(text: string): string {
  return text.replace(/\\([nrt"\\])/g, (_all, c: string) => {
    switch (c) {
      case "n":
        return "\n";
      case "r":
        return "\r";
      case "t":
        return "\t";
      default:
        return c;
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Schema validation

let compiled: ValidateFunction | undefined;

function validator(): ValidateFunction {
  if (compiled === undefined) {
    const ajv = new Ajv({ strict: false, allErrors: true, useDefaults: true, verbose: true });
    // ajv-formats is CommonJS: under NodeNext its default import is the module object, whose
    // `default` is the plugin (at run time module.exports is the plugin and carries `default` too).
    addFormatsModule.default(ajv);
    const schema: Record<string, unknown> = structuredClone(configSchema());
    delete schema.$schema;
    compiled = ajv.compile(schema);
  }
  return compiled;
}

function describeAjvErrors(
  errors: ErrorObject[],
  data: Record<string, unknown>,
  properties: Record<string, SettingSchema>,
  origin: Map<string, string>,
): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const error of errors) {
    if (error.keyword === "propertyNames") continue; // the inner error names the property
    const segments =
      error.keyword === "required"
        ? [String((error.params as { missingProperty?: unknown }).missingProperty)]
        : error.instancePath.split("/").slice(1).map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
    const name = segments[0] ?? "";
    const path = segments.join(".");
    const key = `${path}\u0000${error.propertyName ?? ""}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const setting = properties[name] ?? {};
    const from = origin.has(name) ? ` (from ${origin.get(name)})` : "";
    out.push(`${path}: ${explain(error, name, setting, valueAt(data, segments))}${from}.`);
  }
  return out;
}

function valueAt(data: Record<string, unknown>, segments: string[]): unknown {
  let value: unknown = data;
  for (const segment of segments) {
    if (typeof value !== "object" || value === null) return undefined;
    value = (value as Record<string, unknown>)[segment];
  }
  return value;
}

function show(value: unknown, setting: SettingSchema): string {
  if (setting.secret === true) return "the value";
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function explain(error: ErrorObject, name: string, setting: SettingSchema, value: unknown): string {
  const params = error.params as Record<string, unknown>;
  const schemaNode = (error.parentSchema ?? {}) as SettingSchema & { exclusiveMaximum?: number };
  const example = setting.examples?.[0];
  const exampleText = example === undefined ? "" : `, e.g. ${JSON.stringify(example)}`;
  if (error.propertyName !== undefined) {
    return `the name ${JSON.stringify(error.propertyName)} ${error.message ?? "is not allowed"}; rename it${exampleText}`;
  }
  switch (error.keyword) {
    case "required":
      return name === "bucket"
        ? `is required: set it to a bucket name or an s3://bucket/prefix URI (in a config file or ${ENV_PREFIX}BUCKET)`
        : `is required: set it (in a config file or ${ENV_PREFIX}${name.toUpperCase()})`;
    case "type":
      return `must be ${typeWords(String(params.type))}, got ${show(value, setting)}`;
    case "enum": {
      const allowed = (params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ");
      return `${show(value, setting)} is not allowed: use one of ${allowed}`;
    }
    case "minimum":
    case "maximum":
    case "exclusiveMinimum":
    case "exclusiveMaximum":
      return `${show(value, setting)} is out of range: use ${rangeWords(name, schemaNode)}`;
    case "minLength":
    case "maxLength": {
      const { minLength, maxLength } = schemaNode;
      if (minLength !== undefined && minLength === maxLength) {
        return `must be exactly ${minLength} character${minLength === 1 ? "" : "s"} long, got ${show(value, setting)}`;
      }
      if (error.keyword === "minLength") {
        return minLength === 1 ? "must not be empty: set a value or remove the setting" : `must be at least ${minLength} characters long`;
      }
      return `must be at most ${maxLength ?? "?"} characters long`;
    }
    case "pattern":
      if (name === "aws_account_id") return `${show(value, setting)} is not a 12-digit AWS account ID: use the digits only, e.g. "123456789012"`;
      if (name === "role_arn") return `${show(value, setting)} is not an ARN: use the role's ARN${exampleText}`;
      return `${show(value, setting)} does not match ${String(params.pattern)}${exampleText}`;
    case "format":
      return `${show(value, setting)} is not a valid ${String(params.format)}: use a full URL with scheme${exampleText}`;
    case "maxProperties":
      return `has ${Object.keys((value as object) ?? {}).length} entries: S3 allows at most ${String(params.limit)}; remove some`;
    default:
      return `${error.message ?? "is invalid"}${exampleText}`;
  }
}

function typeWords(types: string): string {
  const article = (t: string): string => (t === "integer" || t === "object" || t === "array" ? `an ${t}` : `a ${t}`);
  return types
    .split(",")
    .map((t) => (t === "null" ? "null" : article(t)))
    .join(" or ");
}

function rangeWords(name: string, node: SettingSchema & { exclusiveMaximum?: number }): string {
  const unit = name.endsWith("_seconds") ? " seconds" : /_bytes$|_size$/.test(name) ? " bytes" : "";
  const human = (n: number): string => (unit === " bytes" && n >= 1 << 20 ? `${n} bytes (${formatBytes(n)})` : `${n}${unit}`);
  const lower =
    node.minimum !== undefined
      ? { n: node.minimum, strict: false }
      : node.exclusiveMinimum !== undefined
        ? { n: node.exclusiveMinimum, strict: true }
        : undefined;
  const upper =
    node.maximum !== undefined
      ? { n: node.maximum, strict: false }
      : node.exclusiveMaximum !== undefined
        ? { n: node.exclusiveMaximum, strict: true }
        : undefined;
  const kind = node.type === "integer" ? "a whole number" : "a number";
  if (lower !== undefined && upper !== undefined && !lower.strict && !upper.strict) {
    return unit === " bytes" ? `${kind} from ${human(lower.n)} to ${human(upper.n)}` : `${kind} from ${lower.n} to ${upper.n}${unit}`;
  }
  const parts: string[] = [];
  if (lower !== undefined) parts.push(`${lower.strict ? "greater than" : "at least"} ${human(lower.n)}`);
  if (upper !== undefined) parts.push(`${upper.strict ? "less than" : "at most"} ${human(upper.n)}`);
  return `${kind} ${parts.join(" and ")}`;
}

function formatBytes(n: number): string {
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let value = n;
  let unit = "bytes";
  for (const next of units) {
    if (value < 1024) break;
    value /= 1024;
    unit = next;
  }
  return `${Number.isInteger(value) ? value : value.toFixed(1)} ${unit}`;
}

// ---------------------------------------------------------------------------------------------
// Checks across settings, and those JSON Schema cannot express

function semanticProblems(
  data: Record<string, unknown>,
  origin: Map<string, string>,
): { problems: string[]; warnings: string[] } {
  const problems: string[] = [];
  const warnings: string[] = [];
  const str = (name: string): string | undefined => {
    const value = data[name];
    return typeof value === "string" ? value : undefined;
  };
  const from = (name: string): string => (origin.has(name) ? ` (from ${origin.get(name)})` : "");
  const problem = (name: string, text: string): void => {
    problems.push(`${name}: ${text}${from(name)}.`);
  };
  // Literal key text (safe-key.ts): a ".." segment, a control character or a backslash would otherwise be escaped
  // into an odd folder such as "~2E~2E" instead of doing what the user meant.
  const keyLiteral = (name: string, text: string, shown = JSON.stringify(text)): void => {
    for (const p of validateKeyLiteral(name, text)) {
      problem(name, `${shown} ${p.slice(name.length + 2)}: object keys are plain folder names under the bucket, remove it`);
    }
  };

  const bucket = str("bucket");
  if (bucket !== undefined && bucket !== "") {
    const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(bucket)?.[1];
    if (scheme !== undefined && scheme.toLowerCase() !== "s3") {
      problem("bucket", `${JSON.stringify(bucket)} is not a bucket name or s3:// URI: use s3://bucket/prefix or a bare bucket name, and set aws_endpoint for S3-compatible stores`);
    } else if (scheme !== undefined) {
      const name = bucket.slice(scheme.length + 3).split("/")[0] ?? "";
      if (name === "") problem("bucket", `${JSON.stringify(bucket)} has no bucket name: use s3://bucket or s3://bucket/prefix`);
      else keyLiteral("bucket", bucket.slice(scheme.length + 3 + name.length + 1), `${JSON.stringify(bucket)} (its prefix)`);
    } else if (bucket.includes("/")) {
      problem("bucket", `${JSON.stringify(bucket)} is not a bucket name (it contains '/'): use s3://${bucket} or put the prefix in object_key_path`);
    }
    if (/\s/.test(bucket)) problem("bucket", `${JSON.stringify(bucket)} contains white space: remove it`);
  }

  const keyPath = str("object_key_path");
  if (keyPath !== undefined && /^s3:\/\//i.test(keyPath)) {
    problem("object_key_path", `${JSON.stringify(keyPath)} must be a prefix without s3:// and bucket: put the bucket (or s3://bucket/prefix) in bucket and only the folder path here`);
  }
  if (keyPath !== undefined) keyLiteral("object_key_path", keyPath);

  for (const name of ["aws_endpoint", "sts_endpoint"]) {
    const url = str(name);
    if (url === undefined) continue;
    let protocol: string | undefined;
    try {
      protocol = new URL(url).protocol;
    } catch {
      protocol = undefined;
    }
    if (protocol !== undefined && protocol !== "http:" && protocol !== "https:") {
      problem(name, `${JSON.stringify(url)} must be an http:// or https:// URL, e.g. "http://127.0.0.1:9000"`);
    }
  }

  const keyId = str("aws_access_key_id");
  const secretKey = str("aws_secret_access_key");
  if (secretKey !== undefined && keyId === undefined) {
    problem("aws_secret_access_key", "is set without aws_access_key_id: set both keys, or neither to use aws_profile or the default AWS credential chain");
  }
  if (keyId !== undefined && secretKey === undefined) {
    problem("aws_access_key_id", "is set without aws_secret_access_key: set both keys, or neither to use aws_profile or the default AWS credential chain");
  }
  if (str("aws_session_token") !== undefined && (keyId === undefined || secretKey === undefined)) {
    problem("aws_session_token", "needs aws_access_key_id and aws_secret_access_key: set them too, or remove aws_session_token");
  }
  if (keyId !== undefined && str("aws_profile") !== undefined) {
    warnings.push("aws_profile is ignored because aws_access_key_id and aws_secret_access_key are set.");
  }

  const roleArn = str("role_arn");
  const accountId = str("aws_account_id");
  if (roleArn !== undefined && accountId !== undefined && /^[0-9]{12}$/.test(accountId)) {
    const roleAccount = roleArn.split(":")[4];
    if (roleAccount !== undefined && /^[0-9]{12}$/.test(roleAccount) && roleAccount !== accountId) {
      problem("aws_account_id", `${accountId} does not match the account of role_arn (${roleAccount}): fix one of them`);
    }
  }
  if (roleArn === undefined) {
    for (const name of ["external_id", "sts_endpoint"]) {
      if (data[name] !== undefined) warnings.push(`${name} is ignored because role_arn is not set.`);
    }
  }

  const sse = str("server_side_encryption");
  if (str("kms_key_id") !== undefined && sse !== "aws:kms") {
    problem("kms_key_id", `needs server_side_encryption "aws:kms" (it is ${sse === undefined ? "unset" : JSON.stringify(sse)}): set server_side_encryption to aws:kms, or remove kms_key_id`);
  }

  if (data.compression === "gzip" && data.file_type === "avro") {
    problem("compression", `"gzip" does not apply to file_type "avro": set compression to "none" and choose the codec inside the file with avro_codec (null, deflate, snappy or zstandard)`);
  }
  if (data.compression === "gzip" && data.file_type === "parquet") {
    problem("compression", `"gzip" does not apply to file_type "parquet": set compression to "none" and choose the codec inside the file with parquet_compression (snappy, zstd, gzip or uncompressed)`);
  }

  const delimiter = str("delimiter");
  const quote = str("quote_character");
  for (const [name, value] of [["delimiter", delimiter], ["quote_character", quote]] as const) {
    if (value === "\n" || value === "\r") problem(name, "cannot be a line break: use a character such as , ; | or a tab");
  }
  if (delimiter !== undefined && delimiter === quote) {
    problem("quote_character", `is the same as delimiter (${JSON.stringify(delimiter)}): use two different characters`);
  }

  const memory = str("memory_limit");
  if (memory !== undefined) {
    const bytes = parseMemoryLimit(memory);
    if (bytes === undefined) {
      problem("memory_limit", `${JSON.stringify(memory)} is not a size: use a number with a unit, e.g. "512MB", "2GB" or "1.5GiB"`);
    } else if (bytes < MIN_MEMORY_LIMIT_BYTES) {
      problem("memory_limit", `${JSON.stringify(memory)} is too small for the buffer: use at least "16MB"`);
    }
  }

  const timezone = str("timezone");
  if (timezone !== undefined && timezone !== "" && !isTimeZone(timezone)) {
    problem("timezone", `${JSON.stringify(timezone)} is not an IANA time zone: use a name such as "UTC", "Europe/Berlin" or "America/New_York"`);
  }

  const metadata = data.object_metadata;
  if (typeof metadata === "object" && metadata !== null) {
    let size = 0;
    for (const [key, value] of Object.entries(metadata)) {
      size += Buffer.byteLength(key) + (typeof value === "string" ? Buffer.byteLength(value) : 0);
    }
    if (size > MAX_OBJECT_METADATA_BYTES) {
      problem("object_metadata", `is ${size} bytes of names and values: S3 allows at most 2 KB of user metadata; shorten or remove entries`);
    }
  }

  if (data.validate_records === false && data.invalid_record_policy !== undefined && data.invalid_record_policy !== "fail") {
    warnings.push(`invalid_record_policy "${String(data.invalid_record_policy)}" has no effect because validate_records is false.`);
  }
  if (data.manifest_redshift_entries === true && data.write_manifest !== true) {
    warnings.push("manifest_redshift_entries has no effect because write_manifest is false.");
  }
  return { problems, warnings };
}

const MEMORY_UNITS: Record<string, number> = {
  b: 1,
  byte: 1,
  bytes: 1,
  k: 1e3,
  kb: 1e3,
  kib: 2 ** 10,
  m: 1e6,
  mb: 1e6,
  mib: 2 ** 20,
  g: 1e9,
  gb: 1e9,
  gib: 2 ** 30,
  t: 1e12,
  tb: 1e12,
  tib: 2 ** 40,
};

/** Bytes of a DuckDB memory_limit such as "512MB" or "1.5GiB"; undefined when DuckDB would not accept it. */
export function parseMemoryLimit(text: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]+)\s*$/.exec(text);
  const unit = MEMORY_UNITS[(match?.[2] ?? "").toLowerCase()];
  if (match?.[1] === undefined || unit === undefined) return undefined;
  return Number(match[1]) * unit;
}

function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

function hint(name: string, properties: Record<string, SettingSchema>, fromEnv = false): string {
  const show = (setting: string): string => (fromEnv ? `${ENV_PREFIX}${setting.toUpperCase()}` : `'${setting}'`);
  const alias = ALIASES[name];
  if (alias !== undefined) return ` (did you mean ${show(alias)}?)`;
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of Object.keys(properties)) {
    const distance = Math.min(levenshtein(name, candidate), levenshtein(name, candidate.replace(/^aws_/, "")));
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(name.length / 4)) ? ` (did you mean ${show(best)}?)` : "";
}

function levenshtein(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
