import type { Logger } from "../log.js";
import type { Column } from "../schema/columns.js";
import type { OpenPartition } from "./batch.js";
import type { PartitionSink } from "./sinks/partition-sink.js";
import type { Metrics } from "./metrics.js";
import { since } from "./metrics.js";
import type { StateLedger } from "./state-ledger.js";
import type { UploadReceipt } from "../s3/uploader.js";
import { FirstFailure } from "./first-failure.js";

export interface FlushJob {
  stream: string;
  namespace: string | undefined;
  schemaHash: string;
  columns: Column[];
  metadata: boolean;
  batchedAt: Date;
  partitions: OpenPartition[];
}

export interface StoredObject extends UploadReceipt {
  stream: string;
  rows: number;
  schemaHash: string;
  firstLine: number;
  lastLine: number;
  /** The smallest and largest cursor value in the object (null when not tracked or no cursor). */
  minCursor: unknown;
  maxCursor: unknown;
}

export interface FlusherDeps {
  ledger: StateLedger<string>;
  metrics: Metrics;
  logger: Logger;
  maxPending: number;
  signal: AbortSignal;
}

/**
 * Completes sealed batches in the background (DuckDB and the SDK work off the main thread) and settles their
 * ledger units when the object is complete. The first failure stops everything: the ledger emits nothing more
 * and later objects are discarded.
 */
export class Flusher {
  readonly failure = new FirstFailure();
  readonly stored: StoredObject[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private readonly open = new Set<PartitionSink>();

  constructor(private readonly deps: FlusherDeps) {}

  /** Tracks a partition from its first record, so a failure can discard it. */
  opened(sink: PartitionSink): void {
    this.open.add(sink);
  }

  flush(job: FlushJob): void {
    for (const partition of job.partitions) {
      const task: Promise<void> = this.store(job, partition).catch((error: unknown) => this.fail(error));
      this.inFlight.add(task);
      void task.finally(() => this.inFlight.delete(task));
    }
  }

  /** A promise to wait on when too many objects are being completed; undefined when there is room. */
  room(): Promise<void> | undefined {
    if (this.inFlight.size < this.deps.maxPending) return undefined;
    return Promise.race(this.inFlight);
  }

  get pending(): number {
    return this.inFlight.size;
  }

  /** Records the first failure: no STATE leaves from now on, open partitions are dropped. */
  fail(error: unknown): void {
    if (!this.failure.record(error)) return;
    this.deps.ledger.fail();
    for (const sink of this.open) void sink.discard();
    this.open.clear();
  }

  /** Waits for every object; throws the first failure. */
  async drain(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
    this.failure.throwIfAny();
  }

  /** Drops every partition still open (the run stops). */
  async discardOpen(): Promise<void> {
    const open = [...this.open];
    this.open.clear();
    await Promise.allSettled(open.map((sink) => sink.discard()));
  }

  private async store(job: FlushJob, partition: OpenPartition): Promise<void> {
    const { sink } = partition;
    this.open.delete(sink);
    if (this.failure.happened || this.deps.signal.aborted) {
      await sink.discard();
      return;
    }
    const t0 = process.hrtime.bigint();
    const { receipt, rows } = await sink.complete();
    const seconds = since(t0);
    this.deps.metrics.addStage("upload", seconds);
    if (this.failure.happened) return;
    const range = partition.range;
    this.stored.push({
      ...receipt,
      stream: job.stream,
      rows,
      schemaHash: job.schemaHash,
      firstLine: sink.firstLine,
      lastLine: sink.lastLine,
      minCursor: range?.min ?? null,
      maxCursor: range?.max ?? null,
    });
    this.deps.metrics.files++;
    this.deps.metrics.bytesUploaded += receipt.bytes;
    this.deps.metrics.rowsUploaded += rows;
    this.deps.metrics.flushTimer(job.stream, seconds);
    this.deps.logger.info("object stored", { stream: job.stream, key: receipt.key, rows, bytes: receipt.bytes, seconds: Math.round(seconds * 1000) / 1000 });
    this.deps.ledger.settle(partition.unit);
  }
}
