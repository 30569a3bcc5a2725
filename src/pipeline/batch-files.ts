import { createReadStream } from "node:fs";
import { rm } from "node:fs/promises";
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { createGunzip } from "node:zlib";
import type { S3Client } from "@aws-sdk/client-s3";
import type { DuckDBInstance } from "@duckdb/node-api";
import { InputError, TargetError } from "../errors.js";
import { isObject, type BatchMessage } from "../protocol/singer.js";
import { downloadObject, openObject, parseS3Url } from "../s3/read-object.js";
import { readLines } from "./line-reader.js";

export interface BatchFileContext {
  /** The run's S3 client: s3:// files are read with the target's own credentials and endpoint. */
  client: S3Client;
  signal: AbortSignal;
  runDir: string;
  maxLineBytes: number;
  openDb: () => Promise<DuckDBInstance>;
}

/** Receives each record of a batch file with its exact JSON text; a promise asks the reader to wait. */
export type BatchRecordHandler = (record: Record<string, unknown>, rawText: string) => Promise<void> | undefined;

/**
 * Reads every file of a BATCH message in manifest order and hands each record on, as if it had come in a RECORD
 * line at the BATCH's line. Errors name the BATCH line, the file and the record's line in it.
 */
export async function readBatchFiles(message: BatchMessage, line: number, ctx: BatchFileContext, onRecord: BatchRecordHandler): Promise<number> {
  let count = 0;
  for (const url of message.manifest) {
    let at = 0;
    const cleanup: string[] = [];
    try {
      const input = message.format === "jsonl" ? await openJsonl(url, message.compression, ctx, line) : await parquetAsJsonl(url, ctx, cleanup, line);
      await readLines(input, ctx.maxLineBytes, (text, n) => {
        // A signal or a failed upload stops a long batch file too (the run turns this into its own error).
        if (ctx.signal.aborted) throw new Error("the run was stopped");
        at = n;
        count++;
        return onRecord(parseRecord(text, message.stream, line), text);
      });
    } catch (error) {
      throw located(error, url, at, message.stream, line);
    } finally {
      for (const path of cleanup) await rm(path, { force: true });
    }
  }
  return count;
}

function parseRecord(text: string, stream: string, line: number): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new InputError(`a record of the BATCH for stream '${stream}' is not valid JSON (${(error as Error).message})`, line);
  }
  if (!isObject(value))
    throw new InputError(`a record of the BATCH for stream '${stream}' is not a JSON object: each line of a jsonl batch file is one record`, line);
  return value;
}

async function openSource(url: string, ctx: BatchFileContext, line: number): Promise<Readable> {
  if (url.startsWith("file:")) return createReadStream(fileURLToPath(url));
  const s3 = parseS3Url(url);
  if (s3) return openObject(ctx.client, s3.bucket, s3.key, ctx.signal);
  throw new InputError(`BATCH manifest entry '${url}' is neither a file:// nor an s3:// URL: target-s3 reads batch files from local disk or S3`, line);
}

async function openJsonl(url: string, compression: "gzip" | "none", ctx: BatchFileContext, line: number): Promise<Readable> {
  const source = await openSource(url, ctx, line);
  if (compression === "none") return source;
  const gunzip = createGunzip();
  source.on("error", (error) => gunzip.destroy(error));
  return source.pipe(gunzip);
}

/** DuckDB reads the Parquet file (local, or downloaded into the run folder) and writes its rows as JSON Lines. */
async function parquetAsJsonl(url: string, ctx: BatchFileContext, cleanup: string[], line: number): Promise<Readable> {
  let path: string;
  if (url.startsWith("file:")) path = fileURLToPath(url);
  else {
    const s3 = parseS3Url(url);
    if (!s3)
      throw new InputError(`BATCH manifest entry '${url}' is neither a file:// nor an s3:// URL: target-s3 reads batch files from local disk or S3`, line);
    path = join(ctx.runDir, `batch-${randomUUID()}.parquet`);
    cleanup.push(path);
    await downloadObject(ctx.client, s3.bucket, s3.key, path, ctx.signal);
  }
  const out = join(ctx.runDir, `batch-${randomUUID()}.jsonl`);
  cleanup.push(out);
  const instance = await ctx.openDb();
  try {
    const connection = await instance.connect();
    try {
      const source = `read_parquet(${sqlString(path)})`;
      const columns = (await connection.runAndReadAll(`DESCRIBE SELECT * FROM ${source}`)).getRowObjectsJson() as Array<{
        column_name: string;
        column_type: string;
      }>;
      await connection.run(`COPY (SELECT ${selectList(columns)} FROM ${source}) TO ${sqlString(out)} (FORMAT json)`);
    } finally {
      connection.closeSync();
    }
  } finally {
    instance.closeSync();
  }
  return createReadStream(out);
}

/**
 * Every column as DuckDB writes it to JSON, except timestamps: ISO 8601 in UTC with a Z (DuckDB's own JSON text,
 * `2024-01-02 03:04:05`, has no T and no zone, and a zoned value would follow the session's time zone).
 */
function selectList(columns: Array<{ column_name: string; column_type: string }>): string {
  const replaced = columns
    .filter((c) => c.column_type.startsWith("TIMESTAMP"))
    .map((c) => {
      const name = `"${c.column_name.replace(/"/g, '""')}"`;
      const utc = c.column_type === "TIMESTAMP WITH TIME ZONE" ? `timezone('UTC', ${name})` : `${name}::TIMESTAMP`;
      return `strftime(${utc}, '%Y-%m-%dT%H:%M:%S.%fZ') AS ${name}`;
    });
  return replaced.length === 0 ? "*" : `* REPLACE (${replaced.join(", ")})`;
}

function sqlString(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/** The error with where it happened: the BATCH line, the file, the record's line in the file. */
function located(error: unknown, url: string, at: number, stream: string, line: number): Error {
  // The line reader numbers the file's lines: its error becomes one at the BATCH's input line, naming the record.
  if (error instanceof InputError && error.line !== line) {
    return new InputError(`${error.reason} (BATCH file ${url}, record ${error.line})`, line);
  }
  const where = at > 0 ? `BATCH file ${url}, record ${at}` : `BATCH file ${url}`;
  if (error instanceof TargetError) {
    error.message = `${error.message} (${where})`;
    return error;
  }
  const reason = error instanceof Error ? error.message : String(error);
  const code = (error as { name?: string; Code?: string } | undefined)?.Code ?? (error as { code?: string } | undefined)?.code;
  return new InputError(
    `the BATCH for stream '${stream}' cannot read ${where} (${code ? `${code}: ` : ""}${reason}): check the manifest URL and that the target's credentials can read it`,
    line,
  );
}
