import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parse as parseDotenvText } from "dotenv";
import { settingTypes, type SettingSchema } from "./schema.js";

/** `--config ENV` reads `TARGET_S3_<SETTING_UPPERCASE>`. */
export const ENV_SOURCE = "ENV";
export const ENV_PREFIX = "TARGET_S3_";
/** TARGET_S3_* variables that are not settings (read elsewhere), so no "unknown" warning. */
const NON_SETTING_ENV = new Set(["TARGET_S3_LOGLEVEL"]);

/**
 * The `--config` arguments in the order they apply: the files as given, then ENV (wherever it appeared) last, as the
 * Singer SDK applies environment variables over every config file.
 */
export function orderedSources(sources: readonly string[]): string[] {
  const files = sources.filter((s) => s !== ENV_SOURCE);
  return sources.includes(ENV_SOURCE) ? [...files, ENV_SOURCE] : files;
}

export function readConfigFile(source: string, cwd: string, problems: string[]): Record<string, unknown> | undefined {
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

/** The settings found in TARGET_S3_* variables, and the names of the other TARGET_S3_* variables. */
export function readEnvSettings(
  env: NodeJS.ProcessEnv,
  properties: Record<string, SettingSchema>,
  problems: string[],
): { found: Map<string, unknown>; unknown: string[] } {
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
  const unknown = Object.keys(env).filter((v) => v.startsWith(ENV_PREFIX) && !known.has(v) && !NON_SETTING_ENV.has(v));
  return { found, unknown };
}

const TRUE_WORDS = new Set(["true", "1", "yes", "on"]);
const FALSE_WORDS = new Set(["false", "0", "no", "off"]);

/**
 * One environment variable's text as the setting's type: booleans true/1/yes/on and false/0/no/off,
 * numbers, JSON for objects and arrays, "" or "null" for null where the setting allows it, strings as is.
 */
export function parseEnvValue(raw: string, setting: SettingSchema): { ok: true; value: unknown } | { ok: false; reason: string } {
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

/**
 * Adds the variables of `cwd/.env` to `env` (without overriding variables already set), as the Singer SDK does.
 * Parsed by dotenv: an unterminated quote stays on its own line instead of swallowing the lines after it.
 */
export function loadDotenvInto(env: NodeJS.ProcessEnv, cwd: string, problems: string[], warnings: string[]): void {
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
  const { values, unterminated } = parseDotenv(text);
  for (const key of unterminated) {
    warnings.push(`.env: the value of ${key} opens a quote that is never closed, so it is read as the literal text after '=': close the quote.`);
  }
  for (const [key, value] of values) {
    if (env[key] === undefined) env[key] = value;
  }
}

/** `.env` text as variables, and the names whose value opens a quote it never closes. */
export function parseDotenv(text: string): { values: Map<string, string>; unterminated: string[] } {
  const values = new Map(Object.entries(parseDotenvText(text)));
  const unterminated = [...values].filter(([, v]) => /^["'`]/.test(v) && !(v.length > 1 && v.endsWith(v[0] ?? ""))).map(([k]) => k);
  return { values, unterminated };
}
