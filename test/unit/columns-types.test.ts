// The type mapping (README "Types and fidelity"): JSON Schema → column kinds → DuckDB/Parquet types, and the
// exact-text path that lets DuckDB read DECIMAL and JSON values without going through a double.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { afterAll, describe, expect, it } from "vitest";
import { columnsOf, typeOf } from "../../src/schema/columns.js";
import { duckType, projectionSql, quoteLiteral } from "../../src/schema/projection.js";
import { exactTextRewriter } from "../../src/schema/shape-record.js";
import { rawFieldText } from "../../src/protocol/raw-record.js";
import { duckEncoder } from "../../src/pipeline/record-encoder.js";

const dir = mkdtempSync(join(tmpdir(), "target-s3-columns-types-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("typeOf: JSON Schema → DuckDB type", () => {
  const cases: Array<[unknown, string]> = [
    [{ type: "integer" }, "BIGINT"],
    [{ type: ["null", "integer"] }, "BIGINT"],
    [{ type: "number" }, "DOUBLE"],
    [{ type: ["integer", "number"] }, "DOUBLE"],
    [{ type: "number", multipleOf: 0.01 }, "DECIMAL(38,2)"],
    [{ type: "number", multipleOf: 1e-6 }, "DECIMAL(38,6)"],
    [{ type: "number", multipleOf: 0.25 }, "DOUBLE"],
    [{ type: "boolean" }, "BOOLEAN"],
    [{ type: "string" }, "VARCHAR"],
    [{ type: "string", format: "date-time" }, "TIMESTAMPTZ"],
    [{ type: "string", format: "date" }, "DATE"],
    [{ type: "string", format: "time" }, "TIME"],
    [{ anyOf: [{ type: "string", format: "date-time" }, { type: "null" }] }, "TIMESTAMPTZ"],
    [{ anyOf: [{ type: "string" }, { type: "integer" }] }, "JSON"],
    [{ type: ["string", "integer"] }, "JSON"],
    [{}, "JSON"],
    [true, "JSON"],
    [{ type: "object" }, "JSON"],
    [{ type: "object", properties: {} }, "JSON"],
    [{ type: "array" }, "JSON"],
  ];
  for (const [schema, type] of cases) {
    it(`${JSON.stringify(schema)} → ${type}`, () => expect(duckType(typeOf(schema, "struct"))).toBe(type));
  }

  it("typed objects and arrays become STRUCT and LIST with parquet_nested_types=struct, JSON otherwise", () => {
    const obj = { type: "object", properties: { a: { type: "integer" }, b: { type: "array", items: { type: "string" } } } };
    expect(duckType(typeOf(obj, "struct"))).toBe(`STRUCT("a" BIGINT, "b" VARCHAR[])`);
    expect(duckType(typeOf(obj, "json"))).toBe("JSON");
    expect(duckType(typeOf({ type: "array", items: { type: "integer" } }, "struct"))).toBe("BIGINT[]");
    expect(duckType(typeOf({ type: "array", items: {} }, "struct"))).toBe("JSON");
    // additionalProperties with a schema: the object is loosely typed → JSON.
    expect(duckType(typeOf({ type: "object", properties: { a: { type: "integer" } }, additionalProperties: { type: "string" } }, "struct"))).toBe("JSON");
  });
});

describe("exactTextRewriter (CSV/Parquet spool)", () => {
  const columns = columnsOf(
    { id: { type: "integer" }, price: { type: "number", multipleOf: 0.01 }, extra: {}, n: { type: "number" } },
    { flatten: false, flattenMaxDepth: 0, nestedTypes: "struct", headerFormat: null },
  );

  it("quotes DECIMAL numbers and JSON values, leaves the rest as sent", () => {
    const rewrite = exactTextRewriter(columns)!;
    expect(rewrite(`{"id":99999999999999999,"price":12345678901234567.89,"extra":{"x":0.1000000000000000055511},"n":1.5,"other":1}`)).toBe(
      `{"id":99999999999999999,"price":"12345678901234567.89","extra":"{\\"x\\":0.1000000000000000055511}","n":1.5,"other":1}`,
    );
    expect(rewrite(`{"price":null,"extra":null}`)).toBe(`{"price":null,"extra":null}`);
    expect(rewrite(`{"id":1}`)).toBe(`{"id":1}`);
  });

  it("rewrites the record inside a Singer line in one pass, as the record's own text would be rewritten", () => {
    const rewrite = exactTextRewriter(columns)!;
    const nested = exactTextRewriter(
      columnsOf(
        { a: { type: "object", properties: { p: { type: "number", multipleOf: 0.01 }, q: { type: "string" } } } },
        { flatten: true, flattenMaxDepth: 5, nestedTypes: "struct", headerFormat: null },
      ),
    )!;
    const lines = [
      `{"type":"RECORD","stream":"s","record":{"id":1,"price":12345678901234567.89,"extra":{"x":0.1},"n":1.5},"time_extracted":"2024-01-01T00:00:00Z"}`,
      ` { "type" : "RECORD" , "record" : { "price" : 1.25 , "extra" : [1,2] } , "stream" : "s" } `,
      `{"record":{"id":1},"type":"RECORD","stream":"s","record":{"price":3.5,"extra":"str"}}`,
      `{"type":"RECORD","stream":"s\\"}","record":{"pr\\u0069ce":7.25,"extra":{"k":"}\\"{"},"id":2}}`,
      `{"type":"RECORD","stream":"s","record":{}}`,
      `{"type":"RECORD","stream":"s","record":{"id":3,"other":{"price":1.5}}}`,
    ];
    for (const line of lines) expect(rewrite.inLine(line), line).toBe(rewrite(rawFieldText(line, "record")!));
    const line = `{"type":"RECORD","stream":"s","record":{"a":{"p":0.1000000000000000055,"q":"x"},"b":1}}`;
    expect(nested.inLine(line)).toBe(`{"a":{"p":"0.1000000000000000055","q":"x"},"b":1}`);
  });

  it("leaves lines it cannot read in one pass to the general path (a top-level key with escapes, a record that is not an object)", () => {
    const rewrite = exactTextRewriter(columns)!;
    expect(rewrite.inLine(`{"type":"RECORD","stream":"s","rec\\u006frd":{"price":1.5}}`)).toBeUndefined();
    expect(rewrite.inLine(`{"type":"RECORD","stream":"s","record":null}`)).toBeUndefined();
    expect(rewrite.inLine(`{"type":"STATE","value":{}}`)).toBeUndefined();
  });

  it("is undefined when no column needs it", () => {
    expect(
      exactTextRewriter(columnsOf({ a: { type: "integer" } }, { flatten: false, flattenMaxDepth: 0, nestedTypes: "struct", headerFormat: null })),
    ).toBeUndefined();
  });

  it("DuckDB reads DECIMAL and JSON values exactly through the generated projection (parquet and csv)", async () => {
    const spool = join(dir, "spool.jsonl");
    const records = [
      `{"id":99999999999999999,"price":12345678901234567.89,"extra":{"x":0.1000000000000000055511151231257827,"big":123456789012345678901234567890},"n":0.1}`,
      `{"id":-1,"price":-0.01,"extra":"text","n":1e300}`,
      `{"id":2,"price":null,"extra":null}`,
    ];
    const encode = duckEncoder(false);
    const rewrite = exactTextRewriter(columns);
    writeFileSync(
      spool,
      records
        .map((raw, i) => encode({ record: JSON.parse(raw), rawText: raw, timeExtracted: undefined, version: undefined }, i + 1, "", undefined, rewrite))
        .join(""),
    );
    const db = await DuckDBInstance.create(":memory:");
    const conn = await db.connect();
    try {
      for (const format of ["parquet", "csv"] as const) {
        const { readColumns, select } = projectionSql(columns, { format, metadata: false, batchedAt: new Date(0) });
        const reader = await conn.runAndReadAll(
          `SELECT id::VARCHAR AS id, price::VARCHAR AS price, extra::VARCHAR AS extra, n FROM (SELECT ${select} FROM read_ndjson(${quoteLiteral(spool)}, columns=${readColumns}))`,
        );
        expect(reader.getRowObjectsJson()).toEqual([
          {
            id: "99999999999999999",
            price: "12345678901234567.89",
            extra: `{"x":0.1000000000000000055511151231257827,"big":123456789012345678901234567890}`,
            n: 0.1,
          },
          { id: "-1", price: "-0.01", extra: `"text"`, n: 1e300 },
          { id: "2", price: null, extra: null, n: null },
        ]);
      }
    } finally {
      conn.closeSync();
      db.closeSync();
    }
  });
});
