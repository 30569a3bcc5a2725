/**
 * Decimal arithmetic on a number's JSON text, never through a double: `multipleOf` and range checks must agree
 * with the digits the tap sent (302.28 is a multiple of 0.01; in binary floating point it is not).
 */

/** A JSON number as `digits × 10^exponent` with no leading or trailing zeros in `digits` ("0" for zero). */
export interface Decimal {
  negative: boolean;
  digits: string;
  exponent: number;
}

const NUMBER = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/;

/** Undefined when `text` is not a JSON number. */
export function parseDecimal(text: string): Decimal | undefined {
  const m = NUMBER.exec(text);
  if (!m) return undefined;
  const fraction = m[3] ?? "";
  let digits = ((m[2] ?? "") + fraction).replace(/^0+/, "");
  let exponent = Number(m[4] ?? 0) - fraction.length;
  if (digits === "") return { negative: false, digits: "0", exponent: 0 };
  let end = digits.length;
  while (digits.charCodeAt(end - 1) === 48) end--;
  exponent += digits.length - end;
  digits = digits.slice(0, end);
  return { negative: m[1] === "-", digits, exponent };
}

/** The decimal text of a JS number (its shortest round-trip form: what a schema's `0.01` was written as). */
export function decimalOfNumber(value: number): Decimal | undefined {
  return parseDecimal(String(value).replace("e+", "e"));
}

function modPow(base: bigint, exponent: number, modulus: bigint): bigint {
  let result = 1n % modulus;
  let b = base % modulus;
  let e = exponent;
  while (e > 0) {
    if (e & 1) result = (result * b) % modulus;
    b = (b * b) % modulus;
    e = Math.floor(e / 2);
  }
  return result;
}

/**
 * Whether `value` is an integer multiple of `divisor` (> 0), exactly. With both written as d×10^e (d without
 * trailing zeros): when value's exponent is below the divisor's, the quotient needs 10 | d_value, impossible
 * (zero aside); otherwise it is (d_value × 10^(e_v − e_d)) mod d_divisor = 0, computed by modular exponentiation
 * so 1e400 or a 40-digit quotient cost nothing.
 */
export function isMultipleOf(value: Decimal, divisor: Decimal): boolean {
  if (value.digits === "0") return true;
  if (divisor.digits === "0") return false;
  if (value.exponent < divisor.exponent) return false;
  const d = BigInt(divisor.digits);
  if (d === 1n) return true;
  return (BigInt(value.digits) * modPow(10n, value.exponent - divisor.exponent, d)) % d === 0n;
}

/** Digits before the decimal point (0 for |value| < 1): a DECIMAL(p, s) column holds at most p − s of them. */
export function integerDigits(value: Decimal): number {
  if (value.digits === "0") return 0;
  return Math.max(0, value.digits.length + value.exponent);
}

/** Whether the text's magnitude is beyond what a double holds (rounds to ±Infinity, or a non-zero value to 0). */
export function outOfDoubleRange(text: string, parsed: number): boolean {
  if (!Number.isFinite(parsed)) return true;
  if (parsed !== 0) return false;
  const d = parseDecimal(text);
  return d !== undefined && d.digits !== "0";
}

/** Whether the integer text lies in the INT64 range, compared as digits (9223372036854775808 is a double's 2^63). */
export function inInt64Range(value: Decimal): boolean {
  if (value.exponent < 0) return false;
  if (value.digits === "0") return true;
  const length = value.digits.length + value.exponent;
  if (length > 19) return false;
  const n = BigInt(value.digits) * 10n ** BigInt(value.exponent);
  return value.negative ? n <= 9223372036854775808n : n <= 9223372036854775807n;
}
