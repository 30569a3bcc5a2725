import { rm, stat } from "node:fs/promises";
import { join } from "node:path";
import type { DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import { FileWriteError } from "../../errors.js";
import { quoteLiteral } from "../../schema/projection.js";
import { copyOptions, type FileFormat } from "../file-writer.js";
import { Spool } from "../spool.js";
import type { Uploader } from "../uploader.js";
import type { PartitionSink, SinkResult } from "./partition-sink.js";

/** Records per chunk handed to DuckDB while reading goes on. */
const CHUNK_ROWS = 50_000;
const CHUNK_CHARS = 32 << 20;
/** Chunks waiting for DuckDB before reading pauses. */
const MAX_QUEUED_CHUNKS = 2;

export interface DuckSinkOptions {
  db: DuckDBInstance;
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
  onError: (error: unknown) => void;
}

/**
 * CSV and Parquet: spooled records go into a DuckDB temporary table in chunks while the main thread keeps reading
 * (DuckDB types them on its own threads, from the source text: exact integers, UTC offsets kept). `complete`
 * COPYs the table to a local file and uploads it. Memory is bounded by DuckDB's memory_limit (it spills to
 * temp_directory) and by the chunk queue.
 */
export class DuckTableSink implements PartitionSink {
  rows = 0;
  chars = 0;
  firstLine = 0;
  lastLine = 0;
  private chunk: Spool | undefined;
  private connection: DuckDBConnection | undefined;
  private ingesting: Promise<void> = Promise.resolve();
  private queued = 0;
  private tableReady = false;
  private failure: unknown;
  private readonly table: string;

  constructor(private readonly o: DuckSinkOptions) {
    this.table = `buffer_${o.fileId()}`;
  }

  get key(): string {
    return this.o.key;
  }

  append(text: string, line: number): Promise<void> | undefined {
    if (this.rows === 0) this.firstLine = line;
    this.lastLine = line;
    this.rows++;
    this.chars += text.length;
    const chunk = (this.chunk ??= new Spool(join(this.o.dir, `chunk-${this.o.fileId()}.jsonl`)));
    const writing = chunk.append(text, line);
    if (chunk.rows < CHUNK_ROWS && chunk.chars < CHUNK_CHARS) return writing;
    this.sealChunk();
    if (this.queued <= MAX_QUEUED_CHUNKS) return writing;
    const ingesting = this.ingesting;
    return writing ? writing.then(() => ingesting) : ingesting;
  }

  async complete(): Promise<SinkResult> {
    this.sealChunk();
    await this.ingesting;
    if (this.failure !== undefined) throw this.failure;
    const out = join(this.o.dir, `file-${this.o.fileId()}.${this.o.format.fileType}`);
    try {
      await this.run(`COPY ${this.table} TO ${quoteLiteral(out)} (${copyOptions(this.o.format)})`);
      await this.run(`DROP TABLE ${this.table}`);
      this.closeConnection();
      const bytes = (await stat(out)).size;
      const receipt = await this.o.uploader.upload(
        { localPath: out, key: this.o.key, contentType: this.o.contentType, gzip: this.o.gzip, jsonArray: false, signal: this.o.signal },
        bytes,
      );
      return { receipt, rows: this.rows };
    } finally {
      await rm(out, { force: true });
    }
  }

  async discard(): Promise<void> {
    const chunk = this.chunk;
    this.chunk = undefined;
    this.failure ??= new Error("discarded");
    await chunk?.discard();
    await this.ingesting.catch(() => undefined);
    this.closeConnection();
  }

  private sealChunk(): void {
    const chunk = this.chunk;
    if (!chunk || chunk.rows === 0) return;
    this.chunk = undefined;
    this.queued++;
    this.ingesting = this.ingesting
      .then(() => this.ingest(chunk))
      .catch((error: unknown) => {
        if (this.failure === undefined) {
          this.failure = error;
          this.o.onError(error);
        }
      })
      .finally(() => {
        this.queued--;
        void rm(chunk.path, { force: true });
      });
  }

  private async ingest(chunk: Spool): Promise<void> {
    await chunk.close();
    if (this.failure !== undefined) return;
    const bufferBytes = Math.max(2 << 20, chunk.longestLine * 3 + 1024);
    const source = `read_ndjson(${quoteLiteral(chunk.path)}, columns=${this.o.readColumns}, maximum_object_size=${bufferBytes}, ignore_errors=false)`;
    const query = `SELECT ${this.o.select} FROM ${source}`;
    try {
      await this.run(this.tableReady ? `INSERT INTO ${this.table} ${query}` : `CREATE TEMP TABLE ${this.table} AS ${query}`);
      this.tableReady = true;
    } catch (error) {
      const reason = error instanceof Error ? (error.message.split("\n")[0] ?? error.message) : String(error);
      throw new FileWriteError(
        `could not convert the records of stream '${this.o.stream}' from input lines ${chunk.firstLine}–${chunk.lastLine} to ${this.o.format.fileType}: ${reason}; ` +
          "check that the values match the SCHEMA types (turn validate_records on to find the exact line)",
        { cause: error },
      );
    }
  }

  private async run(sql: string): Promise<void> {
    if (!this.connection) {
      this.connection = await this.o.db.connect();
      // Date-times without an offset are UTC, and CSV date-times are printed in UTC.
      await this.connection.run("SET TimeZone = 'UTC'");
    }
    await this.connection.run(sql);
  }

  private closeConnection(): void {
    this.connection?.closeSync();
    this.connection = undefined;
  }
}
