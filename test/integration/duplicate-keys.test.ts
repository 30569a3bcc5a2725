// Duplicate keys in a record (issue 15 item 10), through the built CLI and the real local S3 server in every
// format: a record with a key sent twice in one object (top level, nested, in an array of objects) is an invalid
// record under invalid_record_policy — fail names its input line, stream and key path; skip and quarantine refuse
// it and every other record lands; nullify cannot repair it and refuses it as skip. With validate_records off a
// Parquet/CSV conversion names the input line of the duplicate.
import { describe, expect, it } from "vitest";
import { readAvro } from "../helpers/read-avro.js";
import { readObjectRows } from "../helpers/read-back.js";
import { readXml, xmlRecordObject } from "../helpers/read-xml.js";
import { runCli, s3Config, writeConfig } from "../helpers/run-cli.js";
import type { S3TestServer } from "../helpers/s3-server.js";
import { useS3 } from "../helpers/s3-fixture.js";

let s3: S3TestServer;
let bucket: string;
useS3((f) => ({ s3, bucket } = f));

const SCHEMA = JSON.stringify({
  type: "SCHEMA",
  stream: "users",
  key_properties: ["id"],
  schema: {
    type: "object",
    properties: {
      id: { type: "integer" },
      name: { type: ["null", "string"] },
      price: { type: ["null", "number"] },
      address: { type: ["null", "object"], properties: { city: { type: ["null", "string"] } } },
      items: { type: ["null", "array"], items: { type: "object", properties: { sku: { type: ["null", "string"] } } } },
    },
  },
});
const rec = (body: string): string => `{"type":"RECORD","stream":"users","record":{${body}}}`;
const GOOD = [
  { id: 1, name: 'Ann "A"', price: "302.28", city: "Oslo", sku: "a" },
  { id: 3, name: "Bo", price: "0.07", city: "Köln", sku: "b" },
  { id: 5, name: "", price: "19.99", city: "Lima", sku: "c" },
];
const good = (g: (typeof GOOD)[number]): string =>
  rec(`"id":${g.id},"name":${JSON.stringify(g.name)},"price":${g.price},"address":{"city":"${g.city}"},"items":[{"sku":"${g.sku}"}]`);
// Line 3: at the top level, the second spelled with an escape; line 5: in an object inside an array.
const DUP_TOP = rec(`"id":2,"name":"a","price":1.1,"address":{"city":"x"},"items":[],"n\\u0061me":"b"`);
const DUP_NESTED = rec(`"id":4,"name":"d","price":1.1,"address":{"city":"y"},"items":[{"sku":"p"},{"sku":"q","sku":"r"}]`);
const INPUT = [SCHEMA, good(GOOD[0]!), DUP_TOP, good(GOOD[1]!), DUP_NESTED, good(GOOD[2]!), `{"type":"STATE","value":{"n":1}}`].join("\n") + "\n";

const FORMATS = ["parquet", "csv", "jsonl", "avro", "xml"] as const;
type Format = (typeof FORMATS)[number];

async function run(format: Format, extra: Record<string, unknown>) {
  const cfg = writeConfig(s3Config(s3, bucket, { max_retries: 0, file_type: format, object_key_path: "out", ...extra }));
  return runCli(["--config", cfg], { input: INPUT });
}

/** Every data object's rows as {id, name, price, city, sku} strings, whatever the format. */
async function landed(format: Format): Promise<Array<Record<string, string>>> {
  const keys = (await s3.listObjects(bucket)).map((o) => o.key).filter((k) => !k.includes("_rejected") && !k.includes("_manifests"));
  expect(keys).toHaveLength(1);
  const body = await s3.getObject(bucket, keys[0]!);
  let rows: Array<Record<string, unknown>>;
  if (format === "avro") rows = (await readAvro(body)).records;
  else if (format === "xml") rows = readXml(body).records.map(xmlRecordObject);
  else rows = await readObjectRows(s3, bucket, keys[0]!);
  return rows.map((r) => {
    const parse = (v: unknown): unknown => (typeof v === "string" && /^[[{]/.test(v) ? JSON.parse(v) : v);
    const address = parse(r["address"]) as Record<string, unknown>;
    const items = parse(r["items"]) as Array<Record<string, unknown>>;
    return { id: String(r["id"]), name: String(r["name"] ?? ""), price: String(r["price"]), city: String(address["city"]), sku: String(items[0]!["sku"]) };
  });
}
const EXPECTED = GOOD.map((g) => ({ id: String(g.id), name: g.name, price: g.price, city: g.city, sku: g.sku }));

describe.each(FORMATS)("a duplicate key in %s", (format) => {
  it("fail: exit 1, one sentence naming the input line, the stream and the key's path; no STATE", async () => {
    const r = await run(format, {});
    expect(r.code, r.stderr).toBe(1);
    expect(r.stateLines).toEqual([]);
    const errors = r.stderr.split("\n").filter((l) => /ERROR|error/.test(l));
    expect(errors.join("\n")).toMatch(/line 3\b.*'users'.*key 'name' is sent twice in one object/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it("skip: refused and counted; every other record lands with its values", async () => {
    const r = await run(format, { invalid_record_policy: "skip" });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stateLines).toEqual([{ n: 1 }]);
    expect(r.stderr).toMatch(/invalid record skipped.*line=3/);
    expect(r.stderr).toMatch(/invalid record skipped.*line=5.*items\.1\.sku/);
    expect(await landed(format)).toEqual(EXPECTED);
  });

  it("nullify: cannot repair a duplicate, so it is refused as under skip", async () => {
    const r = await run(format, { invalid_record_policy: "nullify" });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/invalid record skipped.*line=3/);
    expect(await landed(format)).toEqual(EXPECTED);
  });

  it("quarantine: both lines in the quarantine object, exactly as sent; every other record lands", async () => {
    const r = await run(format, { invalid_record_policy: "quarantine" });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stateLines).toEqual([{ n: 1 }]);
    expect(await landed(format)).toEqual(EXPECTED);
    const [rejected] = (await s3.listObjects(bucket, "out/_rejected/users/")).map((o) => o.key);
    const q = (await s3.getObject(bucket, rejected!))
      .toString("utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(q.map((x) => [x["line"], x["raw_line"]])).toEqual([
      [3, DUP_TOP],
      [5, DUP_NESTED],
    ]);
    expect(q[1]!["reason"]).toMatch(/key 'items\.1\.sku' is sent twice/);
  });
});

describe("validate_records off", () => {
  it.each(["parquet", "csv"] as const)("%s: the failed conversion names the duplicate's input line, not the spool's", async (format) => {
    const r = await run(format, { validate_records: false });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stateLines).toEqual([]);
    expect(r.stderr).toMatch(/input line 3: key 'name' is sent twice in one object/);
    expect(r.stderr).not.toMatch(/spool/);
  });
});

describe("with stream_maps", () => {
  it("a top-level duplicate is found in the record as the tap sent it, before a map rebuilds the record", async () => {
    const maps = { stream_maps: { users: { price: "__NULL__", label: "name" } } };
    const r = await run("jsonl", { ...maps, invalid_record_policy: "skip" });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/line=3 reason=.*key 'name' is sent twice/);
    const keys = (await s3.listObjects(bucket)).map((o) => o.key);
    const rows = (await s3.getObject(bucket, keys[0]!))
      .toString("utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(rows.map((x) => [x["id"], x["label"]])).toEqual([
      [1, 'Ann "A"'],
      [3, "Bo"],
      [5, ""],
    ]);
  });
});
