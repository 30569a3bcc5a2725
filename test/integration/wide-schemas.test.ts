// Wide and deep SCHEMAs through the real CLI (issue 15 item 5), validation on: 10,000 SaaS-style properties in every
// format (Parquet with memory_limit 1GB: see docs/limits.md) are written and read back value by value; a
// SCHEMA nested past the limit or with a $ref cycle stops the run at its SCHEMA line with one sentence, no stack.
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseLossless, stringifyLossless, type LosslessValue } from "../../src/schema/lossless-json.js";
import { readObjectRows } from "../helpers/read-back.js";
import { runCli, s3Config, writeConfig } from "../helpers/run-cli.js";
import { startS3Server, type S3TestServer } from "../helpers/s3-server.js";
import { parseCsv } from "../helpers/stream-objects.js";

let s3: S3TestServer;
beforeAll(async () => {
  s3 = await startS3Server();
});
afterAll(async () => {
  await s3?.close();
});

const KINDS = [
  {
    schema: '{"type":["null","string"]}',
    value: (i: number) => JSON.stringify(`Acme "Corp" ${i}, Ltd\nline 2`),
    csv: (i: number) => `Acme "Corp" ${i}, Ltd\nline 2`,
  },
  { schema: '{"type":["null","integer"]}', value: () => "9007199254740993", csv: () => "9007199254740993" },
  { schema: '{"type":["null","number"]}', value: () => "302.28", csv: () => "302.28" },
  { schema: '{"type":["null","boolean"]}', value: () => "true", csv: () => "true" },
  { schema: '{"type":["null","string"],"format":"date-time"}', value: () => '"2024-01-01T10:00:00Z"', csv: () => "2024-01-01T10:00:00.000000Z" },
  { schema: '{"type":["null","number"]}', value: () => "1e-7", csv: () => "1e-07" },
];
const name = (i: number): string => `Custom_Field_${i}__c`;

/** A Salesforce-shaped stream of `width` properties, two records (the second with nulls), as Singer lines. */
function wideInput(width: number): { lines: string; records: string[] } {
  const props = Array.from({ length: width }, (_, i) => `${JSON.stringify(name(i))}:${KINDS[i % KINDS.length]!.schema}`);
  const schema = `{"type":"SCHEMA","stream":"accounts","schema":{"type":"object","additionalProperties":false,"properties":{${props.join(",")}}},"key_properties":["${name(1)}"]}`;
  const records = [0, 1].map(
    (r) =>
      `{${Array.from({ length: width }, (_, i) => `${JSON.stringify(name(i))}:${r === 1 && i % 7 === 3 ? "null" : KINDS[i % KINDS.length]!.value(i)}`).join(",")}}`,
  );
  const lines = [schema, ...records.map((rec) => `{"type":"RECORD","stream":"accounts","record":${rec}}`), '{"type":"STATE","value":{"n":1}}'];
  return { lines: lines.join("\n") + "\n", records };
}

async function run(input: string, config: Record<string, unknown>) {
  const bucket = await s3.createBucket();
  const result = await runCli(["--config", writeConfig(s3Config(s3, bucket, { validate_records: true, ...config }))], { input, timeoutMs: 280_000 });
  return { result, bucket, objects: await s3.listObjects(bucket) };
}

const canonical = (v: LosslessValue): string => stringifyLossless(v);

describe("10,000 properties in the JSON formats", () => {
  const { lines, records } = wideInput(10_000);
  it.each([["jsonl"], ["json"]] as const)("%s: every record read back member by member", { timeout: 300_000 }, async (fileType) => {
    const { result, bucket, objects } = await run(lines, { file_type: fileType });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stateLines).toEqual([{ n: 1 }]);
    expect(objects).toHaveLength(1);
    const text = (await s3.getObject(bucket, objects[0]!.key)).toString("utf8");
    const rows =
      fileType === "jsonl"
        ? text
            .split("\n")
            .filter((l) => l !== "")
            .map(parseLossless)
        : (parseLossless(text) as LosslessValue[]);
    expect(rows).toHaveLength(2);
    rows.forEach((row, r) => {
      const sent = parseLossless(records[r]!) as Record<string, LosslessValue>;
      const got = row as Record<string, LosslessValue>;
      expect(Object.keys(got)).toEqual(Object.keys(sent));
      for (const k of Object.keys(sent))
        if (canonical(got[k]!) !== canonical(sent[k]!)) expect(`${k}=${canonical(got[k]!)}`).toBe(`${k}=${canonical(sent[k]!)}`);
    });
  });
});

describe("10,000 properties in CSV and Parquet", () => {
  const width = 10_000;
  const { lines } = wideInput(width);
  const formats = [
    ["csv", {}],
    ["csv.gz", { compression: "gzip" }],
    ["parquet", { memory_limit: "1GB" }],
  ] as const;
  it.each(formats)("%s: every cell read back", { timeout: 300_000 }, async (label, extra) => {
    const fileType = label === "parquet" ? "parquet" : "csv";
    const { result, bucket, objects } = await run(lines, { file_type: fileType, ...extra });
    expect(result.code, result.stderr).toBe(0);
    expect(objects).toHaveLength(1);
    const key = objects[0]!.key;
    let rows: Record<string, unknown>[];
    if (fileType === "csv") {
      const raw = await s3.getObject(bucket, key);
      rows = parseCsv((label === "csv.gz" ? gunzipSync(raw) : raw).toString("utf8"));
    } else rows = await readObjectRows(s3, bucket, key);
    expect(rows).toHaveLength(2);
    rows.forEach((row, r) => {
      expect(Object.keys(row)).toHaveLength(width);
      for (let i = 0; i < width; i++) {
        const kind = i % KINDS.length;
        const isNull = r === 1 && i % 7 === 3;
        const got = row[name(i)];
        let expected: unknown = isNull ? null : KINDS[kind]!.csv(i);
        if (fileType === "parquet" && !isNull) {
          // DuckDB's JSON rows: BIGINT as a string, DOUBLE as a number, TIMESTAMPTZ as text.
          if (kind === 2 || kind === 5) expected = Number(expected);
          if (kind === 3) expected = true;
          if (kind === 4) {
            expect(String(got), name(i)).toMatch(/^2024-01-01[ T]10:00:00(\.0+)?(\+00(:00)?|Z)$/);
            continue;
          }
        }
        if (got !== expected) expect([name(i), got]).toEqual([name(i), expected]);
      }
    });
  });
});

describe("a file that needs more than memory_limit", () => {
  it("names memory_limit instead of blaming the values", { timeout: 300_000 }, async () => {
    const { result } = await run(wideInput(2_000).lines, { file_type: "parquet", memory_limit: "16MB" });
    expect(result.code).toBe(1);
    expect(result.stateLines).toEqual([]);
    const errors = result.stderr.split("\n").filter((l) => / ERROR /.test(l));
    expect(errors, result.stderr).toHaveLength(1);
    expect(errors[0]).toMatch(/input lines 2–3 to parquet: Out of Memory Error.*; raise memory_limit \(now 16MB\)/);
    expect(errors[0]).not.toMatch(/validate_records/);
  });
});

/** `{"a":{"a":…"x"}}` schema and record text, `levels` deep, built as text (JSON.stringify overflows at 5,000). */
function deepInput(levels: number): string {
  let schema = '{"type":["null","string"]}';
  let record = '"x"';
  for (let i = 0; i < levels; i++) {
    schema = `{"type":["null","object"],"additionalProperties":false,"properties":{"a":${schema}}}`;
    record = `{"a":${record}}`;
  }
  return (
    [
      `{"type":"SCHEMA","stream":"tree","schema":{"type":"object","properties":{"id":{"type":"integer"},"a":${schema}}},"key_properties":["id"]}`,
      `{"type":"RECORD","stream":"tree","record":{"id":1,"a":${record}}}`,
      '{"type":"STATE","value":{"n":1}}',
    ].join("\n") + "\n"
  );
}

function expectOneSentenceAtLine1(result: { code: number | null; stderr: string; stateLines: unknown[] }, pattern: RegExp): void {
  expect(result.code, result.stderr).toBe(1);
  expect(result.stateLines).toEqual([]);
  const errors = result.stderr.split("\n").filter((l) => / ERROR /.test(l));
  expect(errors, result.stderr).toHaveLength(1);
  expect(errors[0]).toContain("line 1");
  expect(errors[0]).toMatch(pattern);
  expect(result.stderr).not.toMatch(/\n\s+at |RangeError|Maximum call stack/);
}

describe("deep schemas", () => {
  it.each([
    [5_000, "jsonl"],
    [300, "parquet"],
  ] as const)("%i levels (%s) are refused at the SCHEMA line", { timeout: 120_000 }, async (levels, fileType) => {
    const { result, objects } = await run(deepInput(levels), { file_type: fileType });
    expectOneSentenceAtLine1(result, /the SCHEMA for stream 'tree' cannot be used: it is nested \d+ levels deep and at most 256 are supported/);
    expect(objects).toEqual([]);
  });

  it.each([["parquet"], ["csv"], ["jsonl"]] as const)(
    "126 levels, the deepest accepted, are written in %s and read back",
    { timeout: 120_000 },
    async (fileType) => {
      const { result, bucket, objects } = await run(deepInput(126), { file_type: fileType });
      expect(result.code, result.stderr).toBe(0);
      const rows =
        fileType === "jsonl"
          ? [JSON.parse((await s3.getObject(bucket, objects[0]!.key)).toString("utf8")) as Record<string, unknown>]
          : await readObjectRows(s3, bucket, objects[0]!.key);
      expect(rows).toHaveLength(1);
      let at: unknown = typeof rows[0]!["a"] === "string" ? JSON.parse(rows[0]!["a"]) : rows[0]!["a"];
      for (let i = 1; i < 126; i++) at = (at as { a: unknown }).a;
      expect(at).toEqual({ a: "x" });
    },
  );
});

describe("$ref cycles", () => {
  it("a $ref loop is refused naming the property that uses it", { timeout: 60_000 }, async () => {
    const schema = {
      type: "object",
      definitions: { a: { $ref: "#/definitions/b" }, b: { $ref: "#/definitions/a" } },
      properties: { id: { type: "integer" }, owner: { type: "object", properties: { manager: { $ref: "#/definitions/a" } } } },
    };
    const input =
      [JSON.stringify({ type: "SCHEMA", stream: "users", schema, key_properties: ["id"] }), '{"type":"RECORD","stream":"users","record":{"id":1}}'].join("\n") +
      "\n";
    const { result } = await run(input, { file_type: "jsonl" });
    expectOneSentenceAtLine1(
      result,
      /property 'owner\.manager' refers to itself through \$ref '#\/definitions\/a' without describing any value \(a \$ref cycle\)/,
    );
  });
});
