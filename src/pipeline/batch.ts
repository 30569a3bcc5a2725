import type { CursorValue } from "../s3/cursor-partition.js";
import type { StateLedger } from "./state-ledger.js";
import { CursorRange } from "./cursor-range.js";
import { entrySize, type SpoolEntry } from "./spool-entry.js";
import type { PartitionSink } from "./sinks/partition-sink.js";

export interface OpenPartition {
  sink: PartitionSink;
  unit: number;
  cursor: CursorValue;
  /** The records' cursor range, when the run manifest asks for it. */
  range?: CursorRange;
}

/** Opens the sink (one future object) for a partition's first record. */
export type SinkOpener = (cursor: CursorValue, firstLine: number, batchedAt: Date) => PartitionSink;

/**
 * The records of one stream and schema version that will become the next object(s): one sink per cursor
 * partition. Each partition is a ledger unit from its first record on, so no STATE passes it until stored.
 */
export class Batch {
  rows = 0;
  chars = 0;
  /** The line of the latest record: batches written to least recently are closed first under memory pressure. */
  lastLine = 0;
  readonly startedAt = Date.now();
  readonly batchedAt = new Date(this.startedAt);
  readonly batchedAtIso = this.batchedAt.toISOString();
  readonly partitions = new Map<string, OpenPartition>();

  constructor(
    private readonly ledger: StateLedger<string>,
    private readonly open: SinkOpener,
  ) {}

  /** Appends a spool line to the partition; returns a promise when the caller must wait (back-pressure). */
  append(partitionId: string, cursor: CursorValue, entry: SpoolEntry, line: number): Promise<void> | undefined {
    this.rows++;
    this.chars += entrySize(entry);
    this.lastLine = line;
    let partition = this.partitions.get(partitionId);
    if (!partition) {
      // The first record of a partition registers the ledger unit before anything is written.
      const unit = this.ledger.register(line);
      partition = { sink: this.open(cursor, line, this.batchedAt), unit, cursor };
      this.partitions.set(partitionId, partition);
    }
    return partition.sink.append(entry, line);
  }

  /** Notes a record's cursor value for the partition's range (run manifest). */
  noteCursor(partitionId: string, value: unknown): void {
    const partition = this.partitions.get(partitionId);
    if (partition) (partition.range ??= new CursorRange()).note(value);
  }

  get partitionCount(): number {
    return this.partitions.size;
  }

  /** Lets its open files release what memory they can without closing them. */
  release(): void {
    for (const partition of this.partitions.values()) partition.sink.release();
  }

  /** What the batch's open files hold in memory between records (see PartitionSink.heldBytes). */
  get heldBytes(): number {
    let bytes = 0;
    for (const partition of this.partitions.values()) bytes += partition.sink.heldBytes;
    return bytes;
  }
}
