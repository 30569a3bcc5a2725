// Singer SDK parity as a Meltano user meets it: stream maps and BATCH messages, through the real CLI against the
// local S3 server; every object read back and compared value by value (JSON Lines as exact text).
import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { gzipSync } from "node:zlib";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { DuckDBInstance } from "@duckdb/node-api";
import { describe, expect, it } from "vitest";
import { makeTempDir, runCli, s3Config, writeConfig, type CliResult } from "../helpers/run-cli.js";
import type { S3TestServer } from "../helpers/s3-server.js";
import { useS3 } from "../helpers/s3-fixture.js";
import { readStreamObjects } from "../helpers/stream-objects.js";

let s3: S3TestServer;
let bucket: string;
useS3((f) => ({ s3, bucket } = f));

const line = (m: unknown): string => JSON.stringify(m);
const hint = (r: CliResult): string => `exit ${r.code}\nstderr:\n${r.stderr.slice(-3000)}`;
const md5 = (s: string): string => createHash("md5").update(s, "utf8").digest("hex");

const USERS_SCHEMA = {
  type: "SCHEMA",
  stream: "users",
  schema: {
    type: "object",
    properties: { id: { type: "integer" }, email: { type: ["null", "string"] }, amount: { type: "number" }, note: { type: ["null", "string"] } },
  },
  key_properties: ["id"],
};

/** Meltano writes the plugin's config as one JSON file: settings plus stream_maps and stream_map_config. */
function meltanoConfig(extra: Record<string, unknown>): string {
  return writeConfig(
    s3Config(s3, bucket, {
      file_type: "jsonl",
      stream_maps: { users: { email: null, email_hash: "md5(email)", __filter__: "amount >= 10" } },
      stream_map_config: {},
      ...extra,
    }),
  );
}

function batchMessage(stream: string, format: "jsonl" | "parquet", compression: "gzip" | "none", manifest: string[]): string {
  return line({ type: "BATCH", stream, encoding: { format, compression }, manifest });
}

/** The SDK's batch file: one record per line (raw text, so numbers are exactly what the test means). */
function writeGzBatch(dir: string, name: string, lines: string[]): string {
  const path = join(dir, name);
  writeFileSync(path, gzipSync(lines.join("\n") + "\n"));
  return pathToFileURL(path).href;
}

describe("stream maps and a BATCH of gzipped JSON Lines (the Meltano case)", () => {
  it("lands exactly the expected rows and columns: email removed, email_hash added, amount >= 10 kept", async () => {
    const dir = makeTempDir("target-s3-batch-");
    const file = writeGzBatch(dir, "users-0001.jsonl.gz", [
      '{"id":10,"email":"c@example.com","amount":19.99,"note":"from batch"}',
      '{"id":11,"email":"d@example.com","amount":1e-7,"note":null}',
      '{"id":12,"email":"e@example.com","amount":10,"note":"exactly ten"}',
    ]);
    const input = [
      line(USERS_SCHEMA),
      '{"type":"RECORD","stream":"users","record":{"id":1,"email":"a@example.com","amount":302.28,"note":"x"}}',
      '{"type":"RECORD","stream":"users","record":{"id":2,"email":"b@example.com","amount":0.07,"note":null}}',
      '{"type":"RECORD","stream":"users","record":{"id":9007199254740993,"email":"big@example.com","amount":12345678901234567.89,"note":"big"}}',
      line({ type: "STATE", value: { bookmark: 1 } }),
      batchMessage("users", "jsonl", "gzip", [file]),
      line({ type: "STATE", value: { bookmark: 2 } }),
    ].join("\n");
    const result = await runCli(["--config", meltanoConfig({})], { input });
    expect(result.code, hint(result)).toBe(0);

    const objects = await readStreamObjects(s3, bucket);
    expect(objects.map((o) => o.stream)).toEqual(["users"]);
    // Exact text: untouched numbers as sent (no double rounding), computed md5 as a string, in the SDK's order.
    expect(objects[0]?.body.toString("utf8").split("\n").filter(Boolean)).toEqual([
      `{"id":1,"amount":302.28,"note":"x","email_hash":"${md5("a@example.com")}"}`,
      `{"id":9007199254740993,"amount":12345678901234567.89,"note":"big","email_hash":"${md5("big@example.com")}"}`,
      `{"id":10,"amount":19.99,"note":"from batch","email_hash":"${md5("c@example.com")}"}`,
      `{"id":12,"amount":10,"note":"exactly ten","email_hash":"${md5("e@example.com")}"}`,
    ]);
    expect(result.stateLines.at(-1)).toEqual({ bookmark: 2 });
    expect(result.invalidStdoutLines).toEqual([]);
    // Records of the BATCH count as records of the stream (after the filter).
    expect(result.stderr).toMatch(/METRIC: \{"type":"counter","metric":"record_count","value":4,"tags":\{"stream":"users","pid":\d+\}\}/);
  });

  it("writes the mapped columns to Parquet with the derived types", async () => {
    const dir = makeTempDir("target-s3-batch-");
    const file = writeGzBatch(dir, "b.jsonl.gz", ['{"id":3,"email":"c@example.com","amount":1.1,"note":null}']);
    const config = meltanoConfig({
      file_type: "parquet",
      stream_maps: { users: { email: null, email_hash: "md5(email)", cents: "int(amount * 100)", big: "amount >= 100", __filter__: "amount >= 1" } },
    });
    const input = [
      line(USERS_SCHEMA),
      '{"type":"RECORD","stream":"users","record":{"id":1,"email":"a@example.com","amount":302.28,"note":"x"}}',
      '{"type":"RECORD","stream":"users","record":{"id":2,"email":"b@example.com","amount":0.07,"note":null}}',
      batchMessage("users", "jsonl", "gzip", [file]),
      line({ type: "STATE", value: { n: 1 } }),
    ].join("\n");
    const result = await runCli(["--config", config], { input });
    expect(result.code, hint(result)).toBe(0);
    const rows = (await readStreamObjects(s3, bucket, "", { parquetReader: "hyparquet" })).flatMap((o) => o.rows);
    // int(302.28 * 100) is 30227 in Python too (302.28 * 100 = 30227.999999999996): the SDK's semantics, kept.
    expect(rows).toEqual([
      { id: 1, amount: 302.28, note: "x", email_hash: md5("a@example.com"), cents: 30227, big: true },
      { id: 3, amount: 1.1, note: null, email_hash: md5("c@example.com"), cents: 110, big: false },
    ]);
    expect(result.stateLines).toEqual([{ n: 1 }]);
  });
});

describe("two source streams mapped to one stream name", () => {
  it("each record is written with its own source's columns, in Parquet too (users' email was lost under admins' columns)", async () => {
    const config = meltanoConfig({ file_type: "parquet", stream_maps: { users: { __alias__: "people" }, admins: { __alias__: "people" } } });
    const admins = {
      type: "SCHEMA",
      stream: "admins",
      schema: { type: "object", properties: { id: { type: "integer" }, role: { type: ["null", "string"] } } },
      key_properties: ["id"],
    };
    const input = [
      line(USERS_SCHEMA),
      line(admins),
      '{"type":"RECORD","stream":"users","record":{"id":1,"email":"a@example.com","amount":302.28,"note":"x"}}',
      '{"type":"RECORD","stream":"admins","record":{"id":2,"role":"owner"}}',
      '{"type":"RECORD","stream":"users","record":{"id":3,"email":"c@example.com","amount":0.07,"note":null}}',
      line({ type: "STATE", value: { n: 1 } }),
    ].join("\n");
    const result = await runCli(["--config", config], { input });
    expect(result.code, hint(result)).toBe(0);
    const objects = await readStreamObjects(s3, bucket, "", { parquetReader: "hyparquet" });
    expect(objects.every((o) => o.stream === "people")).toBe(true);
    const rows = objects.flatMap((o) => o.rows).sort((a, b) => Number(a["id"]) - Number(b["id"]));
    expect(rows).toEqual([
      { id: 1, email: "a@example.com", amount: 302.28, note: "x" },
      { id: 2, role: "owner" },
      { id: 3, email: "c@example.com", amount: 0.07, note: null },
    ]);
    expect(result.stateLines).toEqual([{ n: 1 }]);
  });
});

describe("BATCH messages", () => {
  it("reads s3:// files with the target's credentials and Parquet files, records counted like RECORD lines", async () => {
    const dir = makeTempDir("target-s3-batch-");
    const tapBucket = await s3.createBucket();
    await s3.client.send(new PutObjectCommand({ Bucket: tapBucket, Key: "batches/orders-1.jsonl", Body: '{"id":1,"total":302.28}\n{"id":2,"total":0.07}\n' }));
    const parquet = join(dir, "orders-2.parquet");
    const duckDb = await DuckDBInstance.create(":memory:");
    const duck = await duckDb.connect();
    await duck.run(`COPY (SELECT * FROM (VALUES (3::BIGINT, 19.99::DOUBLE), (4, 1234.5)) t(id, total)) TO '${parquet}' (FORMAT parquet)`);
    duck.closeSync();
    duckDb.closeSync();
    const schema = {
      type: "SCHEMA",
      stream: "orders",
      schema: { type: "object", properties: { id: { type: "integer" }, total: { type: "number" } } },
      key_properties: ["id"],
    };
    const input = [
      line(schema),
      batchMessage("orders", "jsonl", "none", [`s3://${tapBucket}/batches/orders-1.jsonl`]),
      batchMessage("orders", "parquet", "none", [pathToFileURL(parquet).href]),
      line({ type: "STATE", value: { done: true } }),
    ].join("\n");
    const config = writeConfig(
      s3Config(s3, bucket, {
        file_type: "jsonl",
        stream_maps: { orders: { __alias__: "orders_v2" }, big_orders: { __source__: "orders", __filter__: "total > 100", __else__: null } },
      }),
    );
    const result = await runCli(["--config", config], { input });
    expect(result.code, hint(result)).toBe(0);
    const objects = await readStreamObjects(s3, bucket);
    const byStream = (name: string): string[] => objects.filter((o) => o.stream === name).flatMap((o) => o.body.toString("utf8").split("\n").filter(Boolean));
    expect(byStream("orders_v2")).toEqual(['{"id":1,"total":302.28}', '{"id":2,"total":0.07}', '{"id":3,"total":19.99}', '{"id":4,"total":1234.5}']);
    expect(byStream("big_orders")).toEqual(['{"id":1}', '{"id":4}']);
    expect(objects.map((o) => o.stream).sort()).toEqual(["big_orders", "orders_v2"]);
    expect(result.stateLines).toEqual([{ done: true }]);
  });

  it("reads Parquet batch files value by value: exact big integers and decimals, timestamps as ISO 8601 UTC", async () => {
    const dir = makeTempDir("target-s3-batch-");
    const parquet = join(dir, "events.parquet");
    const duckDb = await DuckDBInstance.create(":memory:");
    const duck = await duckDb.connect();
    await duck.run(
      `COPY (SELECT 9007199254740993::BIGINT AS id, 12345678901234567.89::DECIMAL(20,2) AS amount, 1e-7::DOUBLE AS tiny, ` +
        `TIMESTAMP '2024-01-02 03:04:05.123456' AS at, TIMESTAMPTZ '2024-01-02 03:04:05+02' AS at_tz, 'x"y' AS note) TO '${parquet}' (FORMAT parquet)`,
    );
    duck.closeSync();
    duckDb.closeSync();
    const properties = {
      id: { type: "integer" },
      amount: { type: "number" },
      tiny: { type: "number" },
      at: { type: "string", format: "date-time" },
      at_tz: { type: "string", format: "date-time" },
      note: { type: "string" },
    };
    const input = [
      line({ type: "SCHEMA", stream: "events", schema: { type: "object", properties }, key_properties: ["id"] }),
      batchMessage("events", "parquet", "none", [pathToFileURL(parquet).href]),
      line({ type: "STATE", value: { n: 1 } }),
    ].join("\n");
    const result = await runCli(["--config", writeConfig(s3Config(s3, bucket, { file_type: "jsonl" }))], { input });
    expect(result.code, hint(result)).toBe(0);
    const [object] = await readStreamObjects(s3, bucket);
    expect(object?.body.toString("utf8")).toBe(
      '{"id":9007199254740993,"amount":12345678901234567.89,"tiny":1e-7,"at":"2024-01-02T03:04:05.123456Z","at_tz":"2024-01-02T01:04:05.000000Z","note":"x\\"y"}\n',
    );
    expect(result.stateLines).toEqual([{ n: 1 }]);
  });

  it("a record of a BATCH file that fails validation stops the run naming the file and record; the STATE after it never leaves", async () => {
    const dir = makeTempDir("target-s3-batch-");
    const file = writeGzBatch(dir, "bad.jsonl.gz", ['{"id":5,"amount":1}', '{"id":6,"amount":"lots"}']);
    const input = [
      line(USERS_SCHEMA),
      '{"type":"RECORD","stream":"users","record":{"id":1,"amount":302.28}}',
      line({ type: "STATE", value: { n: 1 } }),
      batchMessage("users", "jsonl", "gzip", [file]),
      line({ type: "STATE", value: { n: 2 } }),
    ].join("\n");
    const result = await runCli(["--config", writeConfig(s3Config(s3, bucket, { file_type: "jsonl" }))], { input });
    expect(result.code, hint(result)).toBe(1);
    expect(result.stderr).toContain(`line 4: record for stream 'users' does not match its SCHEMA`);
    expect(result.stderr).toContain(`(BATCH file ${file}, record 2)`);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(result.stateLines).not.toContainEqual({ n: 2 });
  });
});

describe("a BATCH file that cannot be read as lines", () => {
  it("a gzipped file declared compression none names the BATCH's input line and the file's record, not line 1", async () => {
    const dir = makeTempDir("target-s3-batch-");
    const file = writeGzBatch(dir, "users.jsonl.gz", ['{"id":5,"amount":1}']);
    const input = [line(USERS_SCHEMA), line({ type: "STATE", value: { n: 1 } }), batchMessage("users", "jsonl", "none", [file])].join("\n");
    const result = await runCli(["--config", writeConfig(s3Config(s3, bucket, { file_type: "jsonl" }))], { input });
    expect(result.code, hint(result)).toBe(1);
    expect(result.stderr).toContain(`line 3: the line is not valid UTF-8`);
    expect(result.stderr).toContain(`(BATCH file ${file}, record 1)`);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});

describe("what stops the run", () => {
  it("an SDK stream map feature target-s3 does not offer (fake) is refused before anything is read (exit 2)", async () => {
    const config = meltanoConfig({ stream_maps: { users: { email: "fake.email()" } } });
    const result = await runCli(["--config", config], { input: [line(USERS_SCHEMA), line({ type: "STATE", value: { n: 1 } })].join("\n") });
    expect(result.code, hint(result)).toBe(2);
    expect(result.stderr).toContain(
      `stream_maps.users.email: expression "fake.email()": Faker-generated values ('fake') are not supported by target-s3: mask with md5()/sha256() or drop the property with null`,
    );
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(result.stdout).toBe("");
    expect(await s3.listObjects(bucket)).toEqual([]);
  });

  it("stream_maps in an Airbyte write are refused, not ignored (exit 2)", async () => {
    const catalog = join(makeTempDir("target-s3-catalog-"), "catalog.json");
    const stream = { name: "users", json_schema: { type: "object", properties: { id: { type: "integer" } } }, supported_sync_modes: ["full_refresh"] };
    writeFileSync(catalog, JSON.stringify({ streams: [{ stream, sync_mode: "full_refresh", destination_sync_mode: "append" }] }));
    const config = writeConfig(s3Config(s3, bucket, { stream_maps: { users: { id: null } } }));
    const input = line({ type: "RECORD", record: { stream: "users", data: { id: 1 }, emitted_at: 1_700_000_000_000 } }) + "\n";
    const result = await runCli(["write", "--config", config, "--catalog", catalog], { input });
    expect(result.code, hint(result)).toBe(2);
    expect(result.stdout + result.stderr).toContain("stream_maps apply to Singer input only: remove stream_maps from the configuration of an Airbyte write");
    expect(await s3.listObjects(bucket)).toEqual([]);
  });

  it("an expression that fails on a record stops the run naming the stream, the expression and the line (exit 1)", async () => {
    const config = meltanoConfig({ stream_maps: { users: { label: "note.upper()" } } });
    const input = [
      line(USERS_SCHEMA),
      '{"type":"RECORD","stream":"users","record":{"id":1,"amount":3,"note":"a"}}',
      line({ type: "STATE", value: { n: 1 } }),
      '{"type":"RECORD","stream":"users","record":{"id":2,"amount":3,"note":null}}',
      line({ type: "STATE", value: { n: 2 } }),
    ].join("\n");
    const result = await runCli(["--config", config], { input });
    expect(result.code, hint(result)).toBe(1);
    expect(result.stderr).toContain(
      `line 4: stream_maps for stream 'users': expression "note.upper()" failed on this record (AttributeError: 'NoneType' object has no attribute 'upper'): fix the expression or the record`,
    );
    expect(result.stateLines).not.toContainEqual({ n: 2 });
  });
});
