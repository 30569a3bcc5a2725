// Files larger than one segment (4 × PARQUET_ROW_GROUP_ROWS records): DuckDB converts each segment while records still arrive and the
// pieces are joined into one object (CSV: one header; Parquet: one footer over every row group). Read back whole.
import { describe, expect, it } from "vitest";
import { readObjectRows, readParquetIndependently, readParquetMetadata, toJsonSafe } from "../helpers/read-back.js";
import { readdirSync } from "node:fs";
import { makeTempDir, runCli, s3Config, writeConfig } from "../helpers/run-cli.js";
import type { FaultProxy } from "../helpers/fault-proxy.js";
import type { S3TestServer } from "../helpers/s3-server.js";
import { useS3WithProxy } from "../helpers/s3-fixture.js";
import { PARQUET_ROW_GROUP_ROWS } from "../../src/pipeline/file-format.js";

let s3: S3TestServer;
let proxy: FaultProxy;
let bucket: string;
useS3WithProxy((f) => {
  ({ s3, proxy, bucket } = f);
});

const ROWS = 140_000; // a full segment (4 row groups) and a shorter last one
const line = (m: unknown): string => JSON.stringify(m);
const schema = (stream: string) =>
  line({
    type: "SCHEMA",
    stream,
    key_properties: ["id"],
    schema: {
      type: "object",
      properties: {
        id: { type: "integer" },
        name: { type: "string" },
        score: { type: ["null", "number"] },
        at: { type: "string", format: "date-time" },
        tags: { type: "array", items: { type: "string" } },
      },
    },
  });

function record(stream: string, id: number): Record<string, unknown> {
  return {
    id,
    name: `${stream} "${id}", é`,
    score: id % 5 === 0 ? null : id / 4,
    at: new Date(Date.UTC(2024, 0, 1) + id * 1000).toISOString(),
    tags: [`t${id % 3}`],
  };
}

/** Two streams interleaved, so two segmented uploads are in progress at once. */
function input(): string {
  const out = [schema("alpha"), schema("beta")];
  for (let id = 1; id <= ROWS; id++) {
    out.push(line({ type: "RECORD", stream: "alpha", record: record("alpha", id) }));
    if (id % 2 === 0) out.push(line({ type: "RECORD", stream: "beta", record: record("beta", id) }));
  }
  out.push(line({ type: "STATE", value: { done: true } }));
  return out.join("\n") + "\n";
}

const KEYS = { key_template: "{stream_name}/part-{part}.{extension}" };

async function runFormat(extra: Record<string, unknown>): Promise<Map<string, string>> {
  const result = await runCli(["--config", writeConfig(s3Config(s3, bucket, { ...KEYS, ...extra }))], {
    input: input(),
    timeoutMs: 120_000,
  });
  expect(result.code, result.stderr.slice(-2000)).toBe(0);
  expect(result.stdout.trim()).toBe('{"done":true}');
  const keys = (await s3.listObjects(bucket)).map((o) => o.key).sort();
  return new Map(keys.map((k) => [k.split("/")[0] ?? k, k]));
}

function expectRows(rows: Record<string, unknown>[], stream: string, step: number): void {
  expect(rows.length).toBe(ROWS / step);
  rows.forEach((row, i) => {
    const id = (i + 1) * step;
    const want = record(stream, id);
    expect(Number(row.id)).toBe(id);
    expect(row.name).toBe(want.name);
    expect(row.score === null ? null : Number(row.score)).toBe(want.score);
  });
}

describe("files of several segments", () => {
  it("parquet: one file per stream, every row in order, row groups of PARQUET_ROW_GROUP_ROWS rows", async () => {
    const keys = await runFormat({ file_type: "parquet" });
    expect([...keys.keys()]).toEqual(["alpha", "beta"]);
    expectRows(await readObjectRows(s3, bucket, keys.get("alpha")!), "alpha", 1);
    expectRows(await readObjectRows(s3, bucket, keys.get("beta")!), "beta", 2);
    const body = await s3.getObject(bucket, keys.get("alpha")!);
    const meta = readParquetMetadata(body);
    expect(Number(meta.num_rows)).toBe(ROWS);
    const full = Math.floor(ROWS / PARQUET_ROW_GROUP_ROWS);
    expect(full).toBeGreaterThanOrEqual(2);
    expect(meta.row_groups.map((g) => Number(g.num_rows))).toEqual([...Array<number>(full).fill(PARQUET_ROW_GROUP_ROWS), ROWS - full * PARQUET_ROW_GROUP_ROWS]);
    const independent = await readParquetIndependently(body, { columns: ["id", "at", "tags"] });
    expect(independent.length).toBe(ROWS);
    expect(toJsonSafe(independent[ROWS - 1])).toMatchObject({ id: ROWS, tags: [`t${ROWS % 3}`] });
    expect((independent[70_000]!.at as Date).toISOString()).toBe(record("alpha", 70_001).at);
  });

  it("csv and csv.gz: one header, every row in order", async () => {
    for (const compression of ["none", "gzip"]) {
      bucket = await s3.createBucket();
      const keys = await runFormat({ file_type: "csv", compression });
      const alpha = keys.get("alpha")!;
      expectRows(await readObjectRows(s3, bucket, alpha), "alpha", 1);
      expectRows(await readObjectRows(s3, bucket, keys.get("beta")!), "beta", 2);
      if (compression === "none") {
        const text = (await s3.getObject(bucket, alpha)).toString("utf8");
        expect(text.split("\n").filter((l) => l.startsWith("id,")).length).toBe(1);
      }
    }
    // Two runs of 140k records each (one per compression): 60 s was too short on a loaded 2-core machine.
  }, 240_000);

  it("a part upload refused while segments still arrive fails the run: multipart aborted, no object, no STATE", async () => {
    proxy.setRules([{ action: "status403", match: (r) => r.operation === "UploadPart" && (r.key ?? "").startsWith("alpha/") }]);
    const tempDir = makeTempDir("segments-failure-");
    const config = s3Config(proxy, bucket, { ...KEYS, file_type: "csv", multipart_part_size: 5 * 1024 * 1024, max_retries: 1, temp_dir: tempDir });
    const result = await runCli(["--config", writeConfig(config)], { input: input(), timeoutMs: 120_000 });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/alpha\/part-00001\.csv failed in UploadPart: AccessDenied/);
    expect(result.stdout.trim()).toBe("");
    expect(proxy.byOperation("AbortMultipartUpload").length).toBeGreaterThan(0);
    expect((await s3.listObjects(bucket)).map((o) => o.key).filter((k) => k.startsWith("alpha/"))).toEqual([]);
    // Spooled and converted segments are gone with the run's folder.
    expect(readdirSync(tempDir)).toEqual([]);
  });
});
