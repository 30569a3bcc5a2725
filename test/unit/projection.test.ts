import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { columnsOf, type Column, type ColumnOptions } from "../../src/schema/columns.js";
import {
  duckType,
  WIDE_READ_COLUMNS,
  LINE_FIELD,
  METADATA_COLUMNS,
  projectionSql,
  quoteIdent,
  quoteLiteral,
  RECEIVED_FIELD,
} from "../../src/schema/projection.js";

const opts = (extra: Partial<ColumnOptions> = {}): ColumnOptions => ({
  flatten: false,
  flattenMaxDepth: 3,
  nestedTypes: "struct",
  headerFormat: null,
  ...extra,
});
const BATCHED = new Date("2024-05-06T07:08:09.123Z");

describe("quoting", () => {
  it("quoteIdent doubles double quotes", () => {
    expect(quoteIdent("a")).toBe(`"a"`);
    expect(quoteIdent(`we"ird`)).toBe(`"we""ird"`);
  });
  it("quoteLiteral doubles single quotes", () => {
    expect(quoteLiteral("it's")).toBe(`'it''s'`);
  });
});

describe("duckType", () => {
  it("maps every kind", () => {
    expect(duckType({ kind: "integer" })).toBe("BIGINT");
    expect(duckType({ kind: "number" })).toBe("DOUBLE");
    expect(duckType({ kind: "decimal", precision: 38, scale: 2 })).toBe("DECIMAL(38,2)");
    expect(duckType({ kind: "boolean" })).toBe("BOOLEAN");
    expect(duckType({ kind: "string" })).toBe("VARCHAR");
    expect(duckType({ kind: "date-time" })).toBe("TIMESTAMPTZ");
    expect(duckType({ kind: "date" })).toBe("DATE");
    expect(duckType({ kind: "time" })).toBe("TIME");
    expect(duckType({ kind: "json" })).toBe("JSON");
    expect(duckType({ kind: "list", items: { kind: "integer" } })).toBe("BIGINT[]");
    expect(
      duckType({
        kind: "struct",
        fields: new Map([
          ["a b", { kind: "string" }],
          ["c", { kind: "list", items: { kind: "date" } }],
        ]),
      }),
    ).toBe(`STRUCT("a b" VARCHAR, "c" DATE[])`);
  });
});

describe("projectionSql (text)", () => {
  const columns = columnsOf(
    { id: { type: "integer" }, at: { type: "string", format: "date-time" }, o: { type: "object", properties: { x: { type: "integer" } } } },
    opts(),
  );

  it("reads the spool line fields with explicit types, the record as a STRUCT of the schema", () => {
    const { readColumns } = projectionSql(columns, { format: "parquet", metadata: false, batchedAt: BATCHED });
    expect(readColumns).toContain(`'${LINE_FIELD}': 'BIGINT'`);
    expect(readColumns).toContain(`'${RECEIVED_FIELD}': 'BIGINT'`);
    // Date-time columns are read as text and converted in SQL (lower-case t/z, no seconds), nested ones typed.
    expect(readColumns).toContain(`'record': 'STRUCT("id" BIGINT, "at" VARCHAR, "o" STRUCT("x" BIGINT))'`);
  });

  it("parquet keeps types; csv formats date-times as UTC text and nested values as JSON text", () => {
    const parquet = projectionSql(columns, { format: "parquet", metadata: false, batchedAt: BATCHED }).select;
    // Date-times: the direct cast, and the rewrite (upper case, seconds added) only where it fails.
    expect(parquet).toMatch(
      /^"record"\."id" AS "id", coalesce\(TRY_CAST\("record"\."at" AS TIMESTAMPTZ\), CAST\(regexp_replace\(upper\("record"\."at"\), .*\) AS TIMESTAMPTZ\)\) AS "at", "record"\."o" AS "o"$/,
    );
    const csv = projectionSql(columns, { format: "csv", metadata: false, batchedAt: BATCHED }).select;
    expect(csv).toMatch(
      /strftime\(coalesce\(TRY_CAST\("record"\."at" AS TIMESTAMPTZ\), CAST\(regexp_replace\(upper\("record"\."at"\), .*\) AS TIMESTAMPTZ\)\), '%Y-%m-%dT%H:%M:%S\.%fZ'\) AS "at"/,
    );
    expect(csv).toContain(`CAST(to_json("record"."o") AS VARCHAR) AS "o"`);
  });

  it("metadata adds the _sdc_* columns, except those the schema already has", () => {
    const withMeta = projectionSql(columns, { format: "parquet", metadata: true, batchedAt: BATCHED }).select;
    for (const name of METADATA_COLUMNS) expect(withMeta).toContain(`AS "${name}"`);
    const own = columnsOf({ id: { type: "integer" }, _sdc_deleted_at: { type: ["null", "string"], format: "date-time" } }, opts());
    const sel = projectionSql(own, { format: "parquet", metadata: true, batchedAt: BATCHED }).select;
    expect(sel.match(/AS "_sdc_deleted_at"/g)).toHaveLength(1);
  });

  it("names that differ only by case inside a record are read as JSON and picked apart", () => {
    const cols = columnsOf({ a: { type: "object", additionalProperties: true, properties: { Id: { type: "integer" } } } }, opts({ flatten: true }));
    const collide = [...cols, ...columnsOf({ A: { type: "string" } }, opts()).map((c) => ({ ...c, name: "A_2" }))];
    const { readColumns, select } = projectionSql(collide, { format: "parquet", metadata: false, batchedAt: BATCHED });
    expect(readColumns).toContain(`'record': 'JSON'`);
    expect(select).toContain(`json_extract_string(record, '$."A"')`);
  });
});

// The generated SQL run by real DuckDB over spool lines, as the file writer does.
describe("projectionSql (run by DuckDB)", () => {
  let dir: string;
  let conn: DuckDBConnection;
  let db: DuckDBInstance;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "projection-test-"));
    db = await DuckDBInstance.create(":memory:", {
      memory_limit: "256MB",
      temp_directory: join(dir, "tmp"),
      extension_directory: join(dir, "ext"),
      autoinstall_known_extensions: "false",
      autoload_known_extensions: "false",
    });
    conn = await db.connect();
    await conn.run("SET TimeZone = 'UTC'");
  });
  afterAll(() => {
    conn?.closeSync();
    db?.closeSync();
    rmSync(dir, { recursive: true, force: true });
  });

  async function run(columns: Column[], format: "csv" | "parquet", records: string[], metadata = false): Promise<Record<string, unknown>[]> {
    const path = join(dir, `spool-${Math.random().toString(36).slice(2)}.jsonl`);
    writeFileSync(path, records.map((r, i) => `{"${LINE_FIELD}":${i + 1},"record":${r}}\n`).join(""));
    const { readColumns, select, from } = projectionSql(columns, { format, metadata, batchedAt: BATCHED });
    const reader = await conn.runAndReadAll(`SELECT ${select} FROM ${from(`read_ndjson(${quoteLiteral(path)}, columns=${readColumns}, ignore_errors=false)`)}`);
    return reader.getRowObjectsJson();
  }

  const schema = {
    id: { type: "integer" },
    n: { type: ["null", "number"] },
    ok: { type: "boolean" },
    at: { type: "string", format: "date-time" },
    d: { type: "string", format: "date" },
    o: { type: "object", properties: { x: { type: "integer" }, s: { type: "string" } } },
    arr: { type: "array", items: { type: "string" } },
    any: {},
  };

  it("csv: big integers exact, date-times to UTC (offset or none), nested as JSON, missing fields null", async () => {
    const rows = await run(columnsOf(schema, opts({ nestedTypes: "json" })), "csv", [
      `{"id":99999999999999999,"n":1.5,"ok":true,"at":"2024-01-02T03:04:05.123456+02:00","d":"2024-02-29","o":{"x":1,"s":"q\\""},"arr":["a"],"any":{"k":[1]}}`,
      `{"id":2,"at":"2019-02-01 15:12:45"}`,
    ]);
    expect(rows[0]).toEqual({
      id: "99999999999999999",
      n: 1.5,
      ok: true,
      at: "2024-01-02T01:04:05.123456Z",
      d: "2024-02-29",
      o: `{"x":1,"s":"q\\""}`,
      arr: `["a"]`,
      any: `{"k":[1]}`,
    });
    expect(rows[1]).toEqual({ id: "2", n: null, ok: null, at: "2019-02-01T15:12:45.000000Z", d: null, o: null, arr: null, any: null });
  });

  it("a record wider than WIDE_READ_COLUMNS is picked apart from one list of paths, with the same values", async () => {
    const padded: Record<string, unknown> = { ...schema, 'we"ird.name': { type: "string" } };
    for (let i = 0; i < WIDE_READ_COLUMNS; i++) padded[`pad_${i}`] = { type: ["null", "string"] };
    const records = [
      `{"id":99999999999999999,"n":1e-7,"ok":true,"at":"2024-01-02T03:04:05.123456+02:00","d":"2024-02-29","o":{"x":1,"s":"q\\""},"arr":["a"],"we\\"ird.name":"w","pad_999":"last"}`,
      `{"id":2,"at":"2019-02-01 15:12:45","n":302.28}`,
    ];
    for (const nested of ["json", "struct"] as const) {
      for (const format of ["csv", "parquet"] as const) {
        // The same column nodes both ways (past 1,000 leaves columnsOf turns the widest nested columns into JSON).
        const columns = columnsOf(padded, opts({ nestedTypes: nested }));
        const narrow = await run(
          columns.filter((c) => !c.name.startsWith("pad_")),
          format,
          records,
          true,
        );
        const wide = await run(columns, format, records, true);
        expect(projectionSql(columnsOf(padded, opts()), { format, metadata: false, batchedAt: BATCHED }).from("R")).toMatch(
          /^\(SELECT \*, json_extract_string\(record, \[/,
        );
        wide.forEach((row, i) => {
          const { pad_999: last, ...rest } = row;
          for (const k of Object.keys(rest)) if (k.startsWith("pad_")) delete rest[k];
          expect(rest).toEqual(narrow[i]);
          expect(last).toBe(i === 0 ? "last" : null);
        });
      }
    }
  });

  // RFC 3339 allows a lower-case t / z, and the validator accepts HH:MM without seconds: DuckDB's own timestamp
  // parser takes neither, which failed the whole file after validation had passed.
  it("date-time columns accept what the validator accepts: lower-case t/z, no seconds, space separator", async () => {
    const cols = columnsOf({ at: { type: ["null", "string"], format: "date-time" } }, opts());
    const rows = await run(cols, "csv", [
      `{"at":"2024-01-02t03:04:05.5z"}`,
      `{"at":"2024-01-02T03:04Z"}`,
      `{"at":"2024-01-02T03:04+02:00"}`,
      `{"at":"2024-01-02 03:04"}`,
      `{"at":"2024-01-02T03:04:05-0530"}`,
      `{"at":null}`,
    ]);
    expect(rows.map((r) => r["at"])).toEqual([
      "2024-01-02T03:04:05.500000Z",
      "2024-01-02T03:04:00.000000Z",
      "2024-01-02T01:04:00.000000Z",
      "2024-01-02T03:04:00.000000Z",
      "2024-01-02T08:34:05.000000Z",
      null,
    ]);
  });

  it("parquet: typed STRUCT and LIST values, missing nested fields null", async () => {
    const rows = await run(columnsOf(schema, opts()), "parquet", [`{"id":1,"o":{"x":5},"arr":["a","b"]}`]);
    expect(rows[0]).toMatchObject({ id: "1", o: { x: "5", s: null }, arr: ["a", "b"] });
  });

  it("a field missing from a record is null in its own column, never a shifted value", async () => {
    const cols = columnsOf({ a: { type: "string" }, b: { type: "string" }, c: { type: "string" } }, opts());
    const rows = await run(cols, "csv", [`{"c":"C","a":"A"}`, `{"b":"B"}`]);
    expect(rows).toEqual([
      { a: "A", b: null, c: "C" },
      { a: null, b: "B", c: null },
    ]);
  });

  it("flattened columns take values by path; header casing renames only", async () => {
    const cols = columnsOf(
      { id: { type: "integer" }, o: { type: "object", properties: { x: { type: "integer" }, s: { type: "string" } } } },
      opts({ flatten: true, headerFormat: "upper" }),
    );
    expect(cols.map((c) => c.name)).toEqual(["ID", "O__X", "O__S"]);
    const rows = await run(cols, "csv", [`{"id":1,"o":{"s":"t"}}`]);
    expect(rows).toEqual([{ ID: "1", O__X: null, O__S: "t" }]);
  });
});
