import { describe, expect, it } from "vitest";
import { compileRecordChecker, compileValidator } from "../../src/schema/validator.js";

describe("compileValidator", () => {
  const check = compileValidator({
    type: "object",
    properties: {
      id: { type: "integer" },
      at: { type: ["null", "string"], format: "date-time" },
      nested: { type: "object", properties: { n: { type: ["null", "integer"] } } },
    },
  });

  it("accepts int64 extremes and date-times with or without offset", () => {
    expect(check({ id: 9223372036854775807, at: "2019-02-01 15:12:45" })).toBeUndefined();
    expect(check({ id: -9223372036854775808, at: "2019-02-01T15:12:45.123+02:00" })).toBeUndefined();
  });

  it("refuses integers beyond 64 bits, at any depth, naming the property and the fix", () => {
    expect(check({ id: 1e29 })).toMatch(/property 'id' is an integer beyond the 64-bit range.*"number" or "string"/);
    expect(check({ id: 1, nested: { n: -1e20 } })).toMatch(/property 'nested.n' is an integer beyond the 64-bit range/);
  });

  it("refuses leap seconds and impossible dates that DuckDB cannot convert", () => {
    expect(check({ id: 1, at: "2016-12-31T23:59:60Z" })).toMatch(/format "date-time"/);
    expect(check({ id: 1, at: "2023-02-29T00:00:00Z" })).toMatch(/format "date-time"/);
    expect(check({ id: 1, at: "2024-02-29T00:00:00Z" })).toBeUndefined();
  });

  it("does not change the schema it was given", () => {
    const schema = { type: "object", properties: { id: { type: "integer" } } };
    compileValidator(schema);
    expect(schema).toEqual({ type: "object", properties: { id: { type: "integer" } } });
  });
});

describe("compileRecordChecker: exact numbers, types apart from constraints", () => {
  const schema = {
    type: "object",
    properties: {
      id: { type: "integer" },
      price: { type: ["null", "number"], multipleOf: 0.01 },
      ratio: { type: "number", multipleOf: 1e-6 },
      name: { type: ["null", "string"], maxLength: 3 },
      status: { type: "string", enum: ["open", "closed"] },
      at: { type: "string", format: "date-time" },
      items: {
        type: "array",
        items: { type: "object", properties: { amount: { type: "number", multipleOf: 0.01 }, sku: { type: "string", pattern: "^[A-Z]+$" } } },
      },
    },
  };
  const check = compileRecordChecker(schema);
  const run = (text: string) => check(JSON.parse(text) as Record<string, unknown>, text);

  it("accepts decimals binary floating point calls non-multiples (302.28, 19.99, 1.1, 0.07)", () => {
    for (const v of ["302.28", "19.99", "1.1", "0.07", "12345678901234567.89", "99999999999999999999.99", "1e-2"]) {
      expect(run(`{"id":1,"price":${v},"ratio":0.000007,"status":"open","at":"2024-01-01T00:00:00Z"}`), v).toBeUndefined();
    }
  });

  it("reports 1.0000000000000001 under multipleOf 0.01 as a constraint, not a type violation", () => {
    const result = run(`{"id":1,"price":1.0000000000000001,"ratio":1,"status":"open","at":"2024-01-01T00:00:00Z"}`);
    expect(result?.types).toEqual([]);
    expect(result?.constraints.map((v) => [v.property, v.rule])).toEqual([["price", "multipleOf"]]);
  });

  it("a long number's double colliding with a short one's: each is judged on its own digits", () => {
    const c = compileRecordChecker({
      type: "object",
      properties: { a: { type: "number", multipleOf: 0.01 }, b: { type: "number", multipleOf: 0.01 }, n: { type: "integer" } },
    });
    const text = `{"a":1,"b":1.0000000000000001,"n":9223372036854775807}`;
    expect(c(JSON.parse(text) as Record<string, unknown>, text)?.constraints.map((v) => v.property)).toEqual(["b"]);
    const line = `{"type":"RECORD","stream":"s","record":${text}}`;
    expect(c(JSON.parse(text) as Record<string, unknown>, () => text, line)?.constraints.map((v) => v.property)).toEqual(["b"]);
  });

  it("lists every constraint violation, with nested properties folded per array", () => {
    const result = run(`{"id":1,"price":1.001,"ratio":1,"name":"ÄÖÜé","status":"stale","at":"2024-01-01T00:00:00Z","items":[{"amount":1.001,"sku":"abc"}]}`);
    expect(result?.types).toEqual([]);
    expect(result?.constraints.map((v) => [v.property, v.rule, v.path.join("/")])).toEqual([
      ["price", "multipleOf", "price"],
      ["name", "maxLength", "name"],
      ["status", "enum", "status"],
      ["items[].amount", "multipleOf", "items/0/amount"],
      ["items[].sku", "pattern", "items/0/sku"],
    ]);
  });

  it("type violations: wrong JSON type, bad date-time, impossible offsets, integers and numbers out of range", () => {
    const at = (v: string) => run(`{"id":1,"status":"open","at":${v}}`)?.types.map((x) => x.rule);
    expect(at(`"2024-01-01T00:00:00+25:00"`)).toEqual(["format"]);
    expect(at(`"2024-01-01T00:00:00+05:99"`)).toEqual(["format"]);
    expect(at(`"2024-01-01T00:00:00+05:30"`)).toBeUndefined();
    expect(run(`{"id":"1","status":"open","at":"2024-01-01"}`)?.types.map((x) => [x.property, x.rule])).toEqual([
      ["id", "type"],
      ["at", "format"],
    ]);
    expect(run(`{"id":9223372036854775808,"status":"open","at":"2024-01-01T00:00:00Z"}`)?.types.map((x) => x.rule)).toEqual(["integer range"]);
    expect(run(`{"id":9223372036854775807,"status":"open","at":"2024-01-01T00:00:00Z"}`)).toBeUndefined();
    expect(run(`{"id":1,"ratio":1e400,"status":"open","at":"2024-01-01T00:00:00Z"}`)?.types.map((x) => x.rule)).toContain("number range");
    expect(run(`{"id":1,"ratio":1e-400,"status":"open","at":"2024-01-01T00:00:00Z"}`)?.types.map((x) => x.rule)).toEqual(["number range"]);
    expect(run(`{"id":1,"price":1e37,"status":"open","at":"2024-01-01T00:00:00Z"}`)?.types.map((x) => x.rule)).toEqual(["number range"]);
  });

  it("with constraints off (validate_constraints=ignore) only types are checked", () => {
    const types = compileRecordChecker(schema, { constraints: false });
    const text = `{"id":1,"price":1.001,"name":"toolong","status":"stale","at":"2024-01-01T00:00:00Z"}`;
    expect(types(JSON.parse(text) as Record<string, unknown>, text)).toBeUndefined();
  });
});

describe("compileRecordChecker: draft-04 boolean exclusiveMaximum/exclusiveMinimum (pipelinewise tap-postgres numeric)", () => {
  // tap-postgres / tap-mysql describe NUMERIC(10,2) as below: draft-04 booleans next to maximum/minimum.
  const schema = {
    type: "object",
    properties: {
      amount: { type: ["null", "number"], exclusiveMaximum: true, maximum: 100000000, multipleOf: 0.01, exclusiveMinimum: true, minimum: -100000000 },
      plain: { type: ["null", "number"], exclusiveMaximum: false, maximum: 10 },
    },
  };

  it("compiles, accepts values inside the bounds and reports the bound itself as exclusive", () => {
    const check = compileRecordChecker(schema);
    const run = (text: string) => check(JSON.parse(text) as Record<string, unknown>, text);
    expect(run(`{"amount":302.28,"plain":10}`)).toBeUndefined();
    expect(run(`{"amount":-99999999.99}`)).toBeUndefined();
    expect(run(`{"amount":100000000}`)?.constraints.map((v) => [v.property, v.rule])).toEqual([["amount", "exclusiveMaximum"]]);
    expect(run(`{"amount":-100000000}`)?.constraints.map((v) => [v.property, v.rule])).toEqual([["amount", "exclusiveMinimum"]]);
    expect(run(`{"plain":10.5}`)?.constraints.map((v) => [v.property, v.rule])).toEqual([["plain", "maximum"]]);
  });
});
