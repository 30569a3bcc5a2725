import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** One property of `schemas/config.schema.json`. Only the keywords this code reads are typed. */
export interface SettingSchema {
  type?: string | string[];
  description?: string;
  default?: unknown;
  enum?: unknown[];
  examples?: unknown[];
  secret?: boolean;
  writeOnly?: boolean;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
  [keyword: string]: unknown;
}

/** The settings schema: a draft-07 object schema whose properties are the settings. */
export interface ConfigSchema {
  $schema?: string;
  title?: string;
  description?: string;
  type: "object";
  required: string[];
  properties: Record<string, SettingSchema>;
  [keyword: string]: unknown;
}

const PACKAGE_NAME = "target-s3";
let root: string | undefined;
let schema: ConfigSchema | undefined;

/**
 * The directory of target-s3's package.json, found by walking up from this file. Works from the
 * sources (`src/config/`, under tsx or vitest) and from the compiled `dist/src/config/` alike.
 */
export function packageRoot(): string {
  if (root !== undefined) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, "package.json");
    if (existsSync(candidate)) {
      try {
        const pkg = JSON.parse(readFileSync(candidate, "utf8")) as { name?: unknown };
        if (pkg.name === PACKAGE_NAME) return (root = dir);
      } catch {
        // not our package.json (or unreadable): keep walking up
      }
    }
    const parent = dirname(dir);
    if (parent === dir) {
      throw new Error(`cannot find the ${PACKAGE_NAME} package root above ${fileURLToPath(import.meta.url)}`);
    }
    dir = parent;
  }
}

/** The parsed package.json of target-s3 (name, version, description). */
export function packageJson(): { name: string; version: string; description: string } {
  return JSON.parse(readFileSync(join(packageRoot(), "package.json"), "utf8")) as {
    name: string;
    version: string;
    description: string;
  };
}

/** Path of `schemas/config.schema.json`. */
export function configSchemaPath(): string {
  return join(packageRoot(), "schemas", "config.schema.json");
}

/** The settings schema, read once. Callers must not mutate it (use `structuredClone`). */
export function configSchema(): ConfigSchema {
  if (schema === undefined) {
    schema = JSON.parse(readFileSync(configSchemaPath(), "utf8")) as ConfigSchema;
  }
  return schema;
}

/** The JSON types a setting accepts, e.g. `["string", "null"]`. */
export function settingTypes(setting: SettingSchema): string[] {
  if (setting.type === undefined) return [];
  return Array.isArray(setting.type) ? setting.type : [setting.type];
}
