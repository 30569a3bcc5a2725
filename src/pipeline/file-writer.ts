import { stat } from "node:fs/promises";
import type { DuckDBInstance } from "@duckdb/node-api";
import { FileWriteError } from "../errors.js";
import type { Column } from "../schema/columns.js";
import { projectionSql, quoteLiteral } from "../schema/projection.js";
import type { Spool } from "./spool.js";

export interface FileFormat {
  fileType: "csv" | "parquet" | "jsonl" | "json";
  compression: "none" | "gzip";
  parquetCompression: "snappy" | "zstd" | "gzip" | "uncompressed";
  delimiter: string;
  quoteCharacter: string;
  header: boolean;
}

export function extensionOf(format: FileFormat): string {
  if (format.fileType === "parquet") return "parquet";
  return format.compression === "gzip" ? `${format.fileType}.gz` : format.fileType;
}

export function contentTypeOf(format: FileFormat): string {
  if (format.fileType === "parquet") return "application/vnd.apache.parquet";
  if (format.compression === "gzip") return "application/gzip";
  return { csv: "text/csv", jsonl: "application/x-ndjson", json: "application/json" }[format.fileType];
}

/** JSON formats are written "as sent" by Node from the spool; CSV and Parquet are typed and written by DuckDB. */
export function isDuckFormat(format: FileFormat): boolean {
  return format.fileType === "csv" || format.fileType === "parquet";
}

export interface WrittenFile {
  path: string;
  bytes: number;
  rows: number;
}

/** DuckDB allocates this per reader thread: big enough for the longest line (UTF-8 ≤ 3 bytes per code unit), no bigger. */
function readBufferBytes(spool: Spool): number {
  return Math.max(2 << 20, spool.longestLine * 3 + 1024);
}

/** Turns a closed spool into the local file that will be uploaded. */
export class FileWriter {
  constructor(
    private readonly db: DuckDBInstance,
    private readonly format: FileFormat,
  ) {}

  async write(spool: Spool, columns: Column[], metadata: boolean, batchedAt: Date, outPath: string, stream: string): Promise<WrittenFile> {
    if (!isDuckFormat(this.format)) return { path: spool.path, bytes: (await stat(spool.path)).size, rows: spool.rows };
    const { readColumns, select } = projectionSql(columns, {
      format: this.format.fileType === "parquet" ? "parquet" : "csv",
      metadata,
      batchedAt,
    });
    const source = `read_ndjson(${quoteLiteral(spool.path)}, columns=${readColumns}, maximum_object_size=${readBufferBytes(spool)}, ignore_errors=false)`;
    const sql = `COPY (SELECT ${select} FROM ${source}) TO ${quoteLiteral(outPath)} (${this.copyOptions()})`;
    const connection = await this.db.connect();
    try {
      // Date-times without an offset are UTC, and CSV date-times are printed in UTC.
      await connection.run("SET TimeZone = 'UTC'");
      await connection.run(sql);
    } catch (error) {
      const reason = error instanceof Error ? error.message.split("\n")[0] : String(error);
      throw new FileWriteError(
        `could not convert the records of stream '${stream}' from input lines ${spool.firstLine}–${spool.lastLine} to ${this.format.fileType}: ${reason}; ` +
          "check that the values match the SCHEMA types (turn validate_records on to find the exact line)",
        { cause: error },
      );
    } finally {
      connection.closeSync();
    }
    return { path: outPath, bytes: (await stat(outPath)).size, rows: spool.rows };
  }

  private copyOptions(): string {
    const f = this.format;
    if (f.fileType === "parquet") return `FORMAT parquet, COMPRESSION ${f.parquetCompression}`;
    return [
      "FORMAT csv",
      `HEADER ${f.header ? "true" : "false"}`,
      `DELIMITER ${quoteLiteral(f.delimiter)}`,
      `QUOTE ${quoteLiteral(f.quoteCharacter)}`,
      `ESCAPE ${quoteLiteral(f.quoteCharacter)}`,
    ].join(", ");
  }
}
