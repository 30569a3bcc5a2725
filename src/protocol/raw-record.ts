/**
 * Finds the exact source text of a top-level field's value in a JSON object line, so the record can be written
 * "as sent" (JSON.parse would round 99999999999999999 and re-serialising costs time). The line is known to be
 * valid JSON (JSON.parse accepted it) which keeps this scanner small. The last occurrence wins, as in JSON.parse.
 * It runs once per record: strings are skipped with indexOf, keys are compared in place (no slice per key).
 */
export function rawFieldText(line: string, field: string): string | undefined {
  const range = rawFieldRange(line, field);
  return range === undefined ? undefined : line.slice(range.start, range.end);
}

/**
 * Where the value of a top-level field lies in a JSON object text (`text.slice(start, end)` is the value's exact
 * source); the last occurrence wins, as in JSON.parse. Used to change one field and keep every other byte.
 */
export function rawFieldRange(line: string, field: string): { start: number; end: number } | undefined {
  let i = skipWs(line, 0);
  if (line.charCodeAt(i) !== 0x7b /* { */) return undefined;
  i = skipWs(line, i + 1);
  let start = -1;
  let end = -1;
  while (i < line.length && line.charCodeAt(i) !== 0x7d /* } */) {
    const keyEnd = skipString(line, i);
    const matches = keyEquals(line, i + 1, keyEnd - 1, field);
    i = skipWs(line, keyEnd);
    i = skipWs(line, i + 1); // the colon
    const valueEnd = skipValue(line, i);
    if (matches) {
      start = i;
      end = valueEnd;
    }
    i = skipWs(line, valueEnd);
    if (line.charCodeAt(i) === 0x2c /* , */) i = skipWs(line, i + 1);
  }
  return start === -1 ? undefined : { start, end };
}

function keyEquals(line: string, from: number, to: number, field: string): boolean {
  if (to - from === field.length && line.startsWith(field, from)) return true;
  // A key spelled with escapes ("rec\u006frd") is rare: decode only then.
  return line.indexOf("\\", from) !== -1 && line.indexOf("\\", from) < to && JSON.parse(line.slice(from - 1, to + 1)) === field;
}

function skipWs(s: string, i: number): number {
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) break;
    i++;
  }
  return i;
}

/** i points at the opening quote; returns the index after the closing quote. */
function skipString(s: string, i: number): number {
  let j = i + 1;
  for (;;) {
    const q = s.indexOf('"', j);
    if (q === -1) return s.length;
    if (s.charCodeAt(q - 1) !== 0x5c) return q + 1;
    let backslashes = 1;
    for (let k = q - 2; s.charCodeAt(k) === 0x5c; k--) backslashes++;
    if (backslashes % 2 === 0) return q + 1;
    j = q + 1;
  }
}

function skipValue(s: string, i: number): number {
  const c = s.charCodeAt(i);
  if (c === 0x22) return skipString(s, i);
  if (c === 0x7b || c === 0x5b) return skipNested(s, i);
  let j = i;
  while (j < s.length) {
    const d = s.charCodeAt(j);
    if (d === 0x2c || d === 0x7d || d === 0x5d || d === 0x20 || d === 0x09 || d === 0x0a || d === 0x0d) break;
    j++;
  }
  return j;
}

/** Character classes for skipNested: 1 quote, 2 opening bracket, 3 closing bracket, 0 anything else. */
const CLASS = new Uint8Array(128);
CLASS[0x22] = 1;
CLASS[0x7b] = 2;
CLASS[0x5b] = 2;
CLASS[0x7d] = 3;
CLASS[0x5d] = 3;

/** An object or array: only quotes and brackets matter; strings are jumped over with indexOf. */
function skipNested(s: string, i: number): number {
  let depth = 0;
  let j = i;
  const n = s.length;
  while (j < n) {
    const d = s.charCodeAt(j);
    const kind = d < 128 ? (CLASS[d] as number) : 0;
    if (kind === 0) {
      j++;
      continue;
    }
    if (kind === 1) {
      j = skipString(s, j);
      continue;
    }
    if (kind === 2) depth++;
    else if (--depth === 0) return j + 1;
    j++;
  }
  return j;
}
