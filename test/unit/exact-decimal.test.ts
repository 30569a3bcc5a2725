import { describe, expect, it } from "vitest";
import { decimalOfNumber, inInt64Range, isMultipleOf, outOfDoubleRange, parseDecimal } from "../../src/schema/exact-decimal.js";

const dec = (t: string) => parseDecimal(t)!;
const multiple = (v: string, m: string) => isMultipleOf(dec(v), dec(m));

describe("exact decimals on the number's text", () => {
  it("multipleOf of decimals that break binary floating point", () => {
    for (const v of ["302.28", "19.99", "1.1", "0.07", "10000.00", "0", "-0.01", "12345678901234567.89", "1e-2", "1.10"])
      expect(multiple(v, "0.01"), v).toBe(true);
    expect(multiple("1.0000000000000001", "0.01")).toBe(false);
    expect(multiple("0.001", "0.01")).toBe(false);
    expect(multiple("1e-7", "1e-7")).toBe(true);
    expect(multiple("3e-7", "0.000001")).toBe(false);
  });

  it("huge quotients and exponents, integers and non-powers of ten", () => {
    expect(multiple("99999999999999999999999.99", "0.01")).toBe(true);
    expect(multiple("1e400", "0.01")).toBe(true);
    expect(multiple("123456789012345678901234567890", "1")).toBe(true);
    expect(multiple("1e21", "7")).toBe(false);
    expect(multiple("7e21", "7")).toBe(true);
    expect(multiple("0.75", "0.25")).toBe(true);
    expect(multiple("0.8", "0.25")).toBe(false);
    expect(multiple("15", "2.5")).toBe(true);
    expect(multiple("1.5e300", "0.5")).toBe(true);
  });

  it("a schema's multipleOf number is read as its shortest decimal text", () => {
    expect(decimalOfNumber(0.01)).toEqual({ negative: false, digits: "1", exponent: -2 });
    expect(decimalOfNumber(1e-7)).toEqual({ negative: false, digits: "1", exponent: -7 });
    expect(decimalOfNumber(1e21)).toEqual({ negative: false, digits: "1", exponent: 21 });
  });

  it("INT64 range compared as digits, double range on the text", () => {
    expect(inInt64Range(dec("9223372036854775807"))).toBe(true);
    expect(inInt64Range(dec("9223372036854775808"))).toBe(false);
    expect(inInt64Range(dec("-9223372036854775808"))).toBe(true);
    expect(inInt64Range(dec("-9223372036854775809"))).toBe(false);
    expect(outOfDoubleRange("1e400", Infinity)).toBe(true);
    expect(outOfDoubleRange("1e-400", 0)).toBe(true);
    expect(outOfDoubleRange("0.000", 0)).toBe(false);
    expect(outOfDoubleRange("1.5e300", 1.5e300)).toBe(false);
  });
});
