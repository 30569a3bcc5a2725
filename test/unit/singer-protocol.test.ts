import { describe, expect, it } from "vitest";
import { InputError } from "../../src/errors.js";
import { isObject, parseSingerLine } from "../../src/protocol/singer.js";

function errorOf(text: string, line = 7): InputError {
  try {
    parseSingerLine(text, line);
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    return error as InputError;
  }
  throw new Error(`expected an InputError for ${text}`);
}

describe("parseSingerLine", () => {
  it("parses a SCHEMA with key_properties and bookmark_properties", () => {
    const m = parseSingerLine(
      `{"type":"SCHEMA","stream":"users","schema":{"type":"object","properties":{"id":{"type":"integer"}}},"key_properties":["id"],"bookmark_properties":["updated_at"]}`,
      1,
    );
    expect(m).toEqual({
      type: "SCHEMA",
      stream: "users",
      schema: { type: "object", properties: { id: { type: "integer" } } },
      keyProperties: ["id"],
      bookmarkProperties: ["updated_at"],
    });
  });

  it("SCHEMA: missing or null key_properties / bookmark_properties are empty lists", () => {
    const m = parseSingerLine(`{"type":"SCHEMA","stream":"s","schema":{"properties":{}},"key_properties":null}`, 1);
    expect(m).toMatchObject({ keyProperties: [], bookmarkProperties: [] });
  });

  it("SCHEMA: a property may be a boolean schema", () => {
    expect(parseSingerLine(`{"type":"SCHEMA","stream":"s","schema":{"properties":{"a":true}}}`, 1).type).toBe("SCHEMA");
  });

  it("parses a RECORD with time_extracted and version", () => {
    const m = parseSingerLine(`{"type":"RECORD","stream":"s","record":{"a":1},"time_extracted":"2020-01-01T00:00:00Z","version":3}`, 1);
    expect(m).toEqual({ type: "RECORD", stream: "s", record: { a: 1 }, timeExtracted: "2020-01-01T00:00:00Z", version: 3, envelopeStrings: 8 });
  });

  it("RECORD: non-string time_extracted and non-number version are ignored", () => {
    const m = parseSingerLine(`{"type":"RECORD","stream":"s","record":{},"time_extracted":5,"version":"x"}`, 1);
    expect(m).toMatchObject({ timeExtracted: undefined, version: undefined });
  });

  it("parses a STATE with any value, including null", () => {
    expect(parseSingerLine(`{"type":"STATE","value":{"b":1}}`, 1)).toEqual({ type: "STATE", value: { b: 1 } });
    expect(parseSingerLine(`{"type":"STATE","value":null}`, 1)).toEqual({ type: "STATE", value: null });
  });

  it("parses ACTIVATE_VERSION with or without a version", () => {
    expect(parseSingerLine(`{"type":"ACTIVATE_VERSION","stream":"s","version":17}`, 1)).toEqual({ type: "ACTIVATE_VERSION", stream: "s", version: 17 });
    expect(parseSingerLine(`{"type":"ACTIVATE_VERSION","stream":"s"}`, 1)).toEqual({ type: "ACTIVATE_VERSION", stream: "s", version: undefined });
  });

  it("unknown message types are OTHER (logged, counted and skipped)", () => {
    expect(parseSingerLine(`{"type":"LOG","message":"x"}`, 1)).toEqual({ type: "OTHER", messageType: "LOG" });
    expect(parseSingerLine(`{"type":"RECORDS","stream":"s"}`, 1)).toEqual({ type: "OTHER", messageType: "RECORDS" });
  });

  it("a known type in the wrong case is an error, not a skipped message (its data would be lost)", () => {
    expect(() => parseSingerLine(`{"type":"record","stream":"s","record":{}}`, 4)).toThrow(
      "line 4: message type 'record' is not a Singer message type: write 'RECORD' (types are upper case)",
    );
    for (const type of ["Schema", "state", "Activate_Version", "batch"])
      expect(() => parseSingerLine(JSON.stringify({ type }), 1)).toThrow(/is not a Singer message type: write '[A-Z_]+'/);
  });

  it("parses BATCH messages as the Singer SDK writes them", () => {
    const line = JSON.stringify({
      type: "BATCH",
      stream: "s",
      encoding: { format: "jsonl", compression: "gzip" },
      manifest: ["file:///tmp/a.jsonl.gz", "s3://b/k.jsonl.gz"],
    });
    expect(parseSingerLine(line, 1)).toEqual({
      type: "BATCH",
      stream: "s",
      format: "jsonl",
      compression: "gzip",
      manifest: ["file:///tmp/a.jsonl.gz", "s3://b/k.jsonl.gz"],
    });
    const parquet = JSON.stringify({ type: "BATCH", stream: "s", encoding: { format: "parquet", compression: "snappy" }, manifest: [] });
    expect(parseSingerLine(parquet, 1)).toMatchObject({ format: "parquet", compression: "none" });
    expect(() => parseSingerLine(`{"type":"BATCH","stream":"s"}`, 3)).toThrow(/line 3: the BATCH for stream 's' has no "encoding" object/);
    expect(() => parseSingerLine(`{"type":"BATCH","stream":"s","encoding":{"format":"csv"},"manifest":[]}`, 3)).toThrow(
      /encoding format "csv": target-s3 reads "jsonl" and "parquet"/,
    );
    expect(() => parseSingerLine(`{"type":"BATCH","stream":"s","encoding":{"format":"jsonl","compression":"zstd"},"manifest":[]}`, 3)).toThrow(
      /compression "zstd"/,
    );
    expect(() => parseSingerLine(`{"type":"BATCH","stream":"s","encoding":{"format":"jsonl"},"manifest":"x"}`, 3)).toThrow(/no "manifest" list/);
  });

  it("keeps the record as parsed (the raw text is found separately for exact numbers)", () => {
    const m = parseSingerLine(`{"type":"RECORD","stream":"s","record":{"s":"a\\u0000b\\nc","n":null,"o":{"x":[1]}}}`, 1);
    expect(m.type === "RECORD" && m.record).toEqual({ s: "a\u0000b\nc", n: null, o: { x: [1] } });
  });

  describe("errors name the line and say what to do", () => {
    const cases: Array<[string, string, RegExp]> = [
      ["not JSON", `THIS IS NOT JSON`, /the line is not valid JSON \(.+\): each line must be one Singer message/],
      ["truncated JSON", `{"type":"RECORD"`, /not valid JSON/],
      ["a JSON array", `[1,2]`, /the line is JSON an array, not a message object/],
      ["a JSON number", `42`, /JSON a number, not a message object/],
      ["JSON null", `null`, /JSON null, not a message object/],
      ["no type", `{"stream":"s"}`, /no string "type" field/],
      ["a non-string type", `{"type":1}`, /no string "type" field/],
      ["RECORD without stream", `{"type":"RECORD","record":{}}`, /the RECORD message has no "stream" name/],
      ["RECORD with empty stream", `{"type":"RECORD","stream":"","record":{}}`, /no "stream" name/],
      ["RECORD without record", `{"type":"RECORD","stream":"s"}`, /RECORD for stream 's' has no "record": it must be a JSON object/],
      ["RECORD with array record", `{"type":"RECORD","stream":"s","record":[1]}`, /has an array as "record"/],
      ["RECORD with null record", `{"type":"RECORD","stream":"s","record":null}`, /has null as "record"/],
      ["SCHEMA without schema", `{"type":"SCHEMA","stream":"s"}`, /SCHEMA for stream 's' has no "schema"/],
      ["SCHEMA with a string schema", `{"type":"SCHEMA","stream":"s","schema":"x"}`, /has a string as "schema"/],
      ["SCHEMA without properties", `{"type":"SCHEMA","stream":"s","schema":{"type":"object"}}`, /SCHEMA for stream 's' has no "properties"/],
      ["SCHEMA with array properties", `{"type":"SCHEMA","stream":"s","schema":{"properties":[]}}`, /no "properties"/],
      ["SCHEMA with a bad property", `{"type":"SCHEMA","stream":"s","schema":{"properties":{"a":5}}}`, /declares property 'a' as a number/],
      ["bad key_properties", `{"type":"SCHEMA","stream":"s","schema":{"properties":{}},"key_properties":"id"}`, /"key_properties" that is not a list/],
      [
        "bad bookmark_properties",
        `{"type":"SCHEMA","stream":"s","schema":{"properties":{}},"bookmark_properties":[1]}`,
        /"bookmark_properties" that is not a list/,
      ],
      ["SCHEMA without stream", `{"type":"SCHEMA","schema":{"properties":{}}}`, /the SCHEMA message has no "stream" name/],
      ["STATE without value", `{"type":"STATE"}`, /the STATE message has no "value"/],
      ["ACTIVATE_VERSION without stream", `{"type":"ACTIVATE_VERSION","version":1}`, /ACTIVATE_VERSION message has no "stream"/],
    ];
    it.each(cases)("%s", (_name, text, pattern) => {
      const err = errorOf(text, 7);
      expect(err.line).toBe(7);
      expect(err.message.startsWith("line 7: ")).toBe(true);
      expect(err.message).toMatch(pattern);
      expect(err.exitCode).toBe(1);
    });
  });
});

describe("isObject", () => {
  it("is true only for plain non-null non-array objects", () => {
    expect(isObject({})).toBe(true);
    expect(isObject([])).toBe(false);
    expect(isObject(null)).toBe(false);
    expect(isObject("x")).toBe(false);
  });
});
