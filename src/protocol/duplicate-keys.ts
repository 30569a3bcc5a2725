import { hasBackslash, skipString, skipValue, skipWs } from "./json-scan.js";

/**
 * Duplicate keys in a JSON object text (`{"name":"a","name":"b"}`, at any depth). JSON.parse keeps the last value,
 * DuckDB refuses the text, JSON readers disagree: such a record is invalid (docs/validation.md).
 *
 * The exact scan (`duplicateKeyPath`) costs most of a JSON.parse, so every record first goes through a count that
 * proves "no duplicate" from facts at hand: in valid JSON every string token (key or string value) has exactly two
 * quote characters not escaped by a backslash (a quote inside a string is `\"`, preceded by an odd run of
 * backslashes; `\u0022` is no quote at all), and a parsed object holds one string per token of its text unless a
 * duplicate key dropped the earlier key with its value. So: unescaped quotes = 2 × the parsed strings exactly when
 * the text has no duplicate key; only a text that fails the count is scanned.
 */

/** Keys plus string values of a parsed JSON value (iterative: values may be nested a million levels deep). */
export function stringCount(value: unknown): number {
  let n = 0;
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const v = pending.pop();
    if (typeof v === "string") n++;
    else if (Array.isArray(v)) {
      for (const item of v) {
        if (typeof item === "string") n++;
        else if (typeof item === "object" && item !== null) pending.push(item);
      }
    } else if (typeof v === "object" && v !== null) {
      const o = v as Record<string, unknown>;
      for (const key in o) {
        n++;
        const item = o[key];
        if (typeof item === "string") n++;
        else if (typeof item === "object" && item !== null) pending.push(item);
      }
    }
  }
  return n;
}

/** Quote characters of a JSON text that delimit strings (not `\"`): twice its string tokens. */
export function delimiterQuotes(s: string): number {
  let n = 0;
  for (let q = s.indexOf('"'); q !== -1; q = s.indexOf('"', q + 1)) {
    if (s.charCodeAt(q - 1) !== 0x5c) {
      n++;
      continue;
    }
    let backslashes = 1;
    for (let k = q - 2; s.charCodeAt(k) === 0x5c; k--) backslashes++;
    if (backslashes % 2 === 0) n++;
  }
  return n;
}

/** Bytes are copied here (a 4-aligned buffer) and read 4 at a time. */
let scratch = new Uint8Array(1 << 16);
let words = new Uint32Array(scratch.buffer);

/** 0x80 in each byte lane of `x` that is zero, 0 elsewhere (exact: no borrow between lanes). */
function zeroLanes(x: number): number {
  return ~(((x & 0x7f7f7f7f) + 0x7f7f7f7f) | x | 0x7f7f7f7f);
}

/**
 * delimiterQuotes of a text from its UTF-8 bytes (0x22 and 0x5c never occur inside a multi-byte character), four
 * bytes per step: about a fifth of a JSON.parse where the string walk would cost half. Only a text holding a
 * backslash has its escaped quotes counted (on the text) and taken off.
 */
export function delimiterQuotesOfBytes(bytes: Uint8Array, text: string): number {
  const n = bytes.length;
  if (n + 4 > scratch.length) {
    // A whole number of 32-bit words, or the Uint32Array view cannot be made.
    scratch = new Uint8Array((2 * (n + 4) + 3) & ~3);
    words = new Uint32Array(scratch.buffer);
  }
  scratch.set(bytes);
  scratch[n] = 0;
  scratch[n + 1] = 0;
  scratch[n + 2] = 0;
  const count = (n + 3) >>> 2;
  let quotes = 0;
  let backslashes = 0;
  for (let i = 0; i < count; i++) {
    const w = words[i]!;
    // A lane of 0x80 per quote, summed by one multiplication into the top byte.
    quotes += Math.imul(zeroLanes(w ^ 0x22222222) >>> 7, 0x01010101) >>> 24;
    backslashes |= zeroLanes(w ^ 0x5c5c5c5c);
  }
  return backslashes === 0 ? quotes : quotes - escapedQuotes(text);
}

/** Quotes inside strings (`\"` after an even run of backslashes before it). */
function escapedQuotes(s: string): number {
  let n = 0;
  for (let q = s.indexOf('\\"'); q !== -1; q = s.indexOf('\\"', q + 2)) {
    let run = 1;
    for (let k = q - 1; s.charCodeAt(k) === 0x5c; k--) run++;
    if (run % 2 === 1) n++;
  }
  return n;
}

/**
 * Whether a JSON text (known valid) may hold a duplicate key: false proves it has none. `strings` is the number of
 * strings its parsed value holds (stringCount, plus those of any parsed envelope the text also holds); `bytes`,
 * when at hand, are the text's UTF-8 bytes (counted faster).
 */
export function mayHaveDuplicateKey(text: string, strings: number, bytes?: Uint8Array): boolean {
  return (bytes === undefined ? delimiterQuotes(text) : delimiterQuotesOfBytes(bytes, text)) !== 2 * strings;
}

interface Frame {
  /** An object's keys so far; undefined for an array. */
  keys: Set<string> | undefined;
  /** The current key (object) or index (array). */
  at: string;
  index: number;
}

/**
 * The path (keys and array indices) of the first key sent twice in one object of a JSON text known to be valid
 * (JSON.parse accepted it), or undefined. Keys are compared decoded (`"n\u0061me"` is `"name"`). Iterative.
 */
export function duplicateKeyPath(s: string): string[] | undefined {
  const stack: Frame[] = [];
  let i = skipWs(s, 0);
  for (;;) {
    // i is at a value.
    const c = s.charCodeAt(i);
    let opened = false;
    if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      const frame: Frame = { keys: c === 0x7b ? new Set() : undefined, at: "0", index: 0 };
      i = skipWs(s, i + 1);
      const empty = s.charCodeAt(i) === (c === 0x7b ? 0x7d : 0x5d);
      if (empty) i++;
      else {
        stack.push(frame);
        opened = true;
        if (frame.keys) {
          i = readKey(s, i, frame);
          if (i < 0) return pathOf(stack);
        }
      }
    } else i = skipValue(s, i);
    if (opened) continue;
    // After a value: a comma (next member) or closing brackets.
    for (;;) {
      const top = stack[stack.length - 1];
      if (top === undefined) return undefined;
      i = skipWs(s, i);
      if (s.charCodeAt(i) === 0x2c /* , */) {
        i = skipWs(s, i + 1);
        if (top.keys) {
          i = readKey(s, i, top);
          if (i < 0) return pathOf(stack);
        } else top.at = String(++top.index);
        break;
      }
      stack.pop();
      i++;
    }
  }
}

/** Reads `"key":` at i into the frame; returns the index of the value, or -1 when the key was seen before. */
function readKey(s: string, i: number, frame: Frame): number {
  const end = skipString(s, i);
  const key = hasBackslash(s, i + 1, end - 1) ? (JSON.parse(s.slice(i, end)) as string) : s.slice(i + 1, end - 1);
  frame.at = key;
  if (frame.keys!.has(key)) return -1;
  frame.keys!.add(key);
  return skipWs(s, skipWs(s, end) + 1);
}

function pathOf(stack: Frame[]): string[] {
  return stack.map((f) => f.at);
}

/**
 * The first duplicate key's path in a record's text, or undefined. `strings`: the strings of everything parsed from
 * `text` (the record, plus the envelope when `text` is the whole input line); `recordText` finds the record's own
 * text when `text` is the line, so a duplicate in the envelope alone (which JSON.parse resolved) passes.
 */
export function duplicateKey(text: string, strings: number, recordText: () => string | undefined, bytes?: Uint8Array): string[] | undefined {
  if (!mayHaveDuplicateKey(text, strings, bytes)) return undefined;
  const own = recordText();
  return own === undefined ? undefined : duplicateKeyPath(own);
}
