import { join } from "node:path";
import { NULL_CURSOR, type CursorValue } from "../s3/cursor-partition.js";
import { Spool } from "./spool.js";
import type { StateLedger } from "./state-ledger.js";

interface OpenPartition {
  spool: Spool;
  unit: number;
  cursor: CursorValue;
}

/**
 * The records of one stream and schema version that will become the next file(s): one spool per cursor
 * partition. Each partition is a ledger unit from its first record on, so no STATE passes it until stored.
 */
export class Batch {
  rows = 0;
  chars = 0;
  readonly startedAt = Date.now();
  readonly batchedAt = new Date(this.startedAt);
  readonly batchedAtIso = this.batchedAt.toISOString();
  readonly partitions = new Map<string, OpenPartition>();
  private opening = new Map<string, Promise<OpenPartition>>();

  constructor(
    private readonly dir: string,
    private readonly ledger: StateLedger<string>,
    private readonly nextFileId: () => number,
  ) {}

  /** Appends a spool line to the partition; returns a promise when the caller must wait (file open or write back-pressure). */
  append(partitionId: string, cursor: CursorValue, text: string, line: number): Promise<void> | undefined {
    this.rows++;
    this.chars += text.length;
    const open = this.partitions.get(partitionId);
    if (open) return open.spool.append(text, line);
    let opening = this.opening.get(partitionId);
    if (!opening) {
      // The first record of a partition registers the ledger unit at once, before the file exists.
      const unit = this.ledger.register(line);
      opening = Spool.create(join(this.dir, `spool-${this.nextFileId()}.jsonl`)).then((spool) => {
        const p = { spool, unit, cursor: cursor.kind === "null" ? NULL_CURSOR : cursor };
        this.partitions.set(partitionId, p);
        this.opening.delete(partitionId);
        return p;
      });
      this.opening.set(partitionId, opening);
    }
    return opening.then((p) => p.spool.append(text, line));
  }

  get partitionCount(): number {
    return this.partitions.size + this.opening.size;
  }
}
