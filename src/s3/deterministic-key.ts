import { createHash } from "node:crypto";
import { ConfigError } from "../errors.js";
import type { Settings } from "../config/settings.js";
import { DEFAULT_KEY_TEMPLATE, KeyTemplate } from "./key-template.js";

/**
 * `deterministic_keys`: object keys that a re-run of the same tap output reproduces, so that the records a crashed
 * run had already stored (after its last printed STATE) are overwritten by identical objects instead of stored twice.
 *
 * A key may depend only on what the re-run sees again, never on the clock or a random run id:
 * - files are sealed at every STATE (the tap resumes right after a STATE, so a re-run's files start where the
 *   first run's did), and within a segment they are cut by batch_size_rows / max_file_bytes counted from that STATE;
 * - `{connection_run_id}` renders as the file's *batch id*: a hash of the stream, its schema hash, the file's number
 *   within the segment (per stream) and the exact text of the input line that opened the file;
 * - `{part}` renders as the file's number within the segment, and `{stream_run_id}` follows from the batch id.
 * The key template may therefore not use clock macros nor a clock date partition (a ConfigError at start says
 * which); the default template becomes {@link DETERMINISTIC_TEMPLATE}.
 */
export const DETERMINISTIC_TEMPLATE = "{namespace}/{stream_name}/{stream_name}-{connection_run_id}.{extension}";

const CLOCK_MACROS = ["date_time", "timestamp", "iso_date_time", "date", "iso_date", "year", "month", "day", "hour", "minute", "second"];

/** The key template used with deterministic_keys (the configured one, checked), or a ConfigError listing the problems. */
export function deterministicTemplate(settings: Pick<Settings, "key_template" | "date_partition_format" | "add_record_metadata">): KeyTemplate {
  const source = settings.key_template === DEFAULT_KEY_TEMPLATE ? DETERMINISTIC_TEMPLATE : settings.key_template;
  const template = KeyTemplate.parse(source);
  const problems: string[] = [];
  const clock = template.macros.filter((m) => CLOCK_MACROS.includes(m));
  if (clock.length > 0) {
    problems.push(
      `key_template: ${clock.map((m) => `{${m}}`).join(", ")} render the run's clock, so a re-run would write other keys; remove them (cursor macros are fine)`,
    );
  }
  if (template.macros.includes("date_partition") && settings.date_partition_format) {
    problems.push(
      "date_partition_format: the date folder comes from the run's clock, so a re-run on another day would write other keys; unset it or use cursor macros",
    );
  }
  if (!template.macros.includes("connection_run_id") && !template.macros.includes("stream_run_id")) {
    problems.push(
      "key_template: must contain {connection_run_id} (or {stream_run_id}), which deterministic_keys renders as the batch id that keeps files apart",
    );
  }
  if (settings.add_record_metadata) {
    problems.push(
      "add_record_metadata: the _sdc_received_at, _sdc_batched_at and _sdc_sequence values differ on a re-run, so its files could never be identical; turn one of the two off",
    );
  }
  if (problems.length > 0) throw new ConfigError("deterministic_keys cannot be used with these settings", problems);
  return template;
}

/** The batch id and segment part of one new file. */
export interface BatchIdentity {
  /** Rendered as {connection_run_id}: 24 hex digits. */
  runId: string;
  /** Rendered as {part}: the file's number within the segment for its stream, from 1. */
  part: number;
}

/**
 * Tracks the segment (the input since the last STATE) and names each new file from what opened it. `line` must be
 * set to the text of the input line being handled before the router sees it (target.ts does), and `newSegment()`
 * called at every STATE after the open files were sealed.
 */
export class DeterministicKeys {
  /** The input line being handled: the record that opens a new file. */
  line = "";
  private readonly parts = new Map<string, number>();

  newSegment(): void {
    this.parts.clear();
  }

  next(stream: { stream: string; namespace: string | undefined; schemaHash: string }): BatchIdentity {
    const scope = `${stream.namespace ?? ""}\u0000${stream.stream}\u0000${stream.schemaHash}`;
    const part = (this.parts.get(scope) ?? 0) + 1;
    this.parts.set(scope, part);
    const runId = createHash("sha256").update(scope).update(`\u0000${part}\u0000`).update(this.line).digest("hex").slice(0, 24);
    return { runId, part };
  }
}
