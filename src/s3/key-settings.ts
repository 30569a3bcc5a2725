import { ConfigError } from "../errors.js";
import type { Settings } from "../config/settings.js";
import { deterministicTemplate } from "./deterministic-key.js";
import { KeyTemplate, fileIdentityProblems, validateDatePartitionFormat } from "./key-template.js";

/** The key template in force: key_template, or the deterministic one; its errors are configuration errors. */
export function keyTemplateOf(settings: Settings): KeyTemplate {
  if (settings.deterministic_keys) return deterministicTemplate(settings);
  const format = settings.date_partition_format;
  const problems = format === null ? [] : validateDatePartitionFormat(format);
  if (problems.length > 0) throw new ConfigError("Invalid configuration", problems);
  try {
    const template = KeyTemplate.parse(settings.key_template);
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
