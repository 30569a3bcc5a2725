// Shared by the reliability tests (faults, crash, signals, bad input): deterministic inputs and read-back by key.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { generateSinger, type GenerateSummary } from "../../bench/generate.js";
import { formatFromKey, readSql } from "../helpers/read-back.js";
import type { S3TestServer } from "../helpers/s3-server.js";

/** The bench generator's multi-stream Singer output (3 streams, STATE every 10,000 records) as one string. */
export function singerInput(records: number, seed?: number): { text: string; summary: GenerateSummary } {
  const chunks: string[] = [];
  const summary = generateSinger(records, (c) => chunks.push(c), seed === undefined ? {} : { seed });
  return { text: chunks.join(""), summary };
}

/** Writes text to a fresh temp file (removed by the caller through `dir`). */
export function tempFile(text: string | Buffer, name = "input.jsonl"): { path: string; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), "target-s3-rel-"));
  const path = join(dir, name);
  writeFileSync(path, text);
  return { path, dir };
}

let conn: Promise<DuckDBConnection> | undefined;
let duckDir: string | undefined;
function duck(): Promise<DuckDBConnection> {
  conn ??= (async () => {
    duckDir = mkdtempSync(join(tmpdir(), "target-s3-rel-duck-"));
    const db = await DuckDBInstance.create(":memory:", {
      threads: "2",
      memory_limit: "512MB",
      temp_directory: join(duckDir, "spill"),
      extension_directory: join(duckDir, "ext"),
      autoinstall_known_extensions: "false",
      autoload_known_extensions: "false",
    });
    return db.connect();
  })();
  return conn;
}
process.on("exit", () => {
  if (duckDir) rmSync(duckDir, { recursive: true, force: true });
});

/** How often each key value occurs, per stream (the stream is the key's first folder under `prefix`). */
export type KeyCounts = Map<string, Map<string, number>>;

/**
 * Downloads every object under prefix and counts the `id` column per stream with DuckDB (CSV read as text, so ids
 * compare as their decimal text). Objects whose name does not end in a known extension are an error.
 */
export async function countIds(server: S3TestServer, bucket: string, prefix = ""): Promise<{ counts: KeyCounts; objects: number }> {
  const c = await duck();
  const counts: KeyCounts = new Map();
  const objects = await server.listObjects(bucket, prefix);
  const dir = mkdtempSync(join(tmpdir(), "target-s3-rel-read-"));
  try {
    let i = 0;
    for (const { key } of objects) {
      const stream = key.slice(prefix.length).split("/")[0] ?? "";
      const { format, gzip } = formatFromKey(key);
      const path = join(dir, `o${i++}.${format}${gzip ? ".gz" : ""}`);
      writeFileSync(path, await server.getObject(bucket, key));
      const reader = await c.runAndReadAll(`SELECT CAST(id AS VARCHAR) AS id, count(*)::INTEGER AS n FROM ${readSql(path, { format, gzip })} GROUP BY 1`);
      const perStream = counts.get(stream) ?? new Map<string, number>();
      counts.set(stream, perStream);
      for (const row of reader.getRowObjectsJson() as Array<{ id: string; n: number }>) perStream.set(row.id, (perStream.get(row.id) ?? 0) + Number(row.n));
      rmSync(path, { force: true });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { counts, objects: objects.length };
}

/** Missing ids (1..expected) and ids stored more than once, per stream. */
export function compareCounts(counts: KeyCounts, expected: Record<string, number>): { missing: number; duplicates: number; extra: number; detail: string[] } {
  let missing = 0;
  let duplicates = 0;
  let extra = 0;
  const detail: string[] = [];
  for (const [stream, n] of Object.entries(expected)) {
    const got = counts.get(stream) ?? new Map<string, number>();
    let m = 0;
    let d = 0;
    for (let id = 1; id <= n; id++) {
      const k = got.get(String(id)) ?? 0;
      if (k === 0) m++;
      else d += k - 1;
    }
    let x = 0;
    for (const id of got.keys()) if (!(Number(id) >= 1 && Number(id) <= n)) x++;
    if (m + d + x > 0) detail.push(`${stream}: ${m} missing, ${d} duplicated, ${x} unexpected ids`);
    missing += m;
    duplicates += d;
    extra += x;
  }
  return { missing, duplicates, extra, detail };
}
