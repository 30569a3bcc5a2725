import { describe, expect, it } from "vitest";
import { compileValidator } from "../../src/schema/validator.js";

describe("compileValidator", () => {
  const check = compileValidator({
    type: "object",
    properties: { id: { type: "integer" }, at: { type: ["null", "string"], format: "date-time" }, nested: { type: "object", properties: { n: { type: ["null", "integer"] } } } },
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
