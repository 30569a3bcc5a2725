import { LosslessNumber, parseLossless, stringifyLossless, type LosslessValue } from "../schema/lossless-json.js";

/**
 * A record's JSON text as values, exact: JSON.parse (native, fast) when every number in the text prints back as
 * written (`302.28`, `42`), otherwise the lossless parser, whose numbers are LosslessNumbers holding their source
 * text (`1.10`, `99999999999999999`). Either way a number's text, `String(n)` or `n.text`, is the text sent.
 * Object members come in JavaScript's order (integer-like names first), the same on both paths.
 */
export type ExactValue = LosslessValue | number;

/** A number token at the start or after `:`, `[` or `,`, and before `,`, `]` or `}`; a look-alike inside a string only costs the slow path. */
const NUMBER_TOKEN = /(?:^|[:[,])\s*(-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?)(?=\s*(?:[,\]}]|$))/g;

export function parseExact(text: string): ExactValue {
  NUMBER_TOKEN.lastIndex = 0;
  for (let m = NUMBER_TOKEN.exec(text); m !== null; m = NUMBER_TOKEN.exec(text)) {
    const token = m[1]!;
    if (String(Number(token)) !== token) return parseLossless(text);
  }
  return JSON.parse(text) as ExactValue;
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
