import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import addFormatsModule from "ajv-formats";
import { ENV_PREFIX } from "./config-sources.js";
import { configSchema, type SettingSchema } from "./schema.js";

/**
 * Validates `data` against schemas/config.schema.json (filling in its defaults) and returns one sentence per
 * problem: the setting's path, what is wrong, the fix, and where the value came from.
 */
export function schemaProblems(data: Record<string, unknown>, properties: Record<string, SettingSchema>, origin: Map<string, string>): string[] {
  const validate = validator();
  return validate(data) ? [] : describeAjvErrors(validate.errors ?? [], data, properties, origin);
}

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
        : error.instancePath
            .split("/")
            .slice(1)
            .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
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
