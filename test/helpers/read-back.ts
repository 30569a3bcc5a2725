// Reads objects back the way a user would: DuckDB (csv, csv.gz, parquet, jsonl, json, gzipped or not) and, for
// Parquet, an independent reader (hyparquet) that shares no code with DuckDB.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { parquetMetadata, parquetReadObjects, type FileMetaData } from "hyparquet";
import { compressors } from "hyparquet-compressors";
import type { S3TestServer } from "./s3-server.js";

export type ReadFormat = "csv" | "parquet" | "jsonl" | "json";

export interface ReadOptions {
  /** Overrides the format guessed from the key's extension. */
  format?: ReadFormat;
  /** Overrides gzip detection (default: the key ends in `.gz`). */
  gzip?: boolean;
  /** CSV options matching the target's `delimiter`, `quote_character`, `header` settings. */
  csv?: { delimiter?: string; quote?: string; header?: boolean };
}

/** Format and gzip from a key: x.csv, x.csv.gz, x.parquet, x.jsonl(.gz), x.ndjson(.gz), x.json(.gz). */
export function formatFromKey(key: string): { format: ReadFormat; gzip: boolean } {
  const gzip = key.endsWith(".gz");
  const base = gzip ? key.slice(0, -3) : key;
  const ext = base.slice(base.lastIndexOf(".") + 1).toLowerCase();
  switch (ext) {
    case "csv":
      return { format: "csv", gzip };
    case "parquet":
      return { format: "parquet", gzip };
    case "jsonl":
    case "ndjson":
      return { format: "jsonl", gzip };
    case "json":
      return { format: "json", gzip };
    default:
      throw new Error(`Cannot tell the file format of '${key}': pass { format } to the reader.`);
  }
}

const sqlString = (s: string): string => `'${s.replaceAll("'", "''")}'`;

let connectionPromise: Promise<DuckDBConnection> | undefined;
let duckTempDir: string | undefined;

/** One in-memory DuckDB per test worker, set up so it writes nothing outside a temp dir and downloads nothing. */
function duck(): Promise<DuckDBConnection> {
  connectionPromise ??= (async () => {
    duckTempDir = mkdtempSync(join(tmpdir(), "target-s3-readback-duckdb-"));
    const instance = await DuckDBInstance.create(":memory:", {
      threads: "2",
      memory_limit: "512MB",
      temp_directory: join(duckTempDir, "spill"),
      extension_directory: join(duckTempDir, "extensions"),
      autoinstall_known_extensions: "false",
      autoload_known_extensions: "false",
    });
    return instance.connect();
  })();
  return connectionPromise;
}
process.on("exit", () => {
  if (duckTempDir) rmSync(duckTempDir, { recursive: true, force: true });
});

/** The DuckDB table function call that reads a local file. */
export function readSql(path: string, opts: ReadOptions & { format: ReadFormat; gzip: boolean }): string {
  const file = sqlString(path);
  const compression = opts.gzip ? "'gzip'" : "'uncompressed'";
  switch (opts.format) {
    case "csv": {
      const args = [
        file,
        `header=${opts.csv?.header ?? true}`,
        "all_varchar=true",
        // "" stays an empty string; only an empty unquoted cell is NULL.
        "allow_quoted_nulls=false",
        `compression=${opts.gzip ? "'gzip'" : "'none'"}`,
      ];
      if (opts.csv?.delimiter !== undefined) args.push(`delim=${sqlString(opts.csv.delimiter)}`);
      if (opts.csv?.quote !== undefined) args.push(`quote=${sqlString(opts.csv.quote)}`);
      return `read_csv(${args.join(", ")})`;
    }
    case "parquet":
      return `read_parquet(${file})`;
    case "jsonl":
      return `read_json(${file}, format='newline_delimited', compression=${compression})`;
    case "json":
      return `read_json(${file}, format='auto', compression=${compression})`;
  }
}

/**
 * Reads a local file with DuckDB and returns its rows in file order as JSON-safe objects (DuckDB's
 * getRowObjectsJson: BIGINT/HUGEINT/DECIMAL/timestamps come back as strings, DOUBLE/INTEGER as numbers, lists as
 * arrays, structs as objects; read_json infers BIGINT for integers, so JSON integers come back as strings).
 * CSV is read with all_varchar=true, so every cell is a string; an empty unquoted cell is null, a quoted "" is "".
 */
export async function readFileRows(path: string, opts: ReadOptions = {}): Promise<Record<string, unknown>[]> {
  const guessed = opts.format === undefined ? formatFromKey(path) : { format: opts.format, gzip: path.endsWith(".gz") };
  const resolved = { ...opts, format: guessed.format, gzip: opts.gzip ?? guessed.gzip };
  const conn = await duck();
  const reader = await conn.runAndReadAll(`SELECT * FROM ${readSql(path, resolved)}`);
  return reader.getRowObjectsJson();
}

/** Downloads s3://bucket/key to a temp file and reads it back with DuckDB (format from the key's extension). */
export async function readObjectRows(
  server: Pick<S3TestServer, "getObject">,
  bucket: string,
  key: string,
  opts: ReadOptions = {},
): Promise<Record<string, unknown>[]> {
  const guessed = opts.format === undefined ? formatFromKey(key) : { format: opts.format, gzip: key.endsWith(".gz") };
  const body = await server.getObject(bucket, key);
  const dir = mkdtempSync(join(tmpdir(), "target-s3-readback-"));
  try {
    // DuckDB picks compression from the name too: keep a name that matches what we tell it.
    const gzip = opts.gzip ?? guessed.gzip;
    const path = join(dir, `object.${guessed.format}${gzip ? ".gz" : ""}`);
    writeFileSync(path, body);
    return await readFileRows(path, { ...opts, format: guessed.format, gzip });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Every object under prefix (sorted by key), each read back with readObjectRows. */
export async function readAllRows(
  server: Pick<S3TestServer, "getObject" | "listObjects">,
  bucket: string,
  prefix?: string,
  opts: ReadOptions = {},
): Promise<Map<string, Record<string, unknown>[]>> {
  const out = new Map<string, Record<string, unknown>[]>();
  for (const { key } of await server.listObjects(bucket, prefix)) {
    out.set(key, await readObjectRows(server, bucket, key, opts));
  }
  return out;
}

function toArrayBuffer(buffer: Buffer | Uint8Array): ArrayBuffer {
  const copy = new Uint8Array(buffer.byteLength);
  copy.set(buffer);
  return copy.buffer;
}

/**
 * Reads a Parquet file with hyparquet (independent of DuckDB; zstd/gzip/snappy/brotli/lz4 via hyparquet-compressors).
 * Values are hyparquet's: INT64 → bigint, TIMESTAMP → Date, DATE → Date, JSON logical type → parsed value
 * (JSON.parse, so integers beyond 2^53 lose precision there), STRING → string. Pass the result through
 * `toJsonSafe` to compare with JSON.
 */
export async function readParquetIndependently(buffer: Buffer | Uint8Array, opts: { columns?: string[] } = {}): Promise<Record<string, unknown>[]> {
  return parquetReadObjects({
    file: toArrayBuffer(buffer),
    compressors,
    ...(opts.columns ? { columns: opts.columns } : {}),
  });
}

/** hyparquet's file metadata (schema with logical types, row groups, codecs). */
export function readParquetMetadata(buffer: Buffer | Uint8Array): FileMetaData {
  return parquetMetadata(toArrayBuffer(buffer));
}

/** bigint → string when beyond 2^53 else number, Date → ISO string, Uint8Array → base64, recursively. */
export function toJsonSafe(value: unknown): unknown {
  if (typeof value === "bigint") {
    return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(value) : value.toString();
  }
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Uint8Array) return Buffer.from(value).toString("base64");
  if (Array.isArray(value)) return value.map(toJsonSafe);
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = toJsonSafe(v);
    return out;
  }
  return value;
}

/**
 * Every number, bigint and boolean as its string, recursively (null stays null): compares rows read back with the
 * records sent whatever each reader made of the number types. Build expected big integers from strings, not
 * JSON.parse (which rounds beyond 2^53).
 */
export function scalarsToStrings(value: unknown): unknown {
  if (typeof value === "number" || typeof value === "bigint" || typeof value === "boolean") return String(value);
  if (Array.isArray(value)) return value.map(scalarsToStrings);
  if (value !== null && typeof value === "object" && !(value instanceof Date)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = scalarsToStrings(v);
    return out;
  }
  return value;
}
