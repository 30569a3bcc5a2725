// Record shaping through the built CLI and the real local S3 server: invalid_record_policy (fail, skip,
// quarantine, with STATE held until the quarantine object is stored), add_record_metadata typed in Parquet,
// flattening in every format, exact types (offsets, decimals, big integers, NUL), STRUCT/LIST and schema evolution.
import { describe, expect, it } from "vitest";
import { parseLossless, stringifyLossless } from "../../src/schema/lossless-json.js";
import type { FaultProxy } from "../helpers/fault-proxy.js";
import { readObjectRows, readParquetIndependently, readParquetMetadata, toJsonSafe } from "../helpers/read-back.js";
import { runCli, s3Config, writeConfig } from "../helpers/run-cli.js";
import type { S3TestServer } from "../helpers/s3-server.js";
import { useS3WithProxy } from "../helpers/s3-fixture.js";

let s3: S3TestServer;
let proxy: FaultProxy;
let bucket: string;

useS3WithProxy((f) => ({ s3, proxy, bucket } = f));

const lines = (...messages: unknown[]): string => messages.map((m) => (typeof m === "string" ? m : JSON.stringify(m))).join("\n") + "\n";
const schema = (stream: string, properties: Record<string, unknown>, extra: Record<string, unknown> = {}): unknown => ({
  type: "SCHEMA",
  stream,
  key_properties: ["id"],
  schema: { type: "object", properties, ...extra },
});
const record = (stream: string, rec: Record<string, unknown>, extra: Record<string, unknown> = {}): unknown => ({
  type: "RECORD",
  stream,
  record: rec,
  ...extra,
});
const state = (n: number): unknown => ({ type: "STATE", value: { n } });

async function run(extra: Record<string, unknown>, input: string, endpoint: { endpoint: string } = s3) {
  const cfg = writeConfig(s3Config(endpoint, bucket, { max_retries: 0, ...extra }));
  return runCli(["--config", cfg], { input });
}

async function keys(prefix?: string): Promise<string[]> {
  return (await s3.listObjects(bucket, prefix)).map((o) => o.key);
}

const USERS = { id: { type: "integer" }, n: { type: "integer" } };
const INVALID_INPUT = lines(
  schema("users", USERS),
  record("users", { id: 1, n: 1 }),
  record("users", { id: 2, n: "two" }),
  state(1),
  record("users", { id: 3, n: 3 }),
  state(2),
);

describe("invalid_record_policy", () => {
  it("fail (default): exit 1 naming stream, line, field and schema rule; no STATE", async () => {
    const r = await run({ file_type: "jsonl" }, INVALID_INPUT);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/line 3/);
    expect(r.stderr).toMatch(/'users'/);
    expect(r.stderr).toMatch(/property 'n'/);
    expect(r.stderr).toMatch(/schema rule 'type'/);
    expect(r.stateLines).toEqual([]);
  });

  it("fail: a missing required property names the rule too", async () => {
    const r = await run({ file_type: "jsonl" }, lines(schema("users", USERS, { required: ["n"] }), record("users", { id: 1 })));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/required property 'n' is missing \(schema rule 'required'/);
  });

  it("skip: valid records only, a count per stream in a METRIC line, STATE goes on", async () => {
    const r = await run({ file_type: "csv", invalid_record_policy: "skip" }, INVALID_INPUT);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stateLines.at(-1)).toEqual({ n: 2 });
    const [key] = await keys();
    const rows = await readObjectRows(s3, bucket, key!);
    expect(rows.map((x) => x["id"])).toEqual(["1", "3"]);
    const metric = r.stderr.split("\n").find((l) => l.includes("METRIC") && l.includes("invalid_record_count"));
    expect(metric, r.stderr).toBeDefined();
    expect(metric).toMatch(/"value":1/);
    expect(metric).toMatch(/"stream":"users"/);
    expect(metric).toMatch(/"policy":"skip"/);
  });

  it("quarantine: the raw line and the reason go to _rejected/<stream>/ as JSONL, never into the data files", async () => {
    const r = await run({ file_type: "parquet", invalid_record_policy: "quarantine", object_key_path: "out" }, INVALID_INPUT);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stateLines.at(-1)).toEqual({ n: 2 });
    const metric = r.stderr.split("\n").find((l) => l.includes("METRIC") && l.includes("invalid_record_count"));
    expect(metric, r.stderr).toMatch(/"policy":"quarantine"/);
    const all = await keys();
    const rejected = all.filter((k) => k.startsWith("out/_rejected/users/"));
    const data = all.filter((k) => !k.includes("_rejected"));
    expect(rejected).toHaveLength(1);
    expect(rejected[0]).toMatch(/\.jsonl$/);
    expect(data).toHaveLength(1);
    const rows = await readObjectRows(s3, bucket, data[0]!);
    expect(rows.map((x) => x["id"])).toEqual(["1", "3"]);
    const q = (await s3.getObject(bucket, rejected[0]!))
      .toString("utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(q).toHaveLength(1);
    expect(q[0]!["stream"]).toBe("users");
    expect(q[0]!["line"]).toBe(3);
    expect(q[0]!["reason"]).toMatch(/property 'n'.*schema rule 'type'/);
    expect(q[0]!["raw_line"]).toBe(INVALID_INPUT.split("\n")[2]);
    // DuckDB reads the quarantine object too.
    const back = await readObjectRows(s3, bucket, rejected[0]!, { format: "jsonl" });
    expect(back).toHaveLength(1);
  });

  it("quarantine: exact raw line (big integers, unicode) and a failed quarantine upload lets no later STATE out", async () => {
    const bad = `{"type":"RECORD","stream":"users","record":{"id":99999999999999999,"n":"é😀\\u0000"}}`;
    const input = lines(schema("users", USERS), state(0), bad, state(1), record("users", { id: 3, n: 3 }), state(2));
    const ok = await run({ file_type: "jsonl", invalid_record_policy: "quarantine" }, input);
    expect(ok.code, ok.stderr).toBe(0);
    const [rejected] = await keys("_rejected/");
    const q = JSON.parse((await s3.getObject(bucket, rejected!)).toString("utf8")) as Record<string, unknown>;
    expect(q["raw_line"]).toBe(bad);

    bucket = await s3.createBucket();
    proxy.setRules([{ action: "status403", match: (req) => (req.key ?? "").includes("_rejected") }]);
    const failed = await run({ file_type: "jsonl", invalid_record_policy: "quarantine" }, input, proxy);
    expect(failed.code).not.toBe(0);
    // STATE 0 came before the quarantined record and may be out; STATE 1 and 2 must not.
    expect(failed.stateLines.filter((s) => (s as { n: number }).n >= 1)).toEqual([]);
    expect(failed.stderr).toMatch(/_rejected/);
  });
});

describe("add_record_metadata", () => {
  const input = lines(
    { type: "ACTIVATE_VERSION", stream: "users", version: 1700000000000 },
    schema("users", USERS),
    record("users", { id: 1, n: 1, _sdc_deleted_at: "2024-01-02T03:04:05+02:00" }, { time_extracted: "2024-01-01T00:00:00.123456Z" }),
    record("users", { id: 2, n: 2 }, { version: 5 }),
  );

  it("parquet: typed _sdc_* columns; the tap's _sdc_deleted_at kept although the schema omits it; version from ACTIVATE_VERSION", async () => {
    const r = await run({ file_type: "parquet", add_record_metadata: true }, input);
    expect(r.code, r.stderr).toBe(0);
    const [key] = await keys();
    const body = await s3.getObject(bucket, key!);
    const meta = readParquetMetadata(body);
    const types = Object.fromEntries(meta.schema.slice(1).map((e) => [e.name, `${e.type}/${JSON.stringify(e.logical_type ?? e.converted_type ?? "")}`]));
    expect(types["_sdc_extracted_at"]).toMatch(/^INT64\/.*TIMESTAMP/);
    expect(types["_sdc_deleted_at"]).toMatch(/^INT64\/.*TIMESTAMP/);
    expect(types["_sdc_received_at"]).toMatch(/^INT64\/.*TIMESTAMP/);
    expect(types["_sdc_batched_at"]).toMatch(/^INT64\/.*TIMESTAMP/);
    expect(types["_sdc_sequence"]).toMatch(/^INT64/);
    expect(types["_sdc_table_version"]).toMatch(/^INT64/);
    const rows = (await readParquetIndependently(body)).map((x) => toJsonSafe(x) as Record<string, unknown>);
    expect(rows[0]!["_sdc_deleted_at"]).toBe("2024-01-02T01:04:05.000Z");
    expect(rows[0]!["_sdc_extracted_at"]).toBe("2024-01-01T00:00:00.123Z");
    expect(rows[0]!["_sdc_sequence"]).toBe(3);
    expect(rows[0]!["_sdc_table_version"]).toBe(1700000000000);
    expect(rows[1]!["_sdc_table_version"]).toBe(5);
    expect(rows[1]!["_sdc_deleted_at"]).toBeNull();
  });

  for (const fileType of ["csv", "jsonl", "json"] as const) {
    it(`${fileType}: every _sdc_* column present`, async () => {
      const r = await run({ file_type: fileType, add_record_metadata: true }, input);
      expect(r.code, r.stderr).toBe(0);
      const [key] = await keys();
      const rows = await readObjectRows(s3, bucket, key!);
      for (const c of ["_sdc_extracted_at", "_sdc_received_at", "_sdc_batched_at", "_sdc_sequence", "_sdc_table_version", "_sdc_deleted_at"]) {
        expect(Object.keys(rows[0]!), c).toContain(c);
      }
      expect(String(rows[0]!["_sdc_table_version"])).toBe("1700000000000");
      expect(String(rows[1]!["_sdc_sequence"])).toBe("4");
      expect(new Date(String(rows[0]!["_sdc_deleted_at"])).toISOString()).toBe("2024-01-02T01:04:05.000Z");
    });
  }
});

describe("flattening and exact types", () => {
  const props = {
    id: { type: "integer" },
    user: { type: "object", properties: { name: { type: "string" }, geo: { type: "object", properties: { lat: { type: "number" } } } } },
  };
  const bigLine = `{"type":"RECORD","stream":"s","record":{"id":99999999999999999,"user":{"name":"a\\u0000\\"b\\n","geo":{"lat":0.1000000000000000055511151231257827}}}}`;
  const input = lines(schema("s", props), bigLine);

  it("jsonl: a__b columns from the source text (exact digits, exact escapes)", async () => {
    const r = await run({ file_type: "jsonl", flattening_enabled: true, flattening_max_depth: 1 }, input);
    expect(r.code, r.stderr).toBe(0);
    const [key] = await keys();
    const text = (await s3.getObject(bucket, key!)).toString("utf8").trim();
    expect(text).toBe(`{"id":99999999999999999,"user__name":"a\\u0000\\"b\\n","user__geo":{"lat":0.1000000000000000055511151231257827}}`);
  });

  it("parquet and csv: flattened columns, big integer exact", async () => {
    for (const fileType of ["parquet", "csv"] as const) {
      bucket = await s3.createBucket();
      const r = await run({ file_type: fileType, flattening_enabled: true, flattening_max_depth: 3 }, input);
      expect(r.code, r.stderr).toBe(0);
      const [key] = await keys();
      const rows = await readObjectRows(s3, bucket, key!);
      expect(Object.keys(rows[0]!)).toEqual(["id", "user__name", "user__geo__lat"]);
      expect(String(rows[0]!["id"])).toBe("99999999999999999");
      expect(rows[0]!["user__name"]).toBe('a\u0000"b\n');
      expect(Number(rows[0]!["user__geo__lat"])).toBe(0.1);
    }
  });

  it("date-times with any offset or none become the right UTC instant; DECIMAL keeps every digit; STRUCT drops undeclared keys", async () => {
    const p = {
      id: { type: "integer" },
      at: { type: "string", format: "date-time" },
      d: { type: "string", format: "date" },
      t: { type: "string", format: "time" },
      price: { type: "number", multipleOf: 0.01 },
      obj: { type: ["object", "null"], properties: { a: { type: "integer" } } },
      arr: { type: ["array", "null"], items: { type: "integer" } },
      empty: { type: "object", properties: {} },
      any: {},
    };
    const recs = [
      `{"id":1,"at":"2024-03-01T12:00:00+05:30","d":"2024-02-29","t":"23:59:59.123456","price":12345678901234567.89,"obj":{"a":99999999999999999,"extra":1},"arr":[1,99999999999999999],"empty":{"k":[1]},"any":{"x":0.1000000000000000055511151231257827}}`,
      `{"id":2,"at":"2024-03-01 12:00:00","price":-0.01,"obj":null,"arr":[],"empty":{},"any":"s"}`,
      `{"id":3,"at":"2024-03-01T12:00:00.5-08:00"}`,
    ];
    const typedInput = lines(schema("t", p), ...recs.map((r) => `{"type":"RECORD","stream":"t","record":${r}}`));
    const expectedAt = ["2024-03-01T06:30:00.000Z", "2024-03-01T12:00:00.000Z", "2024-03-01T20:00:00.500Z"];

    const r = await run({ file_type: "parquet" }, typedInput);
    expect(r.code, r.stderr).toBe(0);
    const [key] = await keys();
    const rows = await readObjectRows(s3, bucket, key!);
    expect(rows.map((x) => new Date(String(x["at"])).toISOString())).toEqual(expectedAt);
    expect(rows[0]!["price"]).toBe("12345678901234567.89");
    expect(rows[1]!["price"]).toBe("-0.01");
    expect(rows[0]!["d"]).toBe("2024-02-29");
    expect(rows[0]!["t"]).toBe("23:59:59.123456");
    expect(rows[0]!["obj"]).toEqual({ a: "99999999999999999" });
    expect(rows[0]!["arr"]).toEqual(["1", "99999999999999999"]);
    expect(stringifyLossless(parseLossless(String(rows[0]!["any"])))).toBe(`{"x":0.1000000000000000055511151231257827}`);
    expect(String(rows[0]!["empty"])).toBe(`{"k":[1]}`);
    const independent = (await readParquetIndependently(await s3.getObject(bucket, key!))).map((x) => toJsonSafe(x) as Record<string, unknown>);
    expect(independent.map((x) => x["at"])).toEqual(expectedAt);
    expect(independent[0]!["obj"]).toEqual({ a: "99999999999999999" });

    // parquet_nested_types=json and CSV: nested values as JSON text.
    for (const extra of [{ file_type: "parquet", parquet_nested_types: "json" }, { file_type: "csv" }]) {
      bucket = await s3.createBucket();
      const r2 = await run(extra, typedInput);
      expect(r2.code, r2.stderr).toBe(0);
      const [k2] = await keys();
      const rows2 = await readObjectRows(s3, bucket, k2!);
      expect(String(rows2[0]!["obj"])).toBe(`{"a":99999999999999999,"extra":1}`);
      expect(String(rows2[0]!["arr"])).toBe(`[1,99999999999999999]`);
      expect(String(rows2[0]!["price"])).toBe("12345678901234567.89");
      expect(rows2.map((x) => new Date(String(x["at"])).toISOString())).toEqual(expectedAt);
    }
  });
});

describe("schema evolution", () => {
  const A = { id: { type: "integer" } };
  const B = { id: { type: "integer" }, extra: { type: ["null", "string"] } };

  it("identical SCHEMA messages never roll the file; flips between two schemas coalesce to one file per schema", async () => {
    const msgs: unknown[] = [];
    for (let i = 0; i < 20; i++) {
      msgs.push(schema("s", i % 2 === 0 ? A : B), record("s", i % 2 === 0 ? { id: i } : { id: i, extra: `x${i}` }));
      msgs.push(schema("s", i % 2 === 0 ? A : B)); // identical repeat
    }
    for (const fileType of ["parquet", "jsonl"] as const) {
      bucket = await s3.createBucket();
      const r = await run({ file_type: fileType }, lines(...msgs));
      expect(r.code, r.stderr).toBe(0);
      const all = await keys();
      expect(all).toHaveLength(2);
      const ids: number[] = [];
      for (const k of all) for (const row of await readObjectRows(s3, bucket, k)) ids.push(Number(row["id"]));
      expect(ids.sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    }
  });

  it("up to 5 schema versions in rotation coalesce to one file each (4 parked + the current one)", async () => {
    const msgs: unknown[] = [];
    for (let round = 0; round < 3; round++) {
      for (let v = 0; v < 5; v++) msgs.push(schema("s", { id: { type: "integer" }, [`c${v}`]: { type: "string" } }), record("s", { id: round * 10 + v }));
    }
    const r = await run({ file_type: "jsonl" }, lines(...msgs));
    expect(r.code, r.stderr).toBe(0);
    expect(await keys()).toHaveLength(5);
  });
});

describe("Quarantine and the STATE ledger (in process)", () => {
  it("a STATE after a quarantined record is released only when the quarantine object is stored", async () => {
    const { Quarantine } = await import("../../src/pipeline/quarantine.js");
    const { StateLedger } = await import("../../src/pipeline/state-ledger.js");
    const { Logger } = await import("../../src/log.js");
    const { mkdtempSync, readFileSync, rmSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const dir = mkdtempSync(join(tmpdir(), "target-s3-quarantine-"));
    const emitted: string[] = [];
    const ledger = new StateLedger<string>((v) => emitted.push(v));
    let finish: (() => void) | undefined;
    const bodies: string[] = [];
    const q = new Quarantine({
      // A local stand-in for S3 that answers when the test says so (the CLI tests above use the real server).
      uploader: {
        upload: (req) => {
          bodies.push(readFileSync(req.localPath, "utf8"));
          return new Promise((resolve) => (finish = () => resolve({ key: req.key, etag: '"x"', bytes: 1 })));
        },
      },
      ledger,
      logger: new Logger("error", "text", () => undefined),
      runDir: dir,
      keyFor: (stream, part) => `_rejected/${stream}/${part}.jsonl`,
      signal: new AbortController().signal,
      maxRows: 1000,
      maxChars: 1 << 20,
      maxAgeMs: 60_000,
    });
    try {
      ledger.state(1, "s1");
      expect(emitted).toEqual(["s1"]);
      void q.add("users", 2, "bad", `{"raw":1}`);
      ledger.state(3, "s3");
      expect(emitted).toEqual(["s1"]);
      q.flushAll();
      await new Promise((r) => setTimeout(r, 50));
      expect(emitted).toEqual(["s1"]);
      finish?.();
      await q.drain();
      expect(emitted).toEqual(["s1", "s3"]);
      expect(JSON.parse(bodies[0]!)).toMatchObject({ stream: "users", line: 2, reason: "bad", raw_line: `{"raw":1}` });
      expect(q.storedKeys).toEqual(["_rejected/users/1.jsonl"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
