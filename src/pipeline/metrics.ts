import type { Logger } from "../log.js";

export type Stage = "parse" | "validate" | "buffer" | "convert" | "upload";

/** Counters and stage timers, printed as Singer METRIC lines periodically and at the end. */
export class Metrics {
  readonly records = new Map<string, number>();
  readonly skipped = new Map<string, number>();
  files = 0;
  bytesUploaded = 0;
  rowsUploaded = 0;
  readonly stageSeconds: Record<Stage, number> = { parse: 0, validate: 0, buffer: 0, convert: 0, upload: 0 };
  private readonly started = process.hrtime.bigint();

  constructor(private readonly logger: Logger) {}

  countRecord(stream: string): void {
    this.records.set(stream, (this.records.get(stream) ?? 0) + 1);
  }

  countSkipped(stream: string): void {
    this.skipped.set(stream, (this.skipped.get(stream) ?? 0) + 1);
  }

  addStage(stage: Stage, seconds: number): void {
    this.stageSeconds[stage] += seconds;
  }

  report(final: boolean): void {
    for (const [stream, n] of this.records) this.logger.metric("counter", "record_count", n, { stream });
    for (const [stream, n] of this.skipped) this.logger.metric("counter", "invalid_record_count", n, { stream, policy: "skip" });
    this.logger.metric("counter", "file_count", this.files, {});
    this.logger.metric("counter", "bytes_uploaded", this.bytesUploaded, {});
    if (final) {
      const total = Number(process.hrtime.bigint() - this.started) / 1e9;
      const tags = Object.fromEntries(Object.entries(this.stageSeconds).map(([k, v]) => [k, round(v)]));
      this.logger.metric("timer", "stage_seconds", round(total), tags);
    }
  }
}

function round(v: number): number {
  return Math.round(v * 1000) / 1000;
}

export function since(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}
