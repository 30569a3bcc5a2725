import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "../log.js";
import { joinKey, safeSegment } from "../s3/safe-key.js";
import type { StateLedger } from "./state-ledger.js";
import type { UploadReceipt, UploadRequest } from "../s3/uploader.js";
import { FirstFailure } from "./first-failure.js";

/** The part of the Uploader the quarantine needs. */
export interface QuarantineUploader {
  upload(request: UploadRequest, fileBytes: number): Promise<UploadReceipt>;
}

export interface QuarantineDeps {
  uploader: QuarantineUploader;
  ledger: StateLedger<string>;
  logger: Logger;
  /** Local folder for the files being uploaded (the run folder). */
  runDir: string;
  /** The object key of the part-th quarantine file of a stream (see `rejectedKey`). */
  keyFor: (stream: string, part: number) => string;
  signal: AbortSignal;
  /** A stream's rejected records are uploaded when any limit is reached, by age (flushStale) and at the end. */
  maxRows: number;
  maxChars: number;
  maxAgeMs: number;
  now?: () => Date;
}

interface OpenBuffer {
  lines: string[];
  chars: number;
  unit: number;
  startedAt: number;
}

/**
 * The key of a quarantine object: `[prefix]/[object_key_path]/_rejected/<stream>/<stream>-<run start>-<run id>-<part>.jsonl`.
 * The stream name is made safe like `{stream_name}`; the part number keeps every object of a run distinct.
 */
export function rejectedKey(prefix: string, objectKeyPath: string, stream: string, runStart: Date, runId: string, part: number): string {
  const stamp = runStart
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z");
  const name = safeSegment(`${stream}-${stamp}-${runId}-${String(part).padStart(5, "0")}.jsonl`);
  return joinKey([prefix, objectKeyPath, "_rejected", safeSegment(stream), name], stream);
}

/** One JSONL line of a quarantine object: where the record came from, why it was refused, and the raw input line. */
export function rejectedLine(stream: string, line: number, reason: string, rawLine: string, at: Date): string {
  return `${JSON.stringify({ stream, line, reason, rejected_at: at.toISOString(), raw_line: rawLine })}\n`;
}

/**
 * invalid_record_policy=quarantine: refused records go, per stream, into JSONL objects under `_rejected/`, never
 * into the data files. Each open buffer is a ledger unit registered with its first record's line, so a STATE that
 * follows a quarantined record is released only once the quarantine object holding it is stored. An upload
 * failure fails the run (the ledger emits nothing more; the next `add` or `drain` throws).
 */
export class Quarantine {
  readonly failure = new FirstFailure();
  /** Records quarantined per stream. */
  readonly counts = new Map<string, number>();
  readonly storedKeys: string[] = [];
  private readonly open = new Map<string, OpenBuffer>();
  private readonly parts = new Map<string, number>();
  private readonly inFlight = new Set<Promise<void>>();
  private fileSeq = 0;

  constructor(private readonly deps: QuarantineDeps) {}

  add(stream: string, line: number, reason: string, rawLine: string): Promise<void> | undefined {
    this.failure.throwIfAny();
    const now = this.deps.now?.() ?? new Date();
    let buffer = this.open.get(stream);
    if (!buffer) {
      buffer = { lines: [], chars: 0, unit: this.deps.ledger.register(line), startedAt: now.getTime() };
      this.open.set(stream, buffer);
    }
    const text = rejectedLine(stream, line, reason, rawLine, now);
    buffer.lines.push(text);
    buffer.chars += text.length;
    this.counts.set(stream, (this.counts.get(stream) ?? 0) + 1);
    if (buffer.lines.length >= this.deps.maxRows || buffer.chars >= this.deps.maxChars) this.flush(stream);
    return undefined;
  }

  /** Uploads buffers older than maxAgeMs (called from the run's age timer). */
  flushStale(now: number): void {
    for (const [stream, buffer] of this.open) if (now - buffer.startedAt >= this.deps.maxAgeMs) this.flush(stream);
  }

  /** Uploads every open buffer (end of input). */
  flushAll(): void {
    for (const stream of [...this.open.keys()]) this.flush(stream);
  }

  /** Waits for every upload; throws the first failure. */
  async drain(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
    this.failure.throwIfAny();
  }

  private flush(stream: string): void {
    const buffer = this.open.get(stream);
    if (!buffer) return;
    this.open.delete(stream);
    const part = (this.parts.get(stream) ?? 0) + 1;
    this.parts.set(stream, part);
    const task = this.store(stream, buffer, part).catch((error: unknown) => {
      if (this.failure.record(error)) this.deps.ledger.fail();
    });
    this.inFlight.add(task);
    void task.finally(() => this.inFlight.delete(task));
  }

  private async store(stream: string, buffer: OpenBuffer, part: number): Promise<void> {
    if (this.failure.happened || this.deps.signal.aborted) return;
    const key = this.deps.keyFor(stream, part);
    const path = join(this.deps.runDir, `rejected-${++this.fileSeq}.jsonl`);
    const body = buffer.lines.join("");
    try {
      await writeFile(path, body, { flag: "wx" });
      const receipt = await this.deps.uploader.upload(
        { localPath: path, key, contentType: "application/x-ndjson", gzip: false, jsonArray: false, signal: this.deps.signal },
        Buffer.byteLength(body),
      );
      if (this.failure.happened) return;
      this.storedKeys.push(receipt.key);
      this.deps.logger.info("quarantine object stored", { stream, key, rows: buffer.lines.length });
      this.deps.ledger.settle(buffer.unit);
    } finally {
      await rm(path, { force: true });
    }
  }
}
