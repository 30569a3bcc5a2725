import { describe, expect, it } from "vitest";
import { linearRegExp } from "../../src/schema/linear-regexp.js";
import { compileRecordChecker } from "../../src/schema/validator.js";

const evil = "a".repeat(40) + "!";

describe("patterns run in linear time (RE2)", () => {
  it("pattern ^(a+)+$ and patternProperties ^(a|a)*$ against 40 a's and a '!' answer at once", () => {
    const check = compileRecordChecker({
      type: "object",
      properties: { name: { type: "string", pattern: "^(a+)+$" } },
      patternProperties: { "^(a|a)*$": { type: "string" } },
    });
    const result = check({ name: evil, [evil]: "x" }, undefined);
    // A backtracking engine (ajv's default RegExp) spins here for hours; this only checks the answer.
    expect(result?.constraints.map((v) => v.rule)).toEqual(["pattern"]);
    expect(check({ name: "aaa" }, undefined)).toBeUndefined();
  });

  it("JSON Schema semantics: an unanchored search, ECMA classes, case flags", () => {
    expect(linearRegExp("b").test("abc")).toBe(true);
    expect(linearRegExp("^\\d{3}-\\w+$", "u").test("123-abc")).toBe(true);
    expect(linearRegExp("^[A-Z]{2}$", "u").test("ab")).toBe(false);
    expect(linearRegExp("^\\p{L}+$", "u").test("Ünïcödé")).toBe(true);
  });

  it("a pattern RE2 cannot run is refused when the schema is compiled, in one sentence", () => {
    const compile = () => compileRecordChecker({ type: "object", properties: { x: { type: "string", pattern: "^(a)\\1$" } } });
    expect(compile).toThrow(
      /pattern "\^\(a\)\\\\1\$" cannot be run in linear time by RE2 .*simplify the pattern in the schema, or set validate_constraints to ignore/,
    );
    expect(() => compileRecordChecker({ type: "object", properties: { x: { type: "string", pattern: "^(?=a)" } } })).toThrow(/linear time/);
    // With validate_constraints=ignore the pattern is not compiled at all.
    expect(() => compileRecordChecker({ type: "object", properties: { x: { type: "string", pattern: "^(a)\\1$" } } }, { constraints: false })).not.toThrow();
  });
});
