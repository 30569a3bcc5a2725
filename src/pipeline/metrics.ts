import type { InvalidRecordPolicy } from "../config/settings.js";
import type { Logger } from "../log.js";

export interface FieldViolationCount {
  stream: string;
  property: string;
  rule: string;
  kind: "type" | "constraint";
  action: "written" | "nullified";
  count: number;
  first_line: number;
}

export type Stage = "parse" | "validate" | "buffer" | "convert" | "upload";

/** One input line in this many is timed (timing every line would cost more than some stages take) … */
const SAMPLE_EVERY = 16;
/**
 * … after the first lines, which are all timed: they run while the code is still cold, and one slow line scaled
 * by SAMPLE_EVERY would count far more than it took (short runs reported more main-thread time than they lasted).
 */
const TIME_ALL_FIRST = 4096;

/**
 * Counters and stage timers, printed as Singer METRIC lines periodically and at the end. Counters follow the
 * Singer SDK: each METRIC line carries the increase since the previous line of the same counter (and tags), so
 * summing a counter's values gives the run's total. As in the SDK, tags name what was measured (stream, status,
 * stage) plus the process `pid`, never a number or one object's key: those go to the `object stored` info line.
 * An info `progress` line with the running totals accompanies every report. Each stored file also gets a
 * `batch_processing_time` timer line (the SDK's name for a drained batch).
 */
export class Metrics {
  readonly records = new Map<string, number>();
  readonly skipped = new Map<string, number>();
  /** Messages of a type the target does not know (skipped with a warning), by type. */
  readonly unknownMessages = new Map<string, number>();
  /** Fields that broke a schema rule in records that were kept, by stream, property, rule and what was done. */
  readonly violations = new Map<string, FieldViolationCount>();
  files = 0;
  bytesUploaded = 0;
  rowsUploaded = 0;
  private readonly reported = new Map<string, number>();
  readonly stageSeconds: Record<Stage, number> = { parse: 0, validate: 0, buffer: 0, convert: 0, upload: 0 };
  private readonly started = process.hrtime.bigint();
  private lines = 0;
  /** Whether the current input line is one of the timed ones. */
  private sampling = false;
  /** How many lines the current timed line stands for. */
  private scale = 1;

  constructor(
    private readonly logger: Logger,
    /** The run's invalid_record_policy: tags invalid_record_count. */
    private readonly invalidRecordPolicy: InvalidRecordPolicy = "skip",
  ) {}

  countRecord(stream: string): void {
    this.records.set(stream, (this.records.get(stream) ?? 0) + 1);
  }

  countSkipped(stream: string): void {
    this.skipped.set(stream, (this.skipped.get(stream) ?? 0) + 1);
  }

  countUnknownMessage(type: string): void {
    this.unknownMessages.set(type, (this.unknownMessages.get(type) ?? 0) + 1);
  }

  /** A kept record's field that broke a rule: written as sent ("written") or as null ("nullified"). */
  countViolation(stream: string, property: string, rule: string, kind: "type" | "constraint", action: "written" | "nullified", line: number): void {
    const id = JSON.stringify([stream, property, rule, kind, action]);
    const entry = this.violations.get(id);
    if (entry) entry.count++;
    else this.violations.set(id, { stream, property, rule, kind, action, count: 1, first_line: line });
  }

  /** Per stream: records refused under invalid_record_policy, and the kept records' field violations. */
  validationSummary(): Record<string, { invalid_records: number; field_violations: Array<Omit<FieldViolationCount, "stream">> }> {
    const out: Record<string, { invalid_records: number; field_violations: Array<Omit<FieldViolationCount, "stream">> }> = {};
    const of = (stream: string) => (out[stream] ??= { invalid_records: 0, field_violations: [] });
    for (const [stream, n] of this.skipped) of(stream).invalid_records = n;
    for (const { stream, ...rest } of this.violations.values()) of(stream).field_violations.push(rest);
    return out;
  }

  addStage(stage: Stage, seconds: number): void {
    this.stageSeconds[stage] += seconds;
  }

  /** At the start of each input line: performance.now() when this line is timed, else -1. */
  lineClock(): number {
    this.lines++;
    this.scale = this.lines <= TIME_ALL_FIRST ? 1 : SAMPLE_EVERY;
    this.sampling = this.scale === 1 || this.lines % SAMPLE_EVERY === 0;
    return this.stageClock();
  }

  /** Within the current line, at the start of a stage: performance.now() when the line is timed, else -1. */
  stageClock(): number {
    return this.sampling ? performance.now() : -1;
  }

  /** Adds a timed line's stage (from `since`, a stageClock reading), scaled to stand for the lines not timed. */
  addSampled(stage: Stage, since: number): void {
    if (since >= 0) this.stageSeconds[stage] += ((performance.now() - since) * this.scale) / 1000;
  }

  /**
   * One stored object: `{"type":"timer","metric":"batch_processing_time","value":s,"tags":{stream,status,pid}}`,
   * the seconds from closing the batch to S3's answer (conversion and upload overlap, so they are one timer).
   */
  flushTimer(stream: string, seconds: number): void {
    this.metric("timer", "batch_processing_time", round(seconds), { stream, status: "succeeded" });
  }

  /**
   * Counter lines with the increase since the last report: periodic reports skip counters that did not move,
   * the final one prints every counter (record_count for every stream seen).
   */
  report(final: boolean): void {
    for (const [stream, n] of this.records) this.counter("record_count", n, { stream }, final);
    for (const [stream, n] of this.skipped) this.counter("invalid_record_count", n, { stream, policy: this.invalidRecordPolicy }, final);
    for (const [type, n] of this.unknownMessages) this.counter("skipped_message_count", n, { message_type: type }, final);
    for (const v of this.violations.values()) {
      this.counter("field_violation_count", v.count, { stream: v.stream, property: v.property, rule: v.rule, kind: v.kind, action: v.action }, final);
    }
    this.counter("file_count", this.files, {}, final);
    this.counter("rows_uploaded", this.rowsUploaded, {}, final);
    this.counter("bytes_uploaded", this.bytesUploaded, {}, final);
    let records = 0;
    for (const n of this.records.values()) records += n;
    this.logger.info(final ? "run totals" : "progress", {
      records,
      files: this.files,
      rows_uploaded: this.rowsUploaded,
      bytes_uploaded: this.bytesUploaded,
      elapsed_seconds: round(Number(process.hrtime.bigint() - this.started) / 1e9),
    });
    if (final) {
      // One timer per stage (tags are names, not numbers), then the run's own duration.
      for (const [stage, seconds] of Object.entries(this.stageSeconds)) this.metric("timer", "stage_seconds", round(seconds), { stage });
      this.metric("timer", "run_duration", round(Number(process.hrtime.bigint() - this.started) / 1e9), { status: "succeeded" });
    }
  }

  private counter(metric: string, total: number, tags: Record<string, string>, always: boolean): void {
    const id = `${metric}\u0000${JSON.stringify(tags)}`;
    const delta = total - (this.reported.get(id) ?? 0);
    if (delta === 0 && !always) return;
    this.reported.set(id, total);
    this.metric("counter", metric, delta, tags);
  }

  private metric(type: "counter" | "timer", metric: string, value: number, tags: Record<string, string>): void {
    this.logger.metric(type, metric, value, { ...tags, pid: process.pid });
  }
}

function round(v: number): number {
  return Math.round(v * 1000) / 1000;
}

export function since(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}
