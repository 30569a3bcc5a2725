import { randomBytes } from "node:crypto";
import { ConfigError } from "../errors.js";
import type { Settings } from "../config/settings.js";
import { deterministicTemplate } from "./deterministic-key.js";
import { DEFAULT_KEY_TEMPLATE, KeyTemplate, fileIdentityProblems, validateDatePartitionFormat } from "./key-template.js";

/** 8 hex digits, new in every process (see processUniqueTemplate). */
const WRITER_ID = randomBytes(4).toString("hex");

/**
 * The default template's keys with a fixed connection_run_id: 8 random hex digits of this process after the run id
 * (`…-nightly-42-3f9c0a1e-00001.csv`), so two processes started in the same second with the same run id never
 * make the same key. A generated run id is a new UUID per process already; a template of the user's own is kept.
 */
export function processUniqueTemplate(settings: Pick<Settings, "key_template" | "connection_run_id">): string {
  const template = settings.key_template;
  const isDefault = template === DEFAULT_KEY_TEMPLATE || template === `{namespace}/${DEFAULT_KEY_TEMPLATE}`;
  if (!isDefault || settings.connection_run_id === undefined) return template;
  return template.replace("{connection_run_id}-{part}", `{connection_run_id}-${WRITER_ID}-{part}`);
}

/** The key template in force: key_template, or the deterministic one; its errors are configuration errors. */
export function keyTemplateOf(settings: Settings): KeyTemplate {
  if (settings.deterministic_keys) return deterministicTemplate(settings);
  const format = settings.date_partition_format;
  const problems = format === null ? [] : validateDatePartitionFormat(format);
  if (problems.length > 0) throw new ConfigError("Invalid configuration", problems);
  try {
    const template = KeyTemplate.parse(processUniqueTemplate(settings));
    const collisions = fileIdentityProblems(template);
    if (collisions.length > 0) throw new ConfigError(`key_template "${settings.key_template}" could give two objects the same key`, collisions);
    return template;
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(`key_template is invalid: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** The problems of the settings' key template, as configuration problems (empty when it is usable). */
export function keyTemplateProblems(settings: Settings): string[] {
  try {
    keyTemplateOf(settings);
    return [];
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    // The error's own sentence (e.g. the list of valid macros) comes first, then each problem.
    const head = error.message.split("\n")[0] ?? error.message;
    return [head, ...error.problems.map((p) => `key_template: ${p}`)];
  }
}
