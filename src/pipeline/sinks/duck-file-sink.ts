import { rm, stat } from "node:fs/promises";
import { join } from "node:path";
import type { DuckDBInstance } from "@duckdb/node-api";
import { FileWriteError } from "../../errors.js";
import { quoteLiteral } from "../../schema/projection.js";
import { copyOptions, type FileFormat } from "../file-format.js";
import { Spool } from "../spool.js";
import type { SpoolEntry } from "../spool-entry.js";
import type { Uploader } from "../uploader.js";
import type { PartitionSink, SinkResult } from "./partition-sink.js";
import type { SerialQueue } from "./serial-queue.js";

export interface DuckSinkOptions {
  /** A fresh instance per conversion: closing it returns DuckDB's memory, so RSS stays flat between files. */
  openDb: () => Promise<DuckDBInstance>;
  /** Conversions of the whole run, one at a time. */
  conversions: SerialQueue;
  format: FileFormat;
  /** read_ndjson `columns={...}` and the SELECT list, from the stream's schema (projection.ts). */
  readColumns: string;
  select: string;
  dir: string;
  fileId: () => number;
  uploader: Uploader;
  key: string;
  contentType: string;
  gzip: boolean;
  stream: string;
  signal: AbortSignal;
}

/**
 * CSV and Parquet: records are spooled to a local NDJSON file (their source text, so nothing is re-serialised);
 * `complete` has DuckDB type and write them in one streaming pass — `COPY (SELECT … FROM read_ndjson(…))` with
 * explicit column types: exact integers, UTC offsets kept — and uploads the file. DuckDB works on its own
 * threads while the main thread reads the next batch; its memory is bounded by memory_limit whatever the size.
 */
export class DuckFileSink implements PartitionSink {
  private readonly spool: Spool;

  constructor(private readonly o: DuckSinkOptions) {
    this.spool = new Spool(join(o.dir, `spool-${o.fileId()}.jsonl`));
  }

  get key(): string {
    return this.o.key;
  }
  get rows(): number {
    return this.spool.rows;
  }
  get chars(): number {
    return this.spool.chars;
  }
  get firstLine(): number {
    return this.spool.firstLine;
  }
  get lastLine(): number {
    return this.spool.lastLine;
  }

  append(entry: SpoolEntry, line: number): Promise<void> | undefined {
    return this.spool.append(entry, line);
  }

  async complete(): Promise<SinkResult> {
    const out = join(this.o.dir, `file-${this.o.fileId()}.${this.o.format.fileType}`);
    try {
      await this.spool.close();
      await this.o.conversions.run(() => this.convert(out));
      await rm(this.spool.path, { force: true });
      const bytes = (await stat(out)).size;
      const receipt = await this.o.uploader.upload(
        { localPath: out, key: this.o.key, contentType: this.o.contentType, gzip: this.o.gzip, jsonArray: false, signal: this.o.signal },
        bytes,
      );
      return { receipt, rows: this.spool.rows };
    } finally {
      await Promise.all([rm(out, { force: true }), rm(this.spool.path, { force: true })]);
    }
  }

  async discard(): Promise<void> {
    await this.spool.discard();
    await rm(this.spool.path, { force: true });
  }

  private async convert(out: string): Promise<void> {
    // DuckDB allocates this per reader thread: enough for the longest line.
    const bufferBytes = Math.max(2 << 20, this.spool.longestLine + 1024);
    const source = `read_ndjson(${quoteLiteral(this.spool.path)}, columns=${this.o.readColumns}, maximum_object_size=${bufferBytes}, ignore_errors=false)`;
    const db = await this.o.openDb();
    const connection = await db.connect();
    try {
      // Date-times without an offset are UTC, and CSV date-times are printed in UTC.
      await connection.run("SET TimeZone = 'UTC'");
      await connection.run(`COPY (SELECT ${this.o.select} FROM ${source}) TO ${quoteLiteral(out)} (${copyOptions(this.o.format)})`);
    } catch (error) {
      const reason = error instanceof Error ? (error.message.split("\n")[0] ?? error.message) : String(error);
      throw new FileWriteError(
        `could not convert the records of stream '${this.o.stream}' from input lines ${this.spool.firstLine}–${this.spool.lastLine} to ${this.o.format.fileType}: ${reason}; ` +
          "check that the values match the SCHEMA types (turn validate_records on to find the exact line)",
        { cause: error },
      );
    } finally {
      connection.closeSync();
      db.closeSync();
    }
  }
}
