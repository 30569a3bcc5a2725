import { describe, expect, it } from "vitest";
import { canonicalDecimal, LosslessNumber, objectFields, parseLossless, rawAtPath, stringifyLossless } from "../../src/schema/lossless-json.js";

describe("lossless-json", () => {
  it("lists an object's members with their exact source text, in order", () => {
    expect(objectFields(`{"a": 99999999999999999, "b" :{"c":[1, 2]} ,"d":"x\\"y","e":1.10}`)).toEqual([
      ["a", "99999999999999999"],
      ["b", `{"c":[1, 2]}`],
      ["d", `"x\\"y"`],
      ["e", "1.10"],
    ]);
    expect(objectFields("{}")).toEqual([]);
    expect(objectFields("[1]")).toBeUndefined();
    expect(objectFields(`{"\\u0061":1}`)).toEqual([["a", "1"]]);
  });

  it("finds nested values by path; the last of a repeated name wins", () => {
    const text = `{"a":{"b":{"c":12345678901234567890}},"x":1,"x":2,"n":null}`;
    expect(rawAtPath(text, ["a", "b", "c"])).toBe("12345678901234567890");
    expect(rawAtPath(text, ["a", "b"])).toBe(`{"c":12345678901234567890}`);
    expect(rawAtPath(text, ["x"])).toBe("2");
    expect(rawAtPath(text, ["n", "y"])).toBeUndefined();
    expect(rawAtPath(text, ["missing"])).toBeUndefined();
  });

  it("parses numbers as their text and writes them back unchanged", () => {
    const text = `{"big":99999999999999999,"neg":-12345678901234567890,"dec":0.1000000000000000055511151231257827,"e":1E+400,"s":"\\u0000\\n\\"","a":[true,false,null,{}]}`;
    const v = parseLossless(text) as Record<string, unknown>;
    expect(v["big"]).toBeInstanceOf(LosslessNumber);
    expect((v["big"] as LosslessNumber).text).toBe("99999999999999999");
    expect((v["big"] as LosslessNumber).isSafe).toBe(false);
    expect(new LosslessNumber("12.5").isSafe).toBe(true);
    expect(v["s"]).toBe('\u0000\n"');
    expect(stringifyLossless(v as never)).toBe(text.replace(`"\\u0000\\n\\""`, JSON.stringify('\u0000\n"')));
    expect(() => parseLossless("{} x")).toThrow();
    expect(() => parseLossless('{"a":01}')).toThrow();
  });

  it("keeps __proto__ as a plain member", () => {
    const v = parseLossless(`{"__proto__":{"x":1}}`) as Record<string, unknown>;
    expect(Object.keys(v)).toEqual(["__proto__"]);
    expect(stringifyLossless(v as never)).toBe(`{"__proto__":{"x":1}}`);
  });

  it("compares decimals by exact value", () => {
    expect(canonicalDecimal("1.10")).toBe(canonicalDecimal("1.1"));
    expect(canonicalDecimal("11e-1")).toBe(canonicalDecimal("1.1"));
    expect(canonicalDecimal("0.000")).toBe("0");
    expect(canonicalDecimal("99999999999999999")).not.toBe(canonicalDecimal("100000000000000000"));
    expect(canonicalDecimal("-5.0")).toBe("-5e0");
  });
});
