import { LosslessNumber, parseLossless, stringifyLossless, type LosslessValue } from "../schema/lossless-json.js";

/**
 * A record's JSON text as values, exact: JSON.parse (native, fast) when every number in the text prints back as
 * written (`302.28`, `42`), otherwise the lossless parser, whose numbers are LosslessNumbers holding their source
 * text (`1.10`, `99999999999999999`). Either way a number's text, `String(n)` or `n.text`, is the text sent.
 * Object members come in JavaScript's order (integer-like names first), the same on both paths.
 */
export type ExactValue = LosslessValue | number;

/**
 * A number token (at the start, or after `:`, `[` or `,`) that JSON.parse might not print back as written: 16 or
 * more digits (maybe beyond a double), an exponent, a fraction ending in 0 (`1.10`), -0, or below 1e-6 (printed
 * with an exponent). Any other token has at most 15 significant digits in plain notation, which a double holds
 * and prints back digit for digit. A look-alike inside a string (`"a:1.10,"`) only costs the slower
 * path; a top-level number (tests) is checked for length alone.
 */
const SUSPICIOUS = /[:[,]\s*(?:-?(?:[\d.]{16}|\d+(?:\.\d+)?[eE]|\d+\.\d*0(?=\s*[,\]}])|0\.0{6})|-0(?:\.0+)?(?=\s*[,\]}]))|^\s*-?[\d.]{16}/;

export function parseExact(text: string): ExactValue {
  return SUSPICIOUS.test(text) ? parseLossless(text) : (JSON.parse(text) as ExactValue);
}

/** The number's text as sent. */
export function numberText(v: number | LosslessNumber): string {
  return typeof v === "number" ? String(v) : v.text;
}

export function isNumber(v: unknown): v is number | LosslessNumber {
  return typeof v === "number" || v instanceof LosslessNumber;
}

/** JSON text of an exact value (numbers as sent; strings re-escaped by JSON.stringify). */
export function exactJson(v: ExactValue): string {
  return stringifyLossless(v as LosslessValue);
}
