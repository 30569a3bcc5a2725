import { rm } from "node:fs/promises";
import { join } from "node:path";
import type { DuckDBInstance } from "@duckdb/node-api";
import { FileWriteError } from "../../errors.js";
import { quoteLiteral } from "../../schema/projection.js";
import { copyOptions, PARQUET_ROW_GROUP_ROWS, type FileFormat } from "../file-format.js";
import { Spool, SPOOL_BUFFER_BYTES } from "../spool.js";
import type { SpoolEntry } from "../spool-entry.js";
import type { Uploader } from "../../s3/uploader.js";
import type { Backlog } from "./backlog.js";
import type { PartitionSink, SinkResult } from "./partition-sink.js";
import { SegmentedUpload } from "./segmented-upload.js";
import type { SerialQueue } from "./serial-queue.js";
import { FirstFailure } from "../first-failure.js";
import { findCulprit } from "../spool-culprit.js";

/**
 * A segment is converted once it holds this many records (four Parquet row groups) … Each conversion has a fixed
 * cost (a fresh DuckDB instance, its memory faulted in again): four row groups per conversion instead of one cut the
 * target's CPU per record by 12–22% in the bench (docs/decisions/0004), for ~15 MB more peak RSS in Parquet.
 */
const SEGMENT_ROWS = 4 * PARQUET_ROW_GROUP_ROWS;
/** … or this many bytes of records, whichever comes first. */
const SEGMENT_CHARS = 64 << 20;

export interface DuckSinkOptions {
  /** A fresh instance per conversion: closing it returns DuckDB's memory, so RSS stays flat between files. */
  openDb: () => Promise<DuckDBInstance>;
  /** Conversions of the whole run, one at a time. */
  conversions: SerialQueue;
  /** Segments of the whole run waiting for conversion or upload; appends wait while it is full. */
  backlog: Backlog;
  format: FileFormat;
  /** read_ndjson `columns={...}` and the SELECT list, from the stream's schema (projection.ts). */
  readColumns: string;
  select: string;
  /** The memory_limit setting, named when a conversion runs out of it. */
  memoryLimit: string;
  /** Wraps the read_ndjson call (wide records are picked apart in a subquery). */
  from: (read: string) => string;
  dir: string;
  fileId: () => number;
  uploader: Uploader;
  key: string;
  contentType: string;
  gzip: boolean;
  /** Upper bound of the object's size (sizes multipart parts). */
  sizeHint: number;
  stream: string;
  signal: AbortSignal;
  onError: (error: unknown) => void;
  /** The stream's next free key, for a key another writer took first (uploader.ts); undefined with deterministic_keys. */
  nextKey?: (() => string) | undefined;
  /** Told how long each conversion took. */
  onConverted?: (seconds: number) => void;
}

/**
 * CSV and Parquet. Records (their source text, so nothing is re-serialised) are spooled to local NDJSON in
 * segments; each full segment is typed and written by DuckDB on its own thread while the main thread goes on
 * parsing — `COPY (SELECT … FROM read_ndjson(…))` with explicit column types: exact integers, UTC offsets kept —
 * and its output is appended to the object's upload stream at once (segmented-upload.ts joins the pieces into
 * one CSV or Parquet file). Completing the file then only converts its last segment. One conversion at a time
 * for the run, each in a fresh DuckDB instance, so memory stays bounded whatever the file size.
 */
export class DuckFileSink implements PartitionSink {
  private spool: Spool | undefined;
  private segments = 0;
  private closedRows = 0;
  private closedChars = 0;
  firstLine = 0;
  private closedLastLine = 0;
  /** Each segment's output is appended after the previous one's. */
  private appended: Promise<void> = Promise.resolve();
  private readonly pending = new Set<Promise<void>>();
  private readonly output: SegmentedUpload;
  private discarding = false;
  private readonly failure = new FirstFailure();

  constructor(private readonly o: DuckSinkOptions) {
    this.output = new SegmentedUpload({
      uploader: o.uploader,
      key: o.key,
      contentType: o.contentType,
      gzip: o.gzip,
      parquet: o.format.fileType === "parquet",
      sizeHint: o.sizeHint,
      signal: o.signal,
      nextKey: o.nextKey,
      onError: (error) => this.fail(error),
    });
  }

  get key(): string {
    return this.o.key;
  }
  get rows(): number {
    return this.closedRows + (this.spool?.rows ?? 0);
  }
  get chars(): number {
    return this.closedChars + (this.spool?.chars ?? 0);
  }
  get lastLine(): number {
    return this.spool?.lastLine ?? this.closedLastLine;
  }

  /** The open spool's buffers, and once a segment was converted, the upload's part being filled. */
  get heldBytes(): number {
    return (this.spool?.holdsBuffers ? SPOOL_BUFFER_BYTES : 0) + (this.segments > 0 ? this.output.partBytes : 0);
  }

  release(): void {
    this.spool?.release();
  }

  append(entry: SpoolEntry, line: number): Promise<void> | undefined {
    if (this.failure.happened) return this.failure.rejection();
    if (this.rows === 0) this.firstLine = line;
    this.spool ??= new Spool(join(this.o.dir, `spool-${this.o.fileId()}.jsonl`));
    const wait = this.spool.append(entry, line);
    if (this.spool.rows < SEGMENT_ROWS && this.spool.chars < SEGMENT_CHARS) return wait;
    this.cutSegment();
    const room = this.o.backlog.room();
    return wait && room ? Promise.all([wait, room]).then(() => undefined) : (wait ?? room);
  }

  async complete(): Promise<SinkResult> {
    this.cutSegment();
    await this.appended;
    this.failure.throwIfAny();
    const receipt = await this.output.finish();
    return { receipt, rows: this.rows };
  }

  async discard(): Promise<void> {
    this.discarding = true;
    this.failure.record(new Error("discarded"));
    const spool = this.spool;
    this.spool = undefined;
    if (spool) {
      await spool.discard();
      await rm(spool.path, { force: true });
    }
    await this.output.abort();
    await Promise.allSettled([...this.pending]);
  }

  /** Hands the current segment to DuckDB; its output joins the upload after the previous segment's. */
  private cutSegment(): void {
    const spool = this.spool;
    if (!spool || spool.rows === 0) return;
    this.spool = undefined;
    this.closedRows += spool.rows;
    this.closedChars += spool.chars;
    this.closedLastLine = spool.lastLine;
    const index = this.segments++;
    const out = join(this.o.dir, `file-${this.o.fileId()}.${this.o.format.fileType}`);
    const converted = spool
      .close()
      .then(() => this.o.conversions.run(() => this.convert(spool, out, index)))
      .finally(() => rm(spool.path, { force: true }));
    const previous = this.appended;
    const segment = Promise.all([converted, previous])
      .then(() => this.output.append(out))
      .finally(() => rm(out, { force: true }));
    this.appended = segment;
    const settled = segment.catch((error: unknown) => this.fail(error));
    this.pending.add(settled);
    void settled.finally(() => this.pending.delete(settled));
    this.o.backlog.track(settled);
  }

  private fail(error: unknown): void {
    if (!this.failure.record(error)) return;
    if (!this.discarding) this.o.onError(error);
  }

  private async convert(spool: Spool, out: string, index: number): Promise<void> {
    this.failure.throwIfAny();
    // DuckDB allocates this per reader thread: enough for the longest line.
    const bufferBytes = Math.max(2 << 20, spool.longestLine + 1024);
    const read = `read_ndjson(${quoteLiteral(spool.path)}, columns=${this.o.readColumns}, maximum_object_size=${bufferBytes}, ignore_errors=false)`;
    // Segments after the first continue the same CSV: no second header.
    const format = index === 0 ? this.o.format : { ...this.o.format, header: false };
    const started = performance.now();
    const db = await this.o.openDb();
    const connection = await db.connect();
    try {
      // Date-times without an offset are UTC, and CSV date-times are printed in UTC.
      await connection.run("SET TimeZone = 'UTC'");
      await connection.run(`COPY (SELECT ${this.o.select} FROM ${this.o.from(read)}) TO ${quoteLiteral(out)} (${copyOptions(format)})`);
    } catch (error) {
      throw await this.conversionError(error, spool);
    } finally {
      connection.closeSync();
      db.closeSync();
      this.o.onConverted?.((performance.now() - started) / 1000);
    }
  }

  /** The failed conversion as one sentence naming the input line when it can be found (spool-culprit.ts). */
  private async conversionError(error: unknown, spool: Spool): Promise<FileWriteError> {
    const first = error instanceof Error ? (error.message.split("\n")[0] ?? error.message) : String(error);
    const culprit = await findCulprit(spool.path, first);
    const what = `could not convert the records of stream '${this.o.stream}' from input lines ${spool.firstLine}–${spool.lastLine} to ${this.o.format.fileType}`;
    if (culprit?.problem !== undefined) {
      return new FileWriteError(
        `${what}: input line ${culprit.line}: ${culprit.problem}; fix the tap, or turn validate_records on so that invalid_record_policy refuses such records at their line`,
        { cause: error },
      );
    }
    // DuckDB names the line of its spool file, which means nothing to the user: the input line replaces it.
    const reason = culprit ? first.replace(/in file "[^"]*", in line \d+/, `at input line ${culprit.line}`) : first;
    // DuckDB's memory grows with the number of columns: a wide stream's file can need more than memory_limit.
    const fix = /Out of Memory/i.test(reason)
      ? `raise memory_limit (now ${this.o.memoryLimit}): very wide streams need more, e.g. 1GB for 10,000 Parquet columns`
      : "check that the values match the SCHEMA types (turn validate_records on to find the exact line)";
    return new FileWriteError(`${what}: ${reason}; ${fix}`, { cause: error });
  }
}
