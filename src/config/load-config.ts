import { tmpdir } from "node:os";
import { ConfigError } from "../errors.js";
import { keyTemplateProblems } from "../s3/key-settings.js";
import { ENV_PREFIX, ENV_SOURCE, loadDotenvInto, orderedSources, readConfigFile, readEnvSettings } from "./config-sources.js";
import { crossSettingProblems } from "./cross-setting-checks.js";
import { configSchema, settingTypes } from "./schema.js";
import { schemaProblems } from "./schema-problems.js";
import { unsupportedSdkSetting } from "./sdk-settings.js";
import { secretNames } from "./secret-names.js";
import type { Settings } from "./settings.js";
import { unknownKeySentence } from "./setting-suggestions.js";

export interface LoadedConfig {
  settings: Settings;
  /** Things worth a log line that do not stop the run (unknown keys, settings that have no effect). */
  warnings: string[];
  /** The secret values present, for the logger to redact. */
  secrets: string[];
}

/**
 * Reads the settings from `sources` (the `--config` arguments: JSON file paths relative to `cwd`, later files win,
 * and `ENV` for TARGET_S3_* variables, applied after every file wherever it appears), applies the schema's defaults
 * and checks everything, throwing one ConfigError that lists every problem.
 *
 * When `ENV` is among the sources and `cwd/.env` exists, its variables are first added to `env`
 * (without overriding variables already set), as the Singer SDK does; pass `process.env` so they
 * reach the AWS SDK as well.
 */
export function loadConfig(sources: string[], env: NodeJS.ProcessEnv, cwd: string): LoadedConfig {
  const { merged, origin, problems, warnings } = readSources(sources, env, cwd);

  const data: Record<string, unknown> = structuredClone(merged);
  const properties = configSchema().properties;
  problems.push(...schemaProblems(data, properties, origin));
  if (data.temp_dir === undefined) data.temp_dir = tmpdir();
  const checked = crossSettingProblems(data, origin);
  problems.push(...checked.problems);
  warnings.push(...checked.warnings);
  // The key template needs the other settings (deterministic_keys, date_partition_format): checked once they are valid.
  if (problems.length === 0) problems.push(...keyTemplateProblems(data as unknown as Settings));
  if (problems.length > 0) throw new ConfigError("Invalid configuration", problems);

  const settings: Record<string, unknown> = {};
  for (const name of Object.keys(properties)) settings[name] = data[name];
  const secrets = [...new Set(secretNames().map((name) => data[name]))].filter((v): v is string => typeof v === "string" && v !== "");
  return { settings: settings as unknown as Settings, warnings, secrets };
}

/** Every source merged in order, where each value came from, and the problems and warnings found on the way. */
function readSources(sources: string[], env: NodeJS.ProcessEnv, cwd: string) {
  const properties = configSchema().properties;
  const names = Object.keys(properties);
  const merged: Record<string, unknown> = {};
  const origin = new Map<string, string>();
  const readProblems: string[] = [];
  const problems: string[] = [];
  const warnings: string[] = [];
  const unknown = (name: string, source: string | undefined, value: unknown): void => {
    const refused = unsupportedSdkSetting(name, value, source === undefined ? `${ENV_PREFIX}${name.toUpperCase()}` : `config file '${source}'`);
    if (refused !== undefined) {
      problems.push(refused);
      return;
    }
    const { typo, text } = unknownKeySentence(name, source, names);
    (typo ? problems : warnings).push(text);
  };

  for (const source of orderedSources(sources)) {
    if (source === ENV_SOURCE) {
      loadDotenvInto(env, cwd, readProblems, warnings);
      const read = readEnvSettings(env, properties, problems);
      for (const [name, value] of read.found) {
        merged[name] = value;
        origin.set(name, `${ENV_PREFIX}${name.toUpperCase()}`);
      }
      for (const variable of read.unknown) unknown(variable.slice(ENV_PREFIX.length).toLowerCase(), undefined, env[variable]);
      continue;
    }
    const fileSettings = readConfigFile(source, cwd, readProblems);
    if (fileSettings === undefined) continue;
    for (const [name, value] of Object.entries(fileSettings)) {
      const setting = properties[name];
      if (setting === undefined) {
        unknown(name, source, value);
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
  return { merged, origin, problems, warnings };
}
