// The run manifest (write_manifest, manifest_redshift_entries): the real CLI against s3rver; every listed object
// is read back and compared with the input, and the manifest's facts (bytes, ETag, rows) with the store's.
import { HeadObjectCommand } from "@aws-sdk/client-s3";
import { describe, expect, it } from "vitest";
import type { FaultProxy } from "../helpers/fault-proxy.js";
import { readObjectRows } from "../helpers/read-back.js";
import { runCli, s3Config, writeConfig } from "../helpers/run-cli.js";
import type { S3TestServer } from "../helpers/s3-server.js";
import { useS3WithProxy } from "../helpers/s3-fixture.js";

let s3: S3TestServer;
let proxy: FaultProxy;
let bucket: string;

useS3WithProxy((f) => ({ s3, proxy, bucket } = f));

interface Rec {
  id: number;
  name: string;
  updated_at: string;
}

const schema = (stream: string): string =>
  JSON.stringify({
    type: "SCHEMA",
    stream,
    schema: { type: "object", properties: { id: { type: "integer" }, name: { type: "string" }, updated_at: { type: "string", format: "date-time" } } },
    key_properties: ["id"],
    // users has a cursor (its range goes into the manifest), orders has none.
    ...(stream === "users" ? { bookmark_properties: ["updated_at"] } : {}),
  });

/** Two streams interleaved, `perStream` records each, a STATE after every 4th line and a final one. */
function input(perStream: number): { text: string; records: Map<string, Rec[]> } {
  const lines = [schema("users"), schema("orders")];
  const records = new Map<string, Rec[]>([
    ["users", []],
    ["orders", []],
  ]);
  for (let i = 0; i < perStream; i++) {
    for (const stream of ["users", "orders"]) {
      const record = { id: i, name: `${stream}-${i}`, updated_at: `2024-03-${String(1 + (i % 28)).padStart(2, "0")}T10:00:00Z` };
      records.get(stream)?.push(record);
      lines.push(JSON.stringify({ type: "RECORD", stream, record }));
    }
    if (i % 4 === 3) lines.push(JSON.stringify({ type: "STATE", value: { at: i } }));
  }
  lines.push(JSON.stringify({ type: "STATE", value: { at: "end" } }));
  return { text: lines.join("\n") + "\n", records };
}

interface ManifestJson {
  manifest_version: number;
  target: string;
  target_version: string;
  connection_id: string;
  connection_run_id: string;
  started_at: string;
  finished_at: string;
  bucket: string;
  file_type: string;
  compression: string;
  object_count: number;
  row_count: number;
  byte_count: number;
  streams: Record<string, { objects: number; rows: number; bytes: number; redshift_manifest?: string }>;
  objects: Array<{
    key: string;
    url: string;
    stream: string;
    rows: number;
    bytes: number;
    etag: string | null;
    schema_hash: string;
    min_cursor: unknown;
    max_cursor: unknown;
    first_line: number;
    last_line: number;
  }>;
  entries?: Array<{ url: string; mandatory: boolean; meta: { content_length: number } }>;
}

async function readJson<T>(key: string): Promise<T> {
  return JSON.parse((await s3.getObject(bucket, key)).toString("utf8")) as T;
}

describe("run manifest", () => {
  it("lists every object of the run with rows, bytes and ETag matching the store, and Redshift entries per stream", async () => {
    const { text, records } = input(25);
    const config = writeConfig(
      s3Config(s3, `s3://${bucket}/lake`, {
        object_key_path: "raw",
        file_type: "jsonl",
        batch_size_rows: 10,
        connection_id: "conn-a",
        connection_run_id: "run-42",
        write_manifest: true,
        manifest_redshift_entries: true,
      }),
    );
    const result = await runCli(["--config", config], { input: text });
    expect(result.stderr).not.toMatch(/ERROR/);
    expect(result.code).toBe(0);
    expect(result.stateLines.at(-1)).toEqual({ at: "end" });
    expect(result.stderr).toContain("run manifest stored");

    const all = await s3.listObjects(bucket);
    const manifestKeys = all.filter((o) => o.key.includes("/_manifests/")).map((o) => o.key);
    expect(manifestKeys.sort()).toEqual(["lake/raw/_manifests/run-42.json", "lake/raw/_manifests/run-42/orders.json", "lake/raw/_manifests/run-42/users.json"]);
    const dataObjects = all.filter((o) => !o.key.includes("/_manifests/"));

    const manifest = await readJson<ManifestJson>("lake/raw/_manifests/run-42.json");
    expect(manifest).toMatchObject({
      manifest_version: 1,
      target: "target-s3",
      connection_id: "conn-a",
      connection_run_id: "run-42",
      bucket,
      file_type: "jsonl",
      compression: "none",
    });
    expect(Date.parse(manifest.finished_at)).toBeGreaterThanOrEqual(Date.parse(manifest.started_at));
    // Every data object of the run, and nothing else.
    expect(manifest.objects.map((o) => o.key).sort()).toEqual(dataObjects.map((o) => o.key));
    expect(manifest.object_count).toBe(dataObjects.length);
    expect(dataObjects.length).toBe(6); // 25 records per stream in files of at most 10 rows
    expect(manifest.row_count).toBe(50);

    const readBack = new Map<string, Rec[]>([
      ["users", []],
      ["orders", []],
    ]);
    for (const o of manifest.objects) {
      const listed = dataObjects.find((d) => d.key === o.key);
      expect(o.bytes, o.key).toBe(listed?.size);
      const head = await s3.client.send(new HeadObjectCommand({ Bucket: bucket, Key: o.key }));
      expect(o.etag, o.key).toBe(head.ETag);
      expect(o.url).toBe(`s3://${bucket}/${o.key}`);
      expect(o.schema_hash).toMatch(/\S/);
      expect(o.first_line).toBeLessThanOrEqual(o.last_line);
      // JSON Lines are records as sent: parse the lines themselves (DuckDB would retype them).
      const body = (await s3.getObject(bucket, o.key)).toString("utf8");
      const rows = body
        .split("\n")
        .filter((l) => l !== "")
        .map((l) => JSON.parse(l) as Rec);
      expect(rows.length, o.key).toBe(o.rows);
      // The cursor range of the object's own records (ISO UTC strings of one shape sort as instants do).
      const cursors = rows.map((r) => r.updated_at).sort();
      expect([o.min_cursor, o.max_cursor], o.key).toEqual(o.stream === "users" ? [cursors[0], cursors.at(-1)] : [null, null]);
      expect(o.key).toContain(`/${o.stream}/`);
      readBack.get(o.stream)?.push(...rows);
    }
    for (const [stream, sent] of records) {
      const got = [...(readBack.get(stream) ?? [])].sort((a, b) => a.id - b.id);
      expect(got, stream).toEqual(sent);
      expect(manifest.streams[stream]).toMatchObject({ objects: 3, rows: 25 });
      expect(manifest.streams[stream]?.redshift_manifest).toBe(`s3://${bucket}/lake/raw/_manifests/run-42/${stream}.json`);
    }
    expect(manifest.byte_count).toBe(dataObjects.reduce((n, o) => n + o.size, 0));

    // Redshift COPY format: every object once, mandatory, content_length = object size.
    expect(manifest.entries?.map((e) => e.url).sort()).toEqual(manifest.objects.map((o) => o.url).sort());
    for (const entry of manifest.entries ?? []) {
      const object = manifest.objects.find((o) => o.url === entry.url);
      expect(entry).toEqual({ url: object?.url, mandatory: true, meta: { content_length: object?.bytes } });
    }
    for (const stream of ["users", "orders"]) {
      const copyManifest = await readJson<{ entries: Array<{ url: string; mandatory: boolean }> }>(`lake/raw/_manifests/run-42/${stream}.json`);
      expect(Object.keys(copyManifest)).toEqual(["entries"]);
      expect(copyManifest.entries.map((e) => e.url).sort()).toEqual(
        manifest.objects
          .filter((o) => o.stream === stream)
          .map((o) => o.url)
          .sort(),
      );
    }
  });

  it("has no entries and no per-stream COPY manifests without manifest_redshift_entries; parquet reports its codec", async () => {
    const { text } = input(3);
    const config = writeConfig(s3Config(s3, bucket, { file_type: "parquet", parquet_compression: "zstd", connection_run_id: "r1", write_manifest: true }));
    const result = await runCli(["--config", config], { input: text });
    expect(result.code, result.stderr).toBe(0);
    const keys = (await s3.listObjects(bucket)).map((o) => o.key);
    expect(keys.filter((k) => k.startsWith("_manifests/"))).toEqual(["_manifests/r1.json"]);
    const manifest = await readJson<ManifestJson>("_manifests/r1.json");
    expect(manifest.entries).toBeUndefined();
    expect(manifest.streams["users"]?.redshift_manifest).toBeUndefined();
    expect(manifest).toMatchObject({ file_type: "parquet", compression: "zstd", object_count: 2, row_count: 6 });
    for (const o of manifest.objects) {
      const rows = await readObjectRows(s3, bucket, o.key);
      expect(rows.length).toBe(o.rows);
    }
  });

  it("is written (with no objects) for a run without records, and named after a generated run id when none is set", async () => {
    const config = writeConfig(s3Config(s3, bucket, { write_manifest: true }));
    const result = await runCli(["--config", config], { input: JSON.stringify({ type: "STATE", value: { x: 1 } }) + "\n" });
    expect(result.code, result.stderr).toBe(0);
    const keys = (await s3.listObjects(bucket)).map((o) => o.key);
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatch(/^_manifests\/[0-9a-f-]{36}\.json$/);
    const manifest = await readJson<ManifestJson>(keys[0] ?? "");
    expect(manifest.connection_run_id).toBe(keys[0]?.slice("_manifests/".length, -".json".length));
    expect(manifest).toMatchObject({ object_count: 0, row_count: 0, objects: [], streams: {} });
  });

  it("is not written when write_manifest is off, nor by a failed run", async () => {
    const off = writeConfig(s3Config(s3, bucket, { connection_run_id: "off" }));
    expect((await runCli(["--config", off], { input: input(2).text })).code).toBe(0);
    const failing = writeConfig(s3Config(s3, bucket, { connection_run_id: "failed", write_manifest: true }));
    const bad = input(2).text + JSON.stringify({ type: "RECORD", stream: "nobody", record: { id: 1 } }) + "\n";
    const result = await runCli(["--config", failing], { input: bad });
    expect(result.code).not.toBe(0);
    const keys = (await s3.listObjects(bucket)).map((o) => o.key);
    expect(keys.length).toBeGreaterThan(0);
    expect(keys.filter((k) => k.includes("_manifests"))).toEqual([]);
  });

  it("fails the run with a clear message when the manifest upload is refused, after the final STATE", async () => {
    proxy.setRules([{ action: "status403", match: (req) => req.method === "PUT" && (req.key ?? "").startsWith("_manifests/") }]);
    const config = writeConfig(s3Config(proxy, bucket, { connection_run_id: "denied", write_manifest: true, max_retries: 0 }));
    const result = await runCli(["--config", config], { input: input(4).text });
    expect(result.code).toBe(1);
    expect(result.stateLines.at(-1)).toEqual({ at: "end" });
    expect(result.stderr).toContain("run manifest s3://");
    expect(result.stderr).toContain("_manifests/denied.json");
    expect(result.stderr).toContain("AccessDenied");
    expect(result.stderr).toContain("only the manifest is missing");
    const keys = (await s3.listObjects(bucket)).map((o) => o.key);
    expect(keys.length).toBe(2);
    expect(keys.some((k) => k.includes("_manifests"))).toBe(false);
  });
});
