/**
 * Lossless JSON: work on a record's source text instead of re-serialising a parsed value, so numbers keep every
 * digit (99999999999999999, 1.10, 0.1000000000000000055511) and strings keep their exact escapes.
 *
 * - `objectFields(text)` lists an object's members as [name, value source text] in order (one pass, no parse of
 *   the values).
 * - `rawAtPath(text, path)` finds the source text of a nested value.
 * - `parseLossless(text)` is a full parser whose numbers are `LosslessNumber`s (their source text); tests use it to
 *   compare values exactly. `stringifyLossless` writes such a value back.
 * The input is known to be valid JSON (JSON.parse accepted the line), which keeps the scanner small.
 */

import { skipString, skipValue, skipWs } from "../protocol/json-scan.js";

/** A JSON number kept as its source text. */
export class LosslessNumber {
  constructor(readonly text: string) {}
  /** Exactly representable as a JS number (same text when printed back). */
  get isSafe(): boolean {
    return String(Number(this.text)) === this.text;
  }
  toJSON(): string {
    return this.text;
  }
}

export type LosslessValue = null | boolean | string | LosslessNumber | LosslessValue[] | { [key: string]: LosslessValue };

function decodeKey(raw: string): string {
  return raw.includes("\\") ? (JSON.parse(`"${raw}"`) as string) : raw;
}

/**
 * The members of the JSON object in `text` as [name, value source text], in source order. A name sent twice
 * appears twice (callers that want JSON.parse semantics take the last). Undefined when `text` is not an object.
 */
export function objectFields(text: string): Array<[string, string]> | undefined {
  return objectFieldRanges(text)?.map(({ name, start, end }) => [name, text.slice(start, end)]);
}

/** Like objectFields, with where each value lies (`text.slice(start, end)`), to replace values in place. */
function objectFieldRanges(text: string): Array<{ name: string; start: number; end: number }> | undefined {
  let i = skipWs(text, 0);
  if (text.charCodeAt(i) !== 0x7b /* { */) return undefined;
  const out: Array<{ name: string; start: number; end: number }> = [];
  i = skipWs(text, i + 1);
  while (i < text.length && text.charCodeAt(i) !== 0x7d /* } */) {
    const keyEnd = skipString(text, i);
    const name = decodeKey(text.slice(i + 1, keyEnd - 1));
    i = skipWs(text, keyEnd);
    i = skipWs(text, i + 1); // the colon
    const end = skipValue(text, i);
    out.push({ name, start: i, end });
    i = skipWs(text, end);
    if (text.charCodeAt(i) === 0x2c /* , */) i = skipWs(text, i + 1);
  }
  return out;
}

/** The source text of the value at `path` (last occurrence of a repeated name wins), or undefined when absent. */
export function rawAtPath(text: string, path: readonly string[]): string | undefined {
  let at: string | undefined = text;
  for (const part of path) {
    const fields = objectFields(at);
    if (!fields) return undefined;
    at = undefined;
    for (let k = fields.length - 1; k >= 0; k--) {
      const f = fields[k]!;
      if (f[0] === part) {
        at = f[1];
        break;
      }
    }
    if (at === undefined) return undefined;
  }
  return at;
}

/** Parses JSON keeping numbers as LosslessNumber (their exact source text). */
export function parseLossless(text: string): LosslessValue {
  let i = 0;
  const value = (): LosslessValue => {
    i = skipWs(text, i);
    const c = text.charCodeAt(i);
    if (c === 0x7b) {
      const out: { [key: string]: LosslessValue } = {};
      i = skipWs(text, i + 1);
      while (text.charCodeAt(i) !== 0x7d) {
        const end = skipString(text, i);
        const key = JSON.parse(text.slice(i, end)) as string;
        i = skipWs(text, end) + 1; // colon
        const v = value();
        Object.defineProperty(out, key, { value: v, enumerable: true, writable: true, configurable: true });
        i = skipWs(text, i);
        if (text.charCodeAt(i) === 0x2c) i = skipWs(text, i + 1);
        else if (text.charCodeAt(i) !== 0x7d) throw new SyntaxError(`expected , or } at ${i}`);
      }
      i++;
      return out;
    }
    if (c === 0x5b) {
      const out: LosslessValue[] = [];
      i = skipWs(text, i + 1);
      while (text.charCodeAt(i) !== 0x5d) {
        out.push(value());
        i = skipWs(text, i);
        if (text.charCodeAt(i) === 0x2c) i = skipWs(text, i + 1);
        else if (text.charCodeAt(i) !== 0x5d) throw new SyntaxError(`expected , or ] at ${i}`);
      }
      i++;
      return out;
    }
    const end = skipValue(text, i);
    const token = text.slice(i, end);
    i = end;
    if (c === 0x22) return JSON.parse(token) as string;
    if (token === "true") return true;
    if (token === "false") return false;
    if (token === "null") return null;
    if (!/^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/.test(token)) throw new SyntaxError(`unexpected token '${token.slice(0, 20)}' at ${i - token.length}`);
    return new LosslessNumber(token);
  };
  const out = value();
  if (skipWs(text, i) !== text.length) throw new SyntaxError(`unexpected text after the value at ${i}`);
  return out;
}

/** JSON text of a lossless value (numbers written as their source text). */
export function stringifyLossless(value: LosslessValue): string {
  if (value instanceof LosslessNumber) return value.text;
  if (Array.isArray(value)) return `[${value.map(stringifyLossless).join(",")}]`;
  if (value !== null && typeof value === "object") {
    return `{${Object.entries(value)
      .map(([k, v]) => `${JSON.stringify(k)}:${stringifyLossless(v)}`)
      .join(",")}}`;
  }
  return JSON.stringify(value);
}

/**
 * The exact decimal value of a JSON number as [sign, digits, exponent] with no leading/trailing zeros in digits:
 * `1.10`, `1.1` and `11e-1` are equal. Used to compare numbers without going through a double.
 */
export function canonicalDecimal(text: string): string {
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(text.trim());
  if (!m) return text;
  let digits = (m[2] ?? "") + (m[3] ?? "");
  let exp = Number(m[4] ?? 0) - (m[3] ?? "").length;
  digits = digits.replace(/^0+/, "");
  if (digits === "") return "0";
  while (digits.endsWith("0")) {
    digits = digits.slice(0, -1);
    exp++;
  }
  return `${m[1]}${digits}e${exp}`;
}
