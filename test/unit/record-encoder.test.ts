import { describe, expect, it } from "vitest";
import { duckEncoder, jsonEncoder, type IncomingRecord } from "../../src/pipeline/record-encoder.js";
import { entryText } from "../../src/pipeline/spool-entry.js";
import { LINE_FIELD, RECEIVED_FIELD } from "../../src/schema/projection.js";

const BATCHED = "2024-05-06T07:08:09.123Z";

function incoming(rawText: string | undefined, extra: Partial<IncomingRecord> = {}): IncomingRecord {
  const record = JSON.parse(rawText ?? "{}") as Record<string, unknown>;
  return { record, rawText, timeExtracted: undefined, version: undefined, ...extra };
}

describe("duckEncoder: the spool line DuckDB reads", () => {
  it("wraps the record's source text unchanged with the line number", () => {
    const raw = `{"id": 99999999999999999, "x": 1.10, "s": "a\\u0000b"}`;
    const line = entryText(duckEncoder(false)(incoming(raw), 42, BATCHED, undefined));
    expect(line).toBe(`{"${LINE_FIELD}":42,"record":${raw}}\n`);
    expect(line.endsWith("\n")).toBe(true);
    expect(line.slice(0, -1)).not.toContain("\n");
  });

  it("adds time_extracted (JSON-escaped) and version when present", () => {
    const raw = `{"a":1}`;
    const line = entryText(duckEncoder(false)(incoming(raw, { timeExtracted: `2020-01-01T00:00:00"Z`, version: 7 }), 3, BATCHED, undefined));
    const parsed = JSON.parse(line) as Record<string, unknown>;
    expect(parsed).toEqual({ [LINE_FIELD]: 3, time_extracted: `2020-01-01T00:00:00"Z`, version: 7, record: { a: 1 } });
  });

  it("adds the receive time in epoch ms when asked (metadata columns)", () => {
    const before = Date.now();
    const parsed = JSON.parse(entryText(duckEncoder(true)(incoming(`{"a":1}`), 1, BATCHED, undefined))) as Record<string, unknown>;
    expect(typeof parsed[RECEIVED_FIELD]).toBe("number");
    expect(parsed[RECEIVED_FIELD] as number).toBeGreaterThanOrEqual(before);
    expect(parsed[RECEIVED_FIELD] as number).toBeLessThanOrEqual(Date.now());
  });

  it("falls back to JSON.stringify of the record when no source text was kept", () => {
    const inc: IncomingRecord = { record: { a: "x", b: [1, null] }, rawText: undefined, timeExtracted: undefined, version: undefined };
    expect(entryText(duckEncoder(false)(inc, 1, BATCHED, undefined))).toBe(`{"${LINE_FIELD}":1,"record":{"a":"x","b":[1,null]}}\n`);
  });
});

describe("jsonEncoder: records as sent", () => {
  it("without metadata writes the record's source text as is", () => {
    const raw = `{"id": 99999999999999999,  "d": 0.1000000000000000055511, "s":"\\u00e9\\n"}`;
    expect(entryText(jsonEncoder(false)(incoming(raw), 1, BATCHED, undefined))).toBe(raw + "\n");
  });

  it("with metadata adds the _sdc_* columns and keeps every record value exactly", () => {
    const raw = `{"id": 99999999999999999, "name": "x"}`;
    const out = entryText(jsonEncoder(true)(incoming(raw, { timeExtracted: "2020-01-02T03:04:05Z", version: 9 }), 17, BATCHED, undefined));
    expect(out.endsWith("\n")).toBe(true);
    expect(out).toMatch(/"id":\s*99999999999999999[,}]/);
    const parsed = JSON.parse(out) as Record<string, unknown>;
    expect(parsed).toMatchObject({
      name: "x",
      _sdc_extracted_at: "2020-01-02T03:04:05Z",
      _sdc_batched_at: BATCHED,
      _sdc_sequence: 17,
      _sdc_table_version: 9,
      _sdc_deleted_at: null,
    });
    expect(Number.isNaN(Date.parse(String(parsed["_sdc_received_at"])))).toBe(false);
  });

  it("with metadata: missing time_extracted and version are null", () => {
    const parsed = JSON.parse(entryText(jsonEncoder(true)(incoming(`{"a":1}`), 2, BATCHED, undefined))) as Record<string, unknown>;
    expect(parsed["_sdc_extracted_at"]).toBeNull();
    expect(parsed["_sdc_table_version"]).toBeNull();
  });

  it("with metadata: an empty record still becomes a valid object", () => {
    const parsed = JSON.parse(entryText(jsonEncoder(true)(incoming(`{}`), 2, BATCHED, undefined))) as Record<string, unknown>;
    expect(parsed["_sdc_sequence"]).toBe(2);
    expect(Object.keys(parsed).sort()).toEqual(
      ["_sdc_batched_at", "_sdc_deleted_at", "_sdc_extracted_at", "_sdc_received_at", "_sdc_sequence", "_sdc_table_version"].sort(),
    );
  });

  it("with metadata: a tap's own _sdc_deleted_at is kept", () => {
    const raw = `{"id":1,"_sdc_deleted_at":"2019-02-01 15:12:45"}`;
    const parsed = JSON.parse(entryText(jsonEncoder(true)(incoming(raw), 2, BATCHED, undefined))) as Record<string, unknown>;
    expect(parsed["_sdc_deleted_at"]).toBe("2019-02-01 15:12:45");
    expect(parsed["id"]).toBe(1);
  });

  it("with metadata: the other _sdc_* values are the target's, each key once, big numbers exact", () => {
    const raw = `{"_sdc_sequence":5,"big":99999999999999999}`;
    const out = entryText(jsonEncoder(true)(incoming(raw), 8, BATCHED, undefined));
    expect(out.match(/"_sdc_sequence"/g)).toHaveLength(1);
    expect((JSON.parse(out) as Record<string, unknown>)["_sdc_sequence"]).toBe(8);
    expect(out).toMatch(/"big":\s*99999999999999999[,}]/);
  });

  it("with a shape (flattening / casing) writes the shaped members", () => {
    const raw = `{"a":{"b":99999999999999999},"c":"x"}`;
    const shape = (): Array<[string, string]> => [
      ["A__B", "99999999999999999"],
      ["C", `"x"`],
    ];
    expect(entryText(jsonEncoder(false)(incoming(raw), 1, BATCHED, shape))).toBe(`{"A__B":99999999999999999,"C":"x"}\n`);
  });
});
