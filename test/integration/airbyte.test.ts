// The Airbyte destination: `spec` and `write` of the real CLI against s3rver. Every object is read back and compared
// with the records sent; STATE echoes, destinationStats, TRACE errors and overwrite generations are checked on stdout
// and in the store.
import { HeadObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { describe, expect, it } from "vitest";
import { airbyteStdoutProblems } from "../helpers/airbyte-messages.js";
import { checkContainer, readAvro } from "../helpers/read-avro.js";
import { readObjectRows, readParquetMetadata } from "../helpers/read-back.js";
import { makeTempDir, runCli, s3Config, writeConfig, type CliResult } from "../helpers/run-cli.js";
import { TEST_SECRET_ACCESS_KEY, type S3TestServer } from "../helpers/s3-server.js";
import { useS3 } from "../helpers/s3-fixture.js";
import { join } from "node:path";
import { writeFileSync } from "node:fs";

let s3: S3TestServer;
let bucket: string;

useS3((f) => ({ s3, bucket } = f));

interface StreamOpts {
  name: string;
  namespace?: string;
  mode?: "append" | "overwrite";
  generation?: number;
  minimum?: number;
  properties?: Record<string, unknown>;
}

const defaultProps = { id: { type: "integer" }, name: { type: ["string", "null"] } };

function catalogFile(streams: StreamOpts[]): string {
  const catalog = {
    streams: streams.map((s) => ({
      stream: {
        name: s.name,
        ...(s.namespace ? { namespace: s.namespace } : {}),
        json_schema: { type: "object", properties: s.properties ?? defaultProps },
        supported_sync_modes: ["full_refresh", "incremental"],
      },
      sync_mode: "full_refresh",
      destination_sync_mode: s.mode ?? "append",
      ...(s.generation !== undefined ? { generation_id: s.generation, minimum_generation_id: s.minimum ?? 0, sync_id: 100 + s.generation } : {}),
    })),
  };
  const path = join(makeTempDir("target-s3-catalog-"), "catalog.json");
  writeFileSync(path, JSON.stringify(catalog));
  return path;
}

const rec = (stream: string, data: Record<string, unknown>, namespace?: string): string =>
  JSON.stringify({ type: "RECORD", record: { stream, ...(namespace ? { namespace } : {}), data, emitted_at: 1_700_000_000_000 } });
const streamState = (stream: string, cursor: number, namespace?: string): string =>
  JSON.stringify({
    type: "STATE",
    state: {
      type: "STREAM",
      stream: { stream_descriptor: { name: stream, ...(namespace ? { namespace } : {}) }, stream_state: { cursor } },
      sourceStats: { recordCount: 2 },
    },
  });
const status = (stream: string, value: "STARTED" | "COMPLETE" | "INCOMPLETE", namespace?: string): string =>
  JSON.stringify({
    type: "TRACE",
    trace: {
      type: "STREAM_STATUS",
      emitted_at: 1_700_000_000_000,
      stream_status: { stream_descriptor: { name: stream, ...(namespace ? { namespace } : {}) }, status: value },
    },
  });
const globalState = (n: number): string =>
  JSON.stringify({ type: "STATE", state: { type: "GLOBAL", global: { shared_state: { lsn: n }, stream_states: [] } } });

/** Runs `write`; every line it prints must be an AirbyteMessage as the protocol defines it. */
async function write(config: Record<string, unknown>, catalog: string, lines: string[]): Promise<CliResult> {
  const r = await runCli(["write", "--config", writeConfig(s3Config(s3, bucket, config)), "--catalog", catalog], {
    input: lines.join("\n") + "\n",
    timeoutMs: 60_000,
  });
  expect(airbyteStdoutProblems(r.stdout)).toEqual([]);
  return r;
}

type Msg = {
  type: string;
  state?: Record<string, unknown>;
  trace?: { type: string; error: { message: string; failure_type: string; internal_message: string } };
};
const messages = (r: CliResult): Msg[] => r.stateLines as Msg[];
const states = (r: CliResult): Array<Record<string, unknown>> =>
  messages(r)
    .filter((m) => m.type === "STATE")
    .map((m) => m.state!);

/** `_airbyte_meta` as read back: JSON text (CSV) or a struct/object (Parquet, JSON Lines) with sync_id as text. */
function metaOf(row: Record<string, unknown>): { sync_id: string | null; changes: unknown[] } {
  const raw = row["_airbyte_meta"];
  const meta = (typeof raw === "string" ? JSON.parse(raw) : raw) as { sync_id: unknown; changes: unknown[] };
  return { sync_id: meta.sync_id === null ? null : String(meta.sync_id), changes: meta.changes };
}
const idsOf = (rows: Array<Record<string, unknown>>): unknown[] => rows.map((r) => ({ id: r["id"] }));

async function rowsOf(prefix: string): Promise<Array<Record<string, unknown>>> {
  const rows: Array<Record<string, unknown>> = [];
  for (const { key } of await s3.listObjects(bucket, prefix)) rows.push(...(await readObjectRows(s3, bucket, key)));
  return rows;
}

describe("spec", () => {
  it("prints one SPEC message with the settings schema and the sync modes (spec and --spec)", async () => {
    for (const args of [["spec"], ["--spec"]]) {
      const r = await runCli(args);
      expect(r.code).toBe(0);
      expect(airbyteStdoutProblems(r.stdout)).toEqual([]);
      expect(r.stateLines).toHaveLength(1);
      const msg = r.stateLines[0] as { type: string; spec: Record<string, unknown> };
      expect(msg.type).toBe("SPEC");
      expect(typeof msg.spec["documentationUrl"]).toBe("string");
      const conn = msg.spec["connectionSpecification"] as { properties: Record<string, unknown>; required: string[] };
      expect(conn.required).toContain("bucket");
      expect(conn.properties).toHaveProperty("airbyte_metadata_columns");
      expect(msg.spec["supported_destination_sync_modes"]).toEqual(["append", "overwrite"]);
    }
  });
});

describe("check", () => {
  it("--check (the JVM connectors' spelling) prints one CONNECTION_STATUS", async () => {
    const r = await runCli(["--check", "--config", writeConfig(s3Config(s3, bucket))]);
    expect(r.code).toBe(0);
    expect(airbyteStdoutProblems(r.stdout)).toEqual([]);
    expect(r.stateLines).toHaveLength(1);
    expect(r.stateLines[0]).toMatchObject({ type: "CONNECTION_STATUS", connectionStatus: { status: "SUCCEEDED" } });
  });
});

describe("write", () => {
  it("writes two streams with interleaved STREAM states, echoes each state with its own recordCount, rows read back", async () => {
    const catalog = catalogFile([
      { name: "users", namespace: "app" },
      { name: "orders", namespace: "app" },
    ]);
    const lines = [
      rec("users", { id: 1, name: "ann" }, "app"),
      rec("orders", { id: 10, name: "o1" }, "app"),
      rec("users", { id: 2, name: "bob" }, "app"),
      streamState("users", 2, "app"),
      rec("orders", { id: 11, name: null }, "app"),
      streamState("orders", 11, "app"),
      JSON.stringify({ type: "LOG", log: { level: "INFO", message: "hello" } }),
      rec("users", { id: 3, name: "cy" }, "app"),
      streamState("users", 3, "app"),
      streamState("orders", 11, "app"),
    ];
    const r = await write({ file_type: "csv", batch_size_rows: 2 }, catalog, lines);
    expect(r.stderr).not.toMatch(/error/i);
    expect(r.code).toBe(0);
    expect(r.invalidStdoutLines).toEqual([]);
    // Every STATE, in order, unchanged except destinationStats (sourceStats kept).
    const out = states(r);
    expect(out.map((s) => (s["stream"] as { stream_state: unknown }).stream_state)).toEqual([{ cursor: 2 }, { cursor: 11 }, { cursor: 3 }, { cursor: 11 }]);
    expect(out.map((s) => (s["destinationStats"] as { recordCount: number }).recordCount)).toEqual([2, 2, 1, 0]);
    for (const [i, s] of out.entries())
      expect({ ...s, destinationStats: undefined }).toEqual({
        ...(JSON.parse(lines[[3, 5, 8, 9][i]!]!) as { state: object }).state,
        destinationStats: undefined,
      });

    const keys = (await s3.listObjects(bucket)).map((o) => o.key);
    expect(keys.every((k) => k.startsWith("app/users/") || k.startsWith("app/orders/"))).toBe(true);
    const users = await rowsOf("app/users/");
    expect(users.map((u) => [u["id"], u["name"]]).sort()).toEqual([
      ["1", "ann"],
      ["2", "bob"],
      ["3", "cy"],
    ]);
    const orders = await rowsOf("app/orders/");
    expect(orders.map((o) => [o["id"], o["name"]]).sort()).toEqual([
      ["10", "o1"],
      ["11", null],
    ]);
  });

  it("echoes GLOBAL states with the count of all streams' records since the previous state", async () => {
    const catalog = catalogFile([{ name: "a" }, { name: "b" }]);
    const lines = [rec("a", { id: 1 }), rec("b", { id: 2 }), rec("a", { id: 3 }), globalState(1), rec("b", { id: 4 }), globalState(2), globalState(3)];
    const r = await write({ file_type: "jsonl" }, catalog, lines);
    expect(r.code).toBe(0);
    const out = states(r);
    expect(out.map((s) => (s["global"] as { shared_state: { lsn: number } }).shared_state.lsn)).toEqual([1, 2, 3]);
    expect(out.map((s) => (s["destinationStats"] as { recordCount: number }).recordCount)).toEqual([3, 1, 0]);
    expect((await rowsOf("a/")).map((x) => x["id"]).sort()).toEqual(["1", "3"]);
    expect((await rowsOf("b/")).map((x) => x["id"]).sort()).toEqual(["2", "4"]);
  });

  it("refuses a mix of STREAM and GLOBAL states with a TRACE error", async () => {
    const catalog = catalogFile([{ name: "a" }]);
    const r = await write({ file_type: "jsonl" }, catalog, [rec("a", { id: 1 }), streamState("a", 1), rec("a", { id: 2 }), globalState(1)]);
    expect(r.code).not.toBe(0);
    const last = messages(r).at(-1)!;
    expect(last.type).toBe("TRACE");
    expect(last.trace!.error.message).toMatch(/line 4.*per-stream or global/);
    expect(states(r).every((s) => s["type"] === "STREAM")).toBe(true);
  });

  it("a record of a stream missing from the catalog is a TRACE error naming the stream and the line; states before it still come out", async () => {
    const catalog = catalogFile([{ name: "known" }]);
    const lines = [rec("known", { id: 1 }), globalState(1), rec("ghost", { id: 2 }), rec("known", { id: 3 }), globalState(2)];
    const r = await write({ file_type: "jsonl" }, catalog, lines);
    expect(r.code).toBe(1);
    const trace = messages(r).at(-1)!;
    expect(trace.type).toBe("TRACE");
    expect(trace.trace!.error.message).toMatch(/line 3: RECORD for stream 'ghost', which is not in the configured catalog \('known'\)/);
    expect(trace.trace!.error.failure_type).toBe("system_error");
    expect(states(r).map((s) => (s["global"] as { shared_state: { lsn: number } }).shared_state.lsn)).not.toContain(2);
    expect((await s3.listObjects(bucket)).every((o) => o.key.startsWith("known/"))).toBe(true);
  });

  it("keeps big integers and decimals in data exact (jsonl byte for byte behind the _airbyte_* fields, parquet BIGINT)", async () => {
    const props = { id: { type: "integer" }, amount: { type: "number" } };
    const text = '{"type":"RECORD","record":{"stream":"big","data":{"id":99999999999999999,"amount":0.10000000000000000555},"emitted_at":1}}';
    const r1 = await write({ file_type: "jsonl" }, catalogFile([{ name: "big", properties: props }]), [text, globalState(1)]);
    expect(r1.code).toBe(0);
    const [obj] = await s3.listObjects(bucket, "big/");
    const line = (await s3.getObject(bucket, obj!.key)).toString("utf8");
    expect(line).toMatch(
      /^\{"_airbyte_raw_id":"[0-9a-f-]{36}","_airbyte_extracted_at":1,"_airbyte_meta":\{"sync_id":null,"changes":\[\]\},"_airbyte_generation_id":null,"id":99999999999999999,"amount":0.10000000000000000555\}\n$/,
    );

    bucket = await s3.createBucket();
    const off = await write({ file_type: "jsonl", airbyte_metadata_columns: false }, catalogFile([{ name: "big", properties: props }]), [text, globalState(1)]);
    expect(off.code).toBe(0);
    const [plain] = await s3.listObjects(bucket, "big/");
    expect((await s3.getObject(bucket, plain!.key)).toString("utf8")).toBe('{"id":99999999999999999,"amount":0.10000000000000000555}\n');

    bucket = await s3.createBucket();
    const r2 = await write({ file_type: "parquet" }, catalogFile([{ name: "big", properties: { id: { type: "integer" } } }]), [
      '{"type":"RECORD","record":{"stream":"big","data":{"id":99999999999999999},"emitted_at":1}}',
    ]);
    expect(r2.code).toBe(0);
    expect((await rowsOf("big/")).map((x) => x["id"])).toEqual(["99999999999999999"]);
  });

  it("writes Airbyte's S3 output shape by default: _airbyte_raw_id, _airbyte_extracted_at (ms), _airbyte_meta {sync_id, changes}, _airbyte_generation_id", async () => {
    const catalog = catalogFile([{ name: "m", generation: 7, minimum: 0 }]);
    for (const file_type of ["parquet", "csv", "jsonl"]) {
      bucket = await s3.createBucket();
      const r = await write({ file_type }, catalog, [rec("m", { id: 1, name: "x" }), rec("m", { id: 2, name: "y" })]);
      expect(r.code).toBe(0);
      const rows = await rowsOf("m/");
      expect(Object.keys(rows[0]!)).toEqual(["_airbyte_raw_id", "_airbyte_extracted_at", "_airbyte_meta", "_airbyte_generation_id", "id", "name"]);
      expect(rows.map((x) => [x["id"], x["name"]])).toEqual([
        ["1", "x"],
        ["2", "y"],
      ]);
      expect(new Set(rows.map((x) => x["_airbyte_raw_id"])).size).toBe(2);
      expect(rows.every((x) => /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(String(x["_airbyte_raw_id"])))).toBe(true);
      // Parquet types it as Airbyte does: INT64 Timestamp(MILLIS, adjusted to UTC); text formats keep the integer.
      expect(rows[0]!["_airbyte_extracted_at"]).toBe(file_type === "parquet" ? "2023-11-14 22:13:20+00" : "1700000000000");
      if (file_type === "parquet") {
        const [obj] = await s3.listObjects(bucket, "m/");
        const element = readParquetMetadata(await s3.getObject(bucket, obj!.key)).schema.find((e) => e.name === "_airbyte_extracted_at");
        expect(element?.type).toBe("INT64");
        expect(element?.logical_type).toEqual({ type: "TIMESTAMP", isAdjustedToUTC: true, unit: "MILLIS" });
      }
      expect(rows[0]!["_airbyte_generation_id"]).toBe("7");
      expect(metaOf(rows[0]!)).toEqual({ sync_id: "107", changes: [] });
    }
  });

  it("Avro types _airbyte_extracted_at as Airbyte does: long with the timestamp-millis logical type, the value in milliseconds", async () => {
    const r = await write({ file_type: "avro" }, catalogFile([{ name: "a", generation: 1, minimum: 0 }]), [rec("a", { id: 1, name: "x" })]);
    expect(r.code).toBe(0);
    const [obj] = await s3.listObjects(bucket, "a/");
    const body = await s3.getObject(bucket, obj!.key);
    const fields = checkContainer(body).schema["fields"] as Array<{ name: string; type: unknown }>;
    expect(fields.find((f) => f.name === "_airbyte_extracted_at")?.type).toEqual(["null", { type: "long", logicalType: "timestamp-millis" }]);
    const { records } = await readAvro(body);
    expect(Number(records[0]!["_airbyte_extracted_at"])).toBe(1_700_000_000_000);
  });

  it("with flattening_enabled, the record's objects become a__b columns but _airbyte_meta stays one column", async () => {
    const props = { id: { type: "integer" }, address: { type: "object", properties: { city: { type: "string" } } } };
    const catalog = catalogFile([{ name: "f", generation: 2, minimum: 0, properties: props }]);
    const r = await write({ file_type: "csv", flattening_enabled: true }, catalog, [rec("f", { id: 1, address: { city: "Oslo" } })]);
    expect(r.code).toBe(0);
    const rows = await rowsOf("f/");
    expect(Object.keys(rows[0]!)).toEqual(["_airbyte_raw_id", "_airbyte_extracted_at", "_airbyte_meta", "_airbyte_generation_id", "id", "address__city"]);
    expect(metaOf(rows[0]!)).toEqual({ sync_id: "102", changes: [] });
    expect(rows[0]!["address__city"]).toBe("Oslo");
  });

  it("a value its column's type cannot hold is written as null and recorded in _airbyte_meta.changes, next to the source's changes", async () => {
    const props = {
      id: { type: "integer" },
      amount: { type: "number" },
      seen: { type: "string", format: "date-time" },
      tags: { type: "array" },
      note: { type: ["string", "null"] },
    };
    const catalog = catalogFile([{ name: "t", generation: 1, minimum: 0, properties: props }]);
    const bad = JSON.stringify({
      type: "RECORD",
      record: {
        stream: "t",
        data: { id: "12x", amount: 302.28, seen: "yesterday", tags: "a,b", note: 5 },
        emitted_at: 1_700_000_000_000,
        meta: { changes: [{ field: "big_blob", change: "TRUNCATED", reason: "SOURCE_FIELD_SIZE_LIMITATION" }] },
      },
    });
    const good =
      '{"type":"RECORD","record":{"stream":"t","data":{"id":9007199254740993,"amount":0.07,"seen":"2024-01-02T03:04:05+02:00","tags":["x"],"note":"n"},"emitted_at":1700000000000}}';
    for (const file_type of ["jsonl", "parquet"]) {
      bucket = await s3.createBucket();
      const r = await write({ file_type }, catalog, [bad, good, globalState(1)]);
      expect(r.code).toBe(0);
      expect(states(r)).toHaveLength(1);
      const rows = await rowsOf("t/");
      expect(rows).toHaveLength(2);
      const [first, second] = rows as [Record<string, unknown>, Record<string, unknown>];
      expect([first["id"], String(first["amount"]), first["seen"], first["tags"], first["note"]]).toEqual([null, "302.28", null, null, null]);
      expect(metaOf(first)).toEqual({
        sync_id: "101",
        changes: [
          { field: "big_blob", change: "TRUNCATED", reason: "SOURCE_FIELD_SIZE_LIMITATION" },
          ...["id", "seen", "tags", "note"].map((field) => ({ field, change: "NULLED", reason: "DESTINATION_TYPECAST_ERROR" })),
        ],
      });
      expect(second["id"]).toBe("9007199254740993");
      expect(String(second["amount"])).toBe("0.07");
      expect(metaOf(second)).toEqual({ sync_id: "101", changes: [] });
    }
  });

  it("a key sent twice in data is refused under invalid_record_policy, also when type failures are nulled or a data key is named like a metadata column", async () => {
    const props = { id: { type: "integer" }, name: { type: ["string", "null"] }, _airbyte_raw_id: { type: ["string", "null"] } };
    const catalog = catalogFile([{ name: "t", generation: 1, minimum: 0, properties: props }]);
    const envelope = (data: string): string => `{"type":"RECORD","record":{"stream":"t","data":${data},"emitted_at":1700000000000}}`;
    const lines = [
      envelope('{"id":1,"name":"a","name":"b"}'),
      envelope('{"id":"2x","name":"a","n\\u0061me":"b"}'),
      envelope('{"id":3,"_airbyte_raw_id":"mine","name":"a","name":"b"}'),
      envelope('{"id":4,"name":"kept"}'),
      globalState(1),
    ];
    const r = await write({ file_type: "jsonl", invalid_record_policy: "skip" }, catalog, lines);
    expect(r.code, r.stderr).toBe(0);
    for (const line of [1, 2, 3]) expect(r.stderr).toMatch(new RegExp(`invalid record skipped.*line=${line}\\b.*name`));
    expect(idsOf(await rowsOf("t/"))).toEqual([{ id: "4" }]);
  });
});

describe("failures", () => {
  it("a failure emits a TRACE system_error as the last line and no STATE after it", async () => {
    const catalog = catalogFile([{ name: "a" }]);
    const lines = [rec("a", { id: 1 }), globalState(1), "{not json", rec("a", { id: 2 }), globalState(2)];
    const r = await write({ file_type: "jsonl", batch_size_rows: 1 }, catalog, lines);
    expect(r.code).toBe(1);
    const all = messages(r);
    expect(all.at(-1)!.type).toBe("TRACE");
    expect(all.at(-1)!.trace!.type).toBe("ERROR");
    expect(all.at(-1)!.trace!.error.failure_type).toBe("system_error");
    expect(all.at(-1)!.trace!.error.message).toMatch(/line 3/);
    // internal_message: the class and the sentence once; the stack only in stack_trace.
    const error = all.at(-1)!.trace!.error as { message: string; internal_message: string; stack_trace?: string };
    expect(error.internal_message).toBe(`InputError: ${error.message}`);
    expect(error.stack_trace).toMatch(/^InputError: line 3[^\n]*\n\s+at /);
    expect(all.filter((m) => m.type === "TRACE")).toHaveLength(1);
    // State 1 may have left before the failure; state 2 never does.
    expect(states(r).map((s) => (s["global"] as { shared_state: { lsn: number } }).shared_state.lsn)).not.toContain(2);
  });

  it("bad settings and a missing bucket are TRACE config_errors", async () => {
    const catalog = catalogFile([{ name: "a" }]);
    const bad = await write({ file_type: "orc" }, catalog, [rec("a", { id: 1 })]);
    expect(bad.code).toBe(2);
    expect(messages(bad)).toHaveLength(1);
    expect(messages(bad)[0]!.trace!.error.failure_type).toBe("config_error");

    const r = await runCli(
      ["--write", "--config", writeConfig(s3Config(s3, "no-such-bucket-here", { file_type: "jsonl", max_retries: 0 })), "--catalog", catalog],
      {
        input: [rec("a", { id: 1 }), globalState(1)].join("\n"),
      },
    );
    expect(r.code).not.toBe(0);
    expect(states(r)).toEqual([]);
    const trace = messages(r).at(-1)!;
    expect(trace.trace!.error.failure_type).toBe("config_error");
    expect(trace.trace!.error.message).toMatch(/NoSuchBucket/);
    expect(r.stdout).not.toContain(TEST_SECRET_ACCESS_KEY);
  });
});

describe("catalog", () => {
  it("a json_schema the target cannot use is a TRACE config_error naming the stream", async () => {
    const catalog = catalogFile([{ name: "clash", properties: { id: { type: "integer" }, ID: { type: "integer" } } }]);
    const r = await write({ file_type: "csv", column_header_format: "lower" }, catalog, [rec("clash", { id: 1 })]);
    expect(r.code).toBe(2);
    const trace = messages(r).at(-1)!;
    expect(trace.trace!.error.failure_type).toBe("config_error");
    expect(trace.trace!.error.message).toMatch(/json_schema for stream 'clash'/);
    expect(await s3.listObjects(bucket)).toEqual([]);
  });
});

describe("overwrite", () => {
  const gen = async (key: string): Promise<string | undefined> =>
    (await s3.client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }))).Metadata?.["ab-generation-id"];

  it("deletes only older generations of its own stream, after success only", async () => {
    const run = (g: number, min: number, extra: string[] = []): Promise<CliResult> =>
      write(
        { file_type: "jsonl" },
        catalogFile([
          { name: "users", mode: "overwrite", generation: g, minimum: min },
          { name: "users_log", mode: "append", generation: g, minimum: 0 },
        ]),
        [rec("users", { id: g }), rec("users_log", { id: g }), ...extra, status("users", "COMPLETE"), status("users_log", "COMPLETE"), globalState(g)],
      );
    expect((await run(1, 0)).code).toBe(0);
    expect((await run(2, 1)).code).toBe(0); // minimum 1: generation 1 stays
    // An object under the prefix that the target did not write (no stream metadata) is never deleted.
    await s3.client.send(new PutObjectCommand({ Bucket: bucket, Key: "users/foreign.txt", Body: "keep me" }));
    let users = await s3.listObjects(bucket, "users/");
    expect(await Promise.all(users.map((o) => gen(o.key)))).toEqual(expect.arrayContaining(["1", "2", undefined]));

    expect((await run(3, 3)).code).toBe(0); // truncate: generations 1 and 2 go
    users = await s3.listObjects(bucket, "users/");
    expect((await Promise.all(users.map((o) => gen(o.key)))).sort()).toEqual(["3", undefined]);
    expect(users.filter((o) => o.key.endsWith(".jsonl")).length).toBe(1);
    expect(idsOf(await readObjectRows(s3, bucket, users.find((o) => o.key.endsWith(".jsonl"))!.key))).toEqual([{ id: "3" }]);
    // The append stream keeps every generation.
    expect((await rowsOf("users_log/")).map((x) => x["id"]).sort()).toEqual(["1", "2", "3"]);

    // A failed sync deletes nothing, even with a higher minimum.
    const failed = await run(4, 4, ["{broken"]);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/sync failed: older generations .* kept.*streams=users/);
    const after = await s3.listObjects(bucket, "users/");
    expect(after.map((o) => o.key)).toEqual(expect.arrayContaining(users.map((o) => o.key)));
  });

  it("keeps the previous generation when the overwrite stream ended INCOMPLETE or without a status", async () => {
    const run = (g: number, tail: string[]): Promise<CliResult> =>
      write({ file_type: "jsonl" }, catalogFile([{ name: "users", mode: "overwrite", generation: g, minimum: g }]), [
        rec("users", { id: g }),
        globalState(g),
        ...tail,
      ]);
    expect((await run(1, [status("users", "COMPLETE")])).code).toBe(0);
    const first = (await s3.listObjects(bucket, "users/")).map((o) => o.key);
    expect(first).toHaveLength(1);

    const incomplete = await run(2, [status("users", "INCOMPLETE")]);
    expect(incomplete.code).toBe(0);
    expect(incomplete.stderr).toMatch(/users.*INCOMPLETE.*kept|kept.*users.*INCOMPLETE/);
    let keys = (await s3.listObjects(bucket, "users/")).map((o) => o.key);
    expect(keys).toEqual(expect.arrayContaining(first));
    expect(keys).toHaveLength(2);

    const silent = await run(3, []);
    expect(silent.code).toBe(0);
    expect(silent.stderr).toMatch(/users.*no COMPLETE stream status/);
    keys = (await s3.listObjects(bucket, "users/")).map((o) => o.key);
    expect(keys).toEqual(expect.arrayContaining(first));
    expect(keys).toHaveLength(3);

    // A COMPLETE sync then removes every older generation (1, 2 and 3).
    expect((await run(4, [status("users", "COMPLETE")])).code).toBe(0);
    const last = await s3.listObjects(bucket, "users/");
    expect(last).toHaveLength(1);
    expect(idsOf(await readObjectRows(s3, bucket, last[0]!.key))).toEqual([{ id: "4" }]);
  });

  it("a truncate refresh (minimum_generation_id = generation_id) on an append stream leaves only the new generation", async () => {
    const run = (g: number, minimum: number): Promise<CliResult> =>
      write({ file_type: "jsonl" }, catalogFile([{ name: "events", mode: "append", generation: g, minimum }]), [
        rec("events", { id: g }),
        status("events", "COMPLETE"),
        globalState(g),
      ]);
    expect((await run(4, 0)).code).toBe(0);
    expect((await run(4, 0)).code).toBe(0); // a plain append sync: both objects stay
    expect(await s3.listObjects(bucket, "events/")).toHaveLength(2);
    // Objects of Airbyte's own S3 destination (generation only) and of older target-s3 versions (old names) go too;
    // an object without a generation stays.
    const put = (Key: string, Metadata?: Record<string, string>): Promise<unknown> =>
      s3.client.send(new PutObjectCommand({ Bucket: bucket, Key, Body: "{}\n", ...(Metadata ? { Metadata } : {}) }));
    await put("events/2024_01_01_1700000000000_0.jsonl", { "ab-generation-id": "3" });
    await put("events/old-target-s3.jsonl", { "airbyte-stream": "events", "airbyte-namespace": "", "airbyte-generation-id": "4" });
    await put("events/by-hand.txt");
    const r = await run(5, 5);
    expect(r.code).toBe(0);
    const left = await s3.listObjects(bucket, "events/");
    expect(left.map((o) => o.key).filter((k) => k !== "events/by-hand.txt")).toHaveLength(1);
    expect(left).toHaveLength(2);
    expect(idsOf(await readObjectRows(s3, bucket, left.find((o) => o.key !== "events/by-hand.txt")!.key))).toEqual([{ id: "5" }]);
  });

  it("refuses a prefix shared by two streams before writing anything", async () => {
    const catalog = catalogFile([
      { name: "a", mode: "overwrite", generation: 1, minimum: 1 },
      { name: "b", generation: 1, minimum: 0 },
    ]);
    const r = await write({ file_type: "jsonl", key_template: "data/{stream_name}-{part}.{extension}" }, catalog, [rec("a", { id: 1 })]);
    expect(r.code).toBe(2);
    const trace = messages(r).at(-1)!;
    expect(trace.trace!.error.failure_type).toBe("config_error");
    expect(trace.trace!.error.message).toMatch(/stream 'a'.*no folder of its own/);
    expect(await s3.listObjects(bucket)).toEqual([]);

    const nested = await write(
      { file_type: "jsonl", key_template: "{namespace}/{stream_name}/{part}.{extension}" },
      catalogFile([
        { name: "x", namespace: "users", generation: 1 },
        { name: "users", mode: "overwrite", generation: 1, minimum: 1 },
      ]),
      [rec("users", { id: 1 })],
    );
    expect(nested.code).toBe(2);
    expect(messages(nested).at(-1)!.trace!.error.message).toMatch(/share the prefix "users\/"/);
  });
});
