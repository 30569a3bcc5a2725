import type { UploadReceipt } from "../../s3/uploader.js";
import type { SpoolEntry } from "../spool-entry.js";

/** The outcome of one completed object. */
export interface SinkResult {
  receipt: UploadReceipt;
  rows: number;
}

/**
 * One object in the making: records of one stream, schema version and cursor partition. Appends are cheap and
 * return a promise only when the caller must wait (back-pressure); `complete` makes the object durable.
 */
export interface PartitionSink {
  readonly key: string;
  readonly rows: number;
  readonly chars: number;
  readonly firstLine: number;
  readonly lastLine: number;
  /**
   * Memory the open file holds between records (buffers not yet on disk, the multipart part being filled), as an
   * upper bound counted from its records alone, so the same input closes the same files early (deterministic_keys).
   */
  readonly heldBytes: number;
  /** Lets go of the memory it can without closing the file (spooled CSV/Parquet write their buffer to disk). */
  release(): void;
  append(entry: SpoolEntry, line: number): Promise<void> | undefined;
  /** Finishes the object: resolves once S3 has answered PutObject / CompleteMultipartUpload. */
  complete(): Promise<SinkResult>;
  /** Drops everything (the run failed or was stopped); aborts an upload in progress. */
  discard(): Promise<void>;
}
