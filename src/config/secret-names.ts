import { configSchema } from "./schema.js";

/** Names of the settings marked `"secret": true` in the schema, in schema order (their values are masked in logs). */
export function secretNames(): string[] {
  return Object.entries(configSchema().properties)
    .filter(([, setting]) => setting.secret === true)
    .map(([name]) => name);
}
