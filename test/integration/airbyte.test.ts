// The Airbyte destination: `spec` and `write` of the real CLI against s3rver. Every object is read back and compared
// with the records sent; STATE echoes, destinationStats, TRACE errors and overwrite generations are checked on stdout
// and in the store.
import { HeadObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { describe, expect, it } from "vitest";
import { readObjectRows } from "../helpers/read-back.js";
import { makeTempDir, runCli, s3Config, writeConfig, type CliResult } from "../helpers/run-cli.js";
import type { S3TestServer } from "../helpers/s3-server.js";
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
    state: { type: "STREAM", stream: { stream_descriptor: { name: stream, ...(namespace ? { namespace } : {}) }, stream_state: { cursor } }, sourceStats: { recordCount: 2 } },
  });
const globalState = (n: number): string =>
  JSON.stringify({ type: "STATE", state: { type: "GLOBAL", global: { shared_state: { lsn: n }, stream_states: [] } } });

function write(config: Record<string, unknown>, catalog: string, lines: string[]): Promise<CliResult> {
  return runCli(["write", "--config", writeConfig(s3Config(s3, bucket, config)), "--catalog", catalog], { input: lines.join("\n") + "\n", timeoutMs: 60_000 });
}

type Msg = { type: string; state?: Record<string, unknown>; trace?: { type: string; error: { message: string; failure_type: string; internal_message: string } } };
const messages = (r: CliResult): Msg[] => r.stateLines as Msg[];
const states = (r: CliResult): Array<Record<string, unknown>> => messages(r).filter((m) => m.type === "STATE").map((m) => m.state!);

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
    expect(r.stateLines).toHaveLength(1);
    expect(r.stateLines[0]).toMatchObject({ type: "CONNECTION_STATUS", connectionStatus: { status: "SUCCEEDED" } });
  });
});

describe("write", () => {
  it("writes two streams with interleaved STREAM states, echoes each state with its own recordCount, rows read back", async () => {
    const catalog = catalogFile([{ name: "users", namespace: "app" }, { name: "orders", namespace: "app" }]);
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
    for (const [i, s] of out.entries()) expect({ ...s, destinationStats: undefined }).toEqual({ ...(JSON.parse(lines[[3, 5, 8, 9][i]!]!) as { state: object }).state, destinationStats: undefined });

    const keys = (await s3.listObjects(bucket)).map((o) => o.key);
    expect(keys.every((k) => k.startsWith("app/users/") || k.startsWith("app/orders/"))).toBe(true);
    const users = await rowsOf("app/users/");
    expect(users.map((u) => [u["id"], u["name"]]).sort()).toEqual([["1", "ann"], ["2", "bob"], ["3", "cy"]]);
    const orders = await rowsOf("app/orders/");
    expect(orders.map((o) => [o["id"], o["name"]]).sort()).toEqual([["10", "o1"], ["11", null]]);
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

  it("skips records of a stream missing from the catalog with one warning, and still echoes states", async () => {
    const catalog = catalogFile([{ name: "known" }]);
    const lines = [rec("known", { id: 1 }), rec("ghost", { id: 2 }), rec("ghost", { id: 3 }), globalState(1)];
    const r = await write({ file_type: "jsonl" }, catalog, lines);
    expect(r.code).toBe(0);
    expect(r.stderr.match(/ghost.*not in the configured catalog/g)).toHaveLength(1);
    expect((states(r)[0]!["destinationStats"] as { recordCount: number }).recordCount).toBe(1);
    const keys = (await s3.listObjects(bucket)).map((o) => o.key);
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatch(/^known\//);
    expect((await rowsOf("known/")).map((x) => x["id"])).toEqual(["1"]);
  });

  it("keeps big integers and decimals in data exact (jsonl byte for byte, parquet BIGINT)", async () => {
    const props = { id: { type: "integer" }, amount: { type: "number" } };
    const text = '{"type":"RECORD","record":{"stream":"big","data":{"id":99999999999999999,"amount":0.10000000000000000555},"emitted_at":1}}';
    const r1 = await write({ file_type: "jsonl" }, catalogFile([{ name: "big", properties: props }]), [text, globalState(1)]);
    expect(r1.code).toBe(0);
    const [obj] = await s3.listObjects(bucket, "big/");
    expect((await s3.getObject(bucket, obj!.key)).toString("utf8")).toBe('{"id":99999999999999999,"amount":0.10000000000000000555}\n');

    bucket = await s3.createBucket();
    const r2 = await write({ file_type: "parquet" }, catalogFile([{ name: "big", properties: { id: { type: "integer" } } }]), [
      '{"type":"RECORD","record":{"stream":"big","data":{"id":99999999999999999},"emitted_at":1}}',
    ]);
    expect(r2.code).toBe(0);
    expect((await rowsOf("big/")).map((x) => x["id"])).toEqual(["99999999999999999"]);
  });

  it("adds the _airbyte_* columns when airbyte_metadata_columns is on", async () => {
    const catalog = catalogFile([{ name: "m", generation: 7, minimum: 0 }]);
    const r = await write({ file_type: "parquet", airbyte_metadata_columns: true }, catalog, [rec("m", { id: 1, name: "x" }), rec("m", { id: 2, name: "y" })]);
    expect(r.code).toBe(0);
    const rows = await rowsOf("m/");
    expect(Object.keys(rows[0]!)).toEqual(["_airbyte_raw_id", "_airbyte_extracted_at", "_airbyte_generation_id", "_airbyte_meta", "id", "name"]);
    expect(rows.map((x) => x["id"])).toEqual(["1", "2"]);
    expect(new Set(rows.map((x) => x["_airbyte_raw_id"])).size).toBe(2);
    expect(String(rows[0]!["_airbyte_extracted_at"])).toMatch(/^2023-11-14/);
    expect(rows[0]!["_airbyte_generation_id"]).toBe("7");
    expect(JSON.parse(String(rows[0]!["_airbyte_meta"]))).toEqual({ changes: [], sync_id: 107 });
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

    const r = await runCli(["--write", "--config", writeConfig(s3Config(s3, "no-such-bucket-here", { file_type: "jsonl", max_retries: 0 })), "--catalog", catalog], {
      input: [rec("a", { id: 1 }), globalState(1)].join("\n"),
    });
    expect(r.code).not.toBe(0);
    expect(states(r)).toEqual([]);
    const trace = messages(r).at(-1)!;
    expect(trace.trace!.error.failure_type).toBe("config_error");
    expect(trace.trace!.error.message).toMatch(/NoSuchBucket/);
    expect(r.stdout).not.toContain("S3RVER");
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
    (await s3.client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }))).Metadata?.["airbyte-generation-id"];

  it("deletes only older generations of its own stream, after success only", async () => {
    const run = (g: number, min: number, extra: string[] = []): Promise<CliResult> =>
      write(
        { file_type: "jsonl" },
        catalogFile([
          { name: "users", mode: "overwrite", generation: g, minimum: min },
          { name: "users_log", mode: "append", generation: g, minimum: 0 },
        ]),
        [rec("users", { id: g }), rec("users_log", { id: g }), ...extra, globalState(g)],
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
    expect(await readObjectRows(s3, bucket, users.find((o) => o.key.endsWith(".jsonl"))!.key)).toEqual([{ id: "3" }]);
    // The append stream keeps every generation.
    expect((await rowsOf("users_log/")).map((x) => x["id"]).sort()).toEqual(["1", "2", "3"]);

    // A failed sync deletes nothing, even with a higher minimum.
    const failed = await run(4, 4, ["{broken"]);
    expect(failed.code).toBe(1);
    const after = await s3.listObjects(bucket, "users/");
    expect(after.map((o) => o.key)).toEqual(expect.arrayContaining(users.map((o) => o.key)));
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
