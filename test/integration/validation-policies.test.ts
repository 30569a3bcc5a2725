// Validation as real taps need it, through the built CLI and the real local S3 server: exact multipleOf on the
// numbers' digits (pipelinewise tap-postgres declares multipleOf 0.01 on NUMERIC(p,2)), type violations apart from
// constraint violations (validate_constraints warn | enforce | ignore), invalid_record_policy=nullify with the
// _sdc_changes column, counts in METRIC lines and the run manifest.
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
async function dataKeys(): Promise<string[]> {
  return (await s3.listObjects(bucket)).map((o) => o.key).filter((k) => !k.includes("_manifests") && !k.includes("_rejected"));
}

// tap-postgres: NUMERIC(12,2) → multipleOf 0.01, varchar(5) → maxLength 5, an enum column, a date-time without offset.
const SCHEMA = JSON.stringify({
  type: "SCHEMA",
  stream: "public-orders",
  key_properties: ["id"],
  schema: {
    type: "object",
    properties: {
      id: { type: ["integer"], minimum: -2147483648, maximum: 2147483647 },
      price: { type: ["null", "number"], multipleOf: 0.01 },
      code: { type: ["null", "string"], maxLength: 5 },
      status: { type: ["null", "string"], enum: ["open", "closed"] },
      qty: { type: ["null", "integer"] },
      updated_at: { type: ["null", "string"], format: "date-time" },
    },
  },
});
const rec = (fields: string) => `{"type":"RECORD","stream":"public-orders","record":{${fields}}}`;
const PRICES = ["302.28", "19.99", "1.1", "0.07", "12345678901234567.89", "10000.00"];
const GOOD = PRICES.map((p, i) => rec(`"id":${i + 1},"price":${p},"code":"ab","status":"open","qty":1,"updated_at":"2024-01-01 10:00:00"`));
// Line 8: "Ünïcödé" is 7 characters > maxLength 5, and a stale enum value; line 9: a type violation (qty).
const CONSTRAINT_LINE = rec(`"id":7,"price":1.0000000000000001,"code":"Ünïcödé","status":"archived","qty":2,"updated_at":"2024-01-01T00:00:00Z"`);
const TYPE_LINE = rec(`"id":8,"price":5.5,"code":"x","status":"open","qty":"two","updated_at":"2024-01-01T00:00:00+25:00"`);
const STATE = `{"type":"STATE","value":{"n":1}}`;

describe("exact multipleOf on real tap output", () => {
  it("accepts 302.28, 19.99, 1.1, 0.07 under multipleOf 0.01 and stores them exactly as DECIMAL in Parquet", async () => {
    const r = await run({ file_type: "parquet" }, [SCHEMA, ...GOOD, STATE].join("\n") + "\n");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stateLines).toEqual([{ n: 1 }]);
    const [key] = await dataKeys();
    const rows = await readObjectRows(s3, bucket, key!);
    expect(rows.map((x) => String(x["price"]))).toEqual(["302.28", "19.99", "1.10", "0.07", "12345678901234567.89", "10000.00"]);
    expect(r.stderr).not.toMatch(/WARN/);
  });
});

describe("validate_constraints", () => {
  const input = [SCHEMA, GOOD[0]!, CONSTRAINT_LINE, GOOD[1]!, CONSTRAINT_LINE, STATE].join("\n") + "\n";

  it("warn (default): written as sent, one WARN per stream and property with its first line and rule, counts in METRIC and the manifest", async () => {
    const r = await run({ file_type: "jsonl", write_manifest: true }, input);
    expect(r.code, r.stderr).toBe(0);
    const [key] = await dataKeys();
    const body = (await s3.getObject(bucket, key!)).toString("utf8").trim().split("\n");
    expect(body[1]).toBe(CONSTRAINT_LINE.slice(CONSTRAINT_LINE.indexOf(`"record":`) + 9, -1));
    const warns = r.stderr.split("\n").filter((l) => l.includes("written as sent"));
    expect(warns).toHaveLength(3);
    expect(warns.join("\n")).toMatch(/property=price.*rule=multipleOf.*line=3/);
    expect(warns.join("\n")).toMatch(/property=code.*rule=maxLength.*line=3/);
    expect(warns.join("\n")).toMatch(/property=status.*rule=enum.*line=3/);
    const metric = r.stderr.split("\n").find((l) => l.includes("METRIC") && l.includes("field_violation_count") && l.includes('"property":"code"'));
    expect(metric, r.stderr).toMatch(/"value":2/);
    expect(metric).toMatch(/"action":"written"/);
    const manifestKey = (await s3.listObjects(bucket)).map((o) => o.key).find((k) => k.includes("_manifests"));
    const manifest = JSON.parse((await s3.getObject(bucket, manifestKey!)).toString("utf8")) as {
      validation: Record<string, { field_violations: Array<Record<string, unknown>> }>;
    };
    expect(manifest.validation["public-orders"]!.field_violations).toContainEqual({
      property: "code",
      rule: "maxLength",
      kind: "constraint",
      action: "written",
      count: 2,
      first_line: 3,
    });
  });

  it("enforce: a constraint violation follows invalid_record_policy (fail names the rule and the setting)", async () => {
    const r = await run({ file_type: "jsonl", validate_constraints: "enforce" }, input);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/line 3/);
    expect(r.stderr).toMatch(/multiple of 0\.01/);
    expect(r.stderr).toMatch(/validate_constraints=warn/);
    expect(r.stateLines).toEqual([]);
  });

  it("ignore: no constraint is checked, nothing reported", async () => {
    const r = await run({ file_type: "csv", validate_constraints: "ignore" }, input);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/field_violation_count|written as sent/);
  });

  it("a type violation still follows invalid_record_policy (fail by default)", async () => {
    const r = await run({ file_type: "jsonl" }, [SCHEMA, TYPE_LINE, STATE].join("\n") + "\n");
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/line 2.*property 'qty' must be .*integer.*schema rule 'type'/s);
  });
});

describe("invalid_record_policy=nullify", () => {
  const input = [SCHEMA, GOOD[0]!, TYPE_LINE, CONSTRAINT_LINE, STATE].join("\n") + "\n";
  const expectedChanges = [
    { field: "qty", change: "NULLED", rule: "type", kind: "type" },
    { field: "updated_at", change: "NULLED", rule: "format", kind: "type" },
  ];

  for (const fileType of ["parquet", "csv", "jsonl"] as const) {
    it(`${fileType}: offending fields written as null, the record kept, _sdc_changes says what and why`, async () => {
      const r = await run({ file_type: fileType, invalid_record_policy: "nullify", add_record_metadata: true }, input);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stateLines).toEqual([{ n: 1 }]);
      const [key] = await dataKeys();
      const rows = await readObjectRows(s3, bucket, key!);
      expect(rows.map((x) => String(x["id"]))).toEqual(["1", "8", "7"]);
      const nulled = rows[1]!;
      expect(nulled["qty"]).toBeNull();
      expect(nulled["updated_at"]).toBeNull();
      expect(String(nulled["price"])).toMatch(/^5\.50?$/);
      expect(nulled["code"]).toBe("x");
      const changes = (v: unknown) => (typeof v === "string" ? JSON.parse(v) : v) as unknown;
      expect(changes(nulled["_sdc_changes"])).toEqual(expectedChanges);
      expect(rows[0]!["_sdc_changes"]).toBeNull();
      // A constraint under warn is written as sent even with nullify.
      expect(rows[2]!["code"]).toBe("Ünïcödé");
      expect(changes(rows[2]!["_sdc_changes"])).toBeNull();
      expect(r.stderr).toMatch(/written as null.*property=qty.*rule=type.*line=3/);
      const metric = r.stderr.split("\n").find((l) => l.includes("field_violation_count") && l.includes('"property":"qty"'));
      expect(metric, r.stderr).toMatch(/"action":"nullified"/);
    });
  }

  it("with validate_constraints=enforce the constraint-breaking fields are nulled too", async () => {
    const r = await run({ file_type: "jsonl", invalid_record_policy: "nullify", validate_constraints: "enforce" }, input);
    expect(r.code, r.stderr).toBe(0);
    const [key] = await dataKeys();
    const rows = (await s3.getObject(bucket, key!)).toString("utf8").trim().split("\n");
    expect(rows[2]).toBe(`{"id":7,"price":null,"code":null,"status":null,"qty":2,"updated_at":"2024-01-01T00:00:00Z"}`);
  });
});

describe("patterns (issue 15 item 4: ReDoS)", () => {
  const schema = (pattern: string) =>
    JSON.stringify({ type: "SCHEMA", stream: "s", key_properties: [], schema: { type: "object", properties: { name: { type: "string", pattern } } } });

  it("^(a+)+$ against 40 a's and a '!' does not spin: the record is written and reported", async () => {
    const input = [schema("^(a+)+$"), JSON.stringify({ type: "RECORD", stream: "s", record: { name: "a".repeat(40) + "!" } }), STATE].join("\n") + "\n";
    const r = await run({ file_type: "jsonl" }, input);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/property=name.*rule=pattern.*line=2/);
  });

  it("a pattern RE2 cannot run: one sentence at the SCHEMA line, exit 1, no stack trace", async () => {
    const r = await run({ file_type: "jsonl" }, [schema("^(a)\\1$"), STATE].join("\n") + "\n");
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/line 1/);
    expect(r.stderr).toMatch(/cannot be run in linear time by RE2/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
