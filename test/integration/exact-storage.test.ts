// Accepted values are stored exactly at every depth (issue 16), and values that used to pass validation and then
// fail the whole file are refused at their own line (issue 15 item 10). Built CLI, real local S3, read back.
import { describe, expect, it } from "vitest";
import { readObjectRows } from "../helpers/read-back.js";
import { runCli, s3Config, writeConfig } from "../helpers/run-cli.js";
import type { S3TestServer } from "../helpers/s3-server.js";
import { useS3WithProxy } from "../helpers/s3-fixture.js";

let s3: S3TestServer;
let bucket: string;
useS3WithProxy((f) => ({ s3, bucket } = f));

async function run(extra: Record<string, unknown>, input: string) {
  const cfg = writeConfig(s3Config(s3, bucket, { max_retries: 0, ...extra }));
  return runCli(["--config", cfg], { input });
}
async function onlyRows(): Promise<Record<string, unknown>[]> {
  const keys = (await s3.listObjects(bucket)).map((o) => o.key);
  expect(keys).toHaveLength(1);
  return readObjectRows(s3, bucket, keys[0]!);
}

const schema = (properties: Record<string, unknown>) =>
  JSON.stringify({ type: "SCHEMA", stream: "s", key_properties: ["id"], schema: { type: "object", properties: { id: { type: "integer" }, ...properties } } });
const record = (fields: string) => `{"type":"RECORD","stream":"s","record":{${fields}}}`;

describe("exact values inside STRUCT and LIST columns (Parquet)", () => {
  it("DECIMAL and JSON inside STRUCT/LIST keep every digit; nested date-times with lower-case t/z or no seconds are read", async () => {
    const input =
      [
        schema({
          items: { type: "array", items: { type: "object", properties: { amount: { type: "number", multipleOf: 0.01 }, sku: { type: "string" } } } },
          meta: { type: "object", properties: { raw: {}, at: { type: "string", format: "date-time" } } },
          times: { type: "array", items: { type: "string", format: "date-time" } },
        }),
        record(
          `"id":1,"items":[{"amount":12345678901234567.89,"sku":"a"},{"amount":0.07,"sku":"b"}],"meta":{"raw":{"big":12345678901234567.89},"at":"2024-01-01T10:00z"},"times":["2024-01-01t10:00:00Z","2024-01-01 11:30"]`,
        ),
      ].join("\n") + "\n";
    const r = await run({ file_type: "parquet" }, input);
    expect(r.code, r.stderr).toBe(0);
    const [row] = await onlyRows();
    const items = row!["items"] as Array<Record<string, unknown>>;
    expect(items.map((i) => String(i["amount"]))).toEqual(["12345678901234567.89", "0.07"]);
    const meta = row!["meta"] as Record<string, unknown>;
    expect(JSON.stringify(meta["raw"])).not.toContain("e16");
    expect(String(typeof meta["raw"] === "string" ? meta["raw"] : JSON.stringify(meta["raw"]))).toContain("12345678901234567.89");
    expect(String(meta["at"])).toMatch(/^2024-01-01[ T]10:00:00/);
    expect((row!["times"] as unknown[]).map(String)).toEqual([
      expect.stringMatching(/^2024-01-01[ T]10:00:00/),
      expect.stringMatching(/^2024-01-01[ T]11:30:00/),
    ]);
  });
});

describe("CSV dates of year 0", () => {
  it("are written as ISO 0000-01-01, not '0001-01-01 (BC)'", async () => {
    const input = [schema({ d: { type: "string", format: "date" } }), record(`"id":1,"d":"0000-01-01"`), record(`"id":2,"d":"2024-02-29"`)].join("\n") + "\n";
    const r = await run({ file_type: "csv" }, input);
    expect(r.code, r.stderr).toBe(0);
    const [key] = (await s3.listObjects(bucket)).map((o) => o.key);
    const text = (await s3.getObject(bucket, key!)).toString("utf8");
    expect(text).toContain("0000-01-01");
    expect(text).not.toContain("BC");
  });
});

describe("values that used to fail the whole file are refused at their own line", () => {
  const lone = record(`"id":2,"name":"a\\ud83d b"`);
  const big = record(`"id":3,"nested":{"n":9223372036854775808}`);
  const input =
    [
      schema({ name: { type: "string" }, nested: { type: "object", properties: { n: { type: "integer" } } } }),
      record(`"id":1,"name":"ok","nested":{"n":9223372036854775807}`),
      lone,
      big,
    ].join("\n") + "\n";

  for (const fileType of ["parquet", "csv", "jsonl"] as const) {
    it(`${fileType}: a lone surrogate escape and an integer just outside INT64 (digits compared) under skip`, async () => {
      const r = await run({ file_type: fileType, invalid_record_policy: "skip" }, input);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/line=3.*lone UTF-16 surrogate/);
      expect(r.stderr).toMatch(/line=4.*integer beyond the 64-bit range/);
      const rows = await onlyRows();
      expect(rows.map((x) => String(x["id"]))).toEqual(["1"]);
    });
  }

  it("fail (default) names the line of the lone surrogate", async () => {
    const r = await run({ file_type: "parquet" }, input);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/line 3/);
    expect(r.stderr).toMatch(/lone UTF-16 surrogate/);
  });
});

describe('a property named ""', () => {
  for (const fileType of ["parquet", "jsonl"] as const) {
    it(`${fileType}: at the top level it is refused at its SCHEMA line, in one sentence`, async () => {
      const r = await run({ file_type: fileType }, [schema({ "": { type: "string" } }), record(`"id":1,"":"e"`)].join("\n") + "\n");
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/line 1/);
      expect(r.stderr).toMatch(/property named "" \(empty\) cannot be a column/);
    });
  }

  it("parquet: inside an object it makes that column JSON, written exactly", async () => {
    const input =
      [
        schema({ o: { type: "object", properties: { "": { type: "string" }, n: { type: "number" } } } }),
        record(`"id":1,"o":{"":"e","n":12345678901234567.89}`),
      ].join("\n") + "\n";
    const r = await run({ file_type: "parquet" }, input);
    expect(r.code, r.stderr).toBe(0);
    const [row] = await onlyRows();
    expect(String(row!["o"])).toBe(`{"":"e","n":12345678901234567.89}`);
  });
});
