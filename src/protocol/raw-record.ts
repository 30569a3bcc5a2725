import { hasBackslash, skipValue, skipString, skipWs } from "./json-scan.js";

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
  return hasBackslash(line, from, to) && JSON.parse(line.slice(from - 1, to + 1)) === field;
}
