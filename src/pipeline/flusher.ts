import { rm } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "../log.js";
import type { Column } from "../schema/columns.js";
import type { CursorValue } from "../s3/cursor-partition.js";
import type { FileWriter } from "./file-writer.js";
import type { Metrics } from "./metrics.js";
import { since } from "./metrics.js";
import type { Spool } from "./spool.js";
import type { StateLedger } from "./state-ledger.js";
import type { UploadReceipt, Uploader } from "./uploader.js";

export interface SealedPartition {
  spool: Spool;
  unit: number;
  cursor: CursorValue;
}

export interface FlushJob {
  stream: string;
  namespace: string | undefined;
  schemaHash: string;
  columns: Column[];
  metadata: boolean;
  batchedAt: Date;
  partitions: SealedPartition[];
}

export interface StoredObject extends UploadReceipt {
  stream: string;
  rows: number;
  schemaHash: string;
  firstLine: number;
  lastLine: number;
}

export interface FlusherDeps {
  writer: FileWriter;
  uploader: Uploader;
  ledger: StateLedger<string>;
  metrics: Metrics;
  logger: Logger;
  runDir: string;
  extension: string;
  contentType: string;
  gzip: boolean;
  jsonArray: boolean;
  maxPending: number;
  signal: AbortSignal;
  keyFor: (job: FlushJob, cursor: CursorValue, part: number) => string;
}

/**
 * Turns sealed batches into S3 objects in the background (DuckDB and the SDK work off the main thread) and
 * settles their ledger units when the object is complete. The first failure stops everything: the ledger emits
 * nothing more and later jobs are discarded.
 */
export class Flusher {
  failure: unknown;
  readonly stored: StoredObject[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private readonly parts = new Map<string, number>();
  private fileSeq = 0;

  constructor(private readonly deps: FlusherDeps) {}

  flush(job: FlushJob): void {
    for (const partition of job.partitions) {
      const part = (this.parts.get(job.stream) ?? 0) + 1;
      this.parts.set(job.stream, part);
      const task: Promise<void> = this.store(job, partition, part).catch((error: unknown) => this.fail(error, partition));
      this.inFlight.add(task);
      void task.finally(() => this.inFlight.delete(task));
    }
  }

  /** A promise to wait on when too many files are being written or uploaded; undefined when there is room. */
  room(): Promise<void> | undefined {
    if (this.inFlight.size < this.deps.maxPending) return undefined;
    return Promise.race(this.inFlight);
  }

  get pending(): number {
    return this.inFlight.size;
  }

  /** Waits for every job; throws the first failure. */
  async drain(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
    if (this.failure !== undefined) throw this.failure;
  }

  private async store(job: FlushJob, partition: SealedPartition, part: number): Promise<void> {
    const { spool } = partition;
    if (this.failure !== undefined || this.deps.signal.aborted) {
      await spool.discard();
      return;
    }
    const t0 = process.hrtime.bigint();
    await spool.close();
    const key = this.deps.keyFor(job, partition.cursor, part);
    const outPath = join(this.deps.runDir, `file-${++this.fileSeq}.${this.deps.extension.split(".")[0]}`);
    const file = await this.deps.writer.write(spool, job.columns, job.metadata, job.batchedAt, outPath, job.stream);
    this.deps.metrics.addStage("convert", since(t0));
    const t1 = process.hrtime.bigint();
    const receipt = await this.deps.uploader.upload(
      { localPath: file.path, key, contentType: this.deps.contentType, gzip: this.deps.gzip, jsonArray: this.deps.jsonArray, signal: this.deps.signal },
      file.bytes,
    );
    this.deps.metrics.addStage("upload", since(t1));
    await Promise.all([rm(spool.path, { force: true }), rm(file.path, { force: true })]);
    if (this.failure !== undefined) return;
    this.stored.push({ ...receipt, stream: job.stream, rows: file.rows, schemaHash: job.schemaHash, firstLine: spool.firstLine, lastLine: spool.lastLine });
    this.deps.metrics.files++;
    this.deps.metrics.bytesUploaded += receipt.bytes;
    this.deps.metrics.rowsUploaded += file.rows;
    this.deps.logger.info("object stored", { stream: job.stream, key, rows: file.rows, bytes: receipt.bytes });
    this.deps.ledger.settle(partition.unit);
  }

  private async fail(error: unknown, partition: SealedPartition): Promise<void> {
    if (this.failure === undefined) {
      this.failure = error;
      this.deps.ledger.fail();
    }
    await partition.spool.discard();
  }
}
