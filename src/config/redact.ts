import { configSchema } from "./schema.js";

export const REDACTED = "***";

/** Names of the settings marked `"secret": true` in the schema, in schema order. */
export function secretNames(): string[] {
  return Object.entries(configSchema().properties)
    .filter(([, setting]) => setting.secret === true)
    .map(([name]) => name);
}

/**
 * A copy of the settings (or any config object) safe to log or print: every secret setting that
 * holds a value becomes "***"; unset secrets stay unset.
 */
export function redactSettings(settings: object): Record<string, unknown> {
  const secret = new Set(secretNames());
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(settings)) {
    out[name] = secret.has(name) && value !== undefined && value !== null && value !== "" ? REDACTED : value;
  }
  return out;
}

/** `text` with every occurrence of each secret value replaced by "***" (for error and log messages). */
export function redactText(text: string, secrets: readonly string[]): string {
  let out = text;
  // Longest first, so a secret that contains another is replaced whole.
  for (const value of [...secrets].sort((a, b) => b.length - a.length)) {
    if (value.length > 0) out = out.split(value).join(REDACTED);
  }
  return out;
}
