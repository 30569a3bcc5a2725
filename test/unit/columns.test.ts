import { describe, expect, it } from "vitest";
import { ColumnCollisionError, MAX_LEAF_COLUMNS, columnsOf, hasCaseCollision, typeOf, type ColumnOptions, type TypeNode } from "../../src/schema/columns.js";

const opts = (extra: Partial<ColumnOptions> = {}): ColumnOptions => ({
  flatten: false,
  flattenMaxDepth: 3,
  nestedTypes: "struct",
  headerFormat: null,
  ...extra,
});

describe("typeOf: JSON Schema property → column kind", () => {
  const table: Array<[string, unknown, TypeNode["kind"]]> = [
    ["integer", { type: "integer" }, "integer"],
    ["nullable integer", { type: ["null", "integer"] }, "integer"],
    ["number", { type: "number" }, "number"],
    ["integer|number", { type: ["integer", "number"] }, "number"],
    ["boolean", { type: ["boolean", "null"] }, "boolean"],
    ["string", { type: "string" }, "string"],
    ["date-time", { type: "string", format: "date-time" }, "date-time"],
    ["date", { type: ["null", "string"], format: "date" }, "date"],
    ["time", { type: "string", format: "time" }, "time"],
    ["unknown format stays string", { type: "string", format: "uri" }, "string"],
    ["string|integer", { type: ["string", "integer"] }, "json"],
    ["no type", {}, "json"],
    ["true schema", true, "json"],
    ["null only", { type: "null" }, "json"],
    ["unknown type", { type: "binary" }, "json"],
    ["anyOf one kind + null", { anyOf: [{ type: "string", format: "date-time" }, { type: "null" }] }, "date-time"],
    ["anyOf string kinds", { anyOf: [{ type: "string", format: "date-time" }, { type: "string" }] }, "string"],
    ["anyOf numbers", { anyOf: [{ type: "integer" }, { type: "number" }] }, "number"],
    ["anyOf mixed", { anyOf: [{ type: "integer" }, { type: "string" }] }, "json"],
    ["oneOf", { oneOf: [{ type: "boolean" }, { type: "null" }] }, "boolean"],
    ["empty anyOf", { anyOf: [] }, "json"],
  ];
  it.each(table)("%s", (_name, schema, kind) => {
    expect(typeOf(schema, "struct").kind).toBe(kind);
  });

  it("a number with a power-of-ten multipleOf is a DECIMAL with that scale", () => {
    expect(typeOf({ type: "number", multipleOf: 0.01 }, "struct")).toEqual({ kind: "decimal", precision: 38, scale: 2 });
    expect(typeOf({ type: "number", multipleOf: 1e-6 }, "struct")).toEqual({ kind: "decimal", precision: 38, scale: 6 });
    expect(typeOf({ type: "number", multipleOf: 0.25 }, "struct").kind).toBe("number");
    expect(typeOf({ type: "number", multipleOf: 5 }, "struct").kind).toBe("number");
  });

  it("objects with declared properties are STRUCTs (nested), loose objects are JSON", () => {
    const node = typeOf({ type: "object", properties: { a: { type: "integer" }, b: { type: "object", properties: { c: { type: "string" } } } } }, "struct");
    expect(node.kind).toBe("struct");
    expect(node.fields?.get("a")?.kind).toBe("integer");
    expect(node.fields?.get("b")?.fields?.get("c")?.kind).toBe("string");
    expect(typeOf({ type: "object" }, "struct").kind).toBe("json");
    expect(typeOf({ type: "object", properties: {} }, "struct").kind).toBe("json");
    expect(typeOf({ type: "object", properties: { a: { type: "integer" } }, additionalProperties: true }, "struct").kind).toBe("json");
    expect(typeOf({ type: "object", properties: { a: { type: "integer" } }, additionalProperties: false }, "struct").kind).toBe("struct");
    // DuckDB STRUCT fields are case-insensitive: `Id` and `id` cannot share one.
    expect(typeOf({ type: "object", properties: { Id: { type: "integer" }, id: { type: "integer" } } }, "struct").kind).toBe("json");
  });

  it("arrays with typed items are LISTs; untyped or tuple items are JSON", () => {
    expect(typeOf({ type: "array", items: { type: "integer" } }, "struct")).toEqual({ kind: "list", items: { kind: "integer" } });
    expect(typeOf({ type: "array" }, "struct").kind).toBe("json");
    expect(typeOf({ type: "array", items: [{ type: "integer" }] }, "struct").kind).toBe("json");
    expect(typeOf({ type: "array", items: {} }, "struct").kind).toBe("json");
  });

  it("nestedTypes json keeps every object and array as JSON", () => {
    expect(typeOf({ type: "object", properties: { a: { type: "integer" } } }, "json").kind).toBe("json");
    expect(typeOf({ type: "array", items: { type: "integer" } }, "json").kind).toBe("json");
  });
});

describe("columnsOf", () => {
  const props = {
    id: { type: "integer" },
    name: { type: "string" },
    address: { type: "object", properties: { city: { type: "string" }, geo: { type: "object", properties: { lat: { type: "number" } } } } },
  };

  it("takes columns from the schema, in schema order", () => {
    const cols = columnsOf(props, opts());
    expect(cols.map((c) => c.name)).toEqual(["id", "name", "address"]);
    expect(cols.map((c) => c.path)).toEqual([["id"], ["name"], ["address"]]);
    expect(cols[2]!.node.kind).toBe("struct");
  });

  it("flattens nested objects to a__b up to flattenMaxDepth", () => {
    expect(columnsOf(props, opts({ flatten: true })).map((c) => c.name)).toEqual(["id", "name", "address__city", "address__geo__lat"]);
    const shallow = columnsOf(props, opts({ flatten: true, flattenMaxDepth: 1 }));
    expect(shallow.map((c) => c.name)).toEqual(["id", "name", "address__city", "address__geo"]);
    expect(shallow[3]!.path).toEqual(["address", "geo"]);
    expect(shallow[3]!.node.kind).toBe("struct");
  });

  it("applies column_header_format upper / lower", () => {
    expect(columnsOf({ aB: { type: "string" } }, opts({ headerFormat: "upper" }))[0]!.name).toBe("AB");
    expect(columnsOf({ aB: { type: "string" } }, opts({ headerFormat: "lower" }))[0]!.name).toBe("ab");
    expect(columnsOf({ aB: { type: "string" } }, opts())[0]!.name).toBe("aB");
  });

  it("a collision after casing is an error naming both properties and the setting", () => {
    const run = () => columnsOf({ userId: { type: "string" }, USERID: { type: "string" } }, opts({ headerFormat: "upper" }));
    expect(run).toThrow(ColumnCollisionError);
    expect(run).toThrow(/'userId' and 'USERID' both become column 'USERID' after column_header_format=upper/);
  });

  it("two names equal but for case collide even without casing (DuckDB columns are case-insensitive)", () => {
    expect(() => columnsOf({ Id: { type: "string" }, id: { type: "string" } }, opts())).toThrow(ColumnCollisionError);
  });

  it("a flattened name colliding with a real property is an error", () => {
    expect(() => columnsOf({ a__b: { type: "string" }, a: { type: "object", properties: { b: { type: "string" } } } }, opts({ flatten: true }))).toThrow(
      /'a__b' and 'a\.b' both become column 'a__b'/,
    );
  });

  it("hasCaseCollision", () => {
    expect(hasCaseCollision(["a", "B", "c"])).toBe(false);
    expect(hasCaseCollision(["a", "A"])).toBe(true);
  });

  // tap_aapl.singer (meltanolabs-target-postgres) declares ~23,700 nested leaves; as STRUCT columns DuckDB's
  // parquet writer needs a buffer per leaf and runs out of memory_limit. Very wide nested values go to JSON.
  it("very wide nested objects become JSON columns so the file has a bounded number of leaf columns", () => {
    const wide = (n: number) => ({
      type: "object",
      properties: Object.fromEntries(
        Array.from({ length: n }, (_, i) => [`f${i}`, { type: "object", properties: { a: { type: "string" }, b: { type: "number" } } }]),
      ),
    });
    const cols = columnsOf({ id: { type: "integer" }, small: wide(3), huge: wide(5000) }, opts());
    expect(cols.map((c) => c.name)).toEqual(["id", "small", "huge"]);
    expect(cols[0]!.node.kind).toBe("integer");
    expect(cols[1]!.node.kind).toBe("struct");
    expect(cols[2]!.node.kind).toBe("json");
  });

  it("demotes only as many nested columns as needed, widest first; plain columns are never demoted", () => {
    const struct = (n: number) => ({ type: "object", properties: Object.fromEntries(Array.from({ length: n }, (_, i) => [`f${i}`, { type: "integer" }])) });
    const half = Math.ceil(MAX_LEAF_COLUMNS / 2) + 1;
    const cols = columnsOf({ a: struct(half), b: struct(half + 1), c: { type: "string" } }, opts());
    expect(cols.map((c) => c.node.kind)).toEqual(["struct", "json", "string"]);
    const atLimit = columnsOf({ a: struct(MAX_LEAF_COLUMNS - 1), c: { type: "string" } }, opts());
    expect(atLimit[0]!.node.kind).toBe("struct");
    const plain = columnsOf(Object.fromEntries(Array.from({ length: MAX_LEAF_COLUMNS + 5 }, (_, i) => [`c${i}`, { type: "integer" }])), opts());
    expect(plain.every((c) => c.node.kind === "integer")).toBe(true);
  });
});
