/**
 * Finds the exact source text of a top-level field's value in a JSON object line, so the record can be written
 * "as sent" (JSON.parse would round 99999999999999999 and re-serialising costs time). The line is known to be
 * valid JSON (JSON.parse accepted it) which keeps this scanner small. The last occurrence wins, as in JSON.parse.
 */
export function rawFieldText(line: string, field: string): string | undefined {
  let i = skipWs(line, 0);
  if (line.charCodeAt(i) !== 0x7b /* { */) return undefined;
  i = skipWs(line, i + 1);
  let found: string | undefined;
  while (i < line.length && line.charCodeAt(i) !== 0x7d /* } */) {
    const keyEnd = skipString(line, i);
    const key = line.slice(i + 1, keyEnd - 1);
    i = skipWs(line, keyEnd);
    i = skipWs(line, i + 1); // the colon
    const valueEnd = skipValue(line, i);
    if (key === field || (key.includes("\\") && JSON.parse(`"${key}"`) === field)) found = line.slice(i, valueEnd);
    i = skipWs(line, valueEnd);
    if (line.charCodeAt(i) === 0x2c /* , */) i = skipWs(line, i + 1);
  }
  return found;
}

/**
 * Where the value of a top-level field lies in a JSON object text (`text.slice(start, end)` is the value's exact
 * source); the last occurrence wins, as in JSON.parse. Used to change one field and keep every other byte.
 */
export function rawFieldRange(line: string, field: string): { start: number; end: number } | undefined {
  let i = skipWs(line, 0);
  if (line.charCodeAt(i) !== 0x7b /* { */) return undefined;
  i = skipWs(line, i + 1);
  let found: { start: number; end: number } | undefined;
  while (i < line.length && line.charCodeAt(i) !== 0x7d /* } */) {
    const keyEnd = skipString(line, i);
    const key = line.slice(i + 1, keyEnd - 1);
    i = skipWs(line, keyEnd);
    i = skipWs(line, i + 1); // the colon
    const valueEnd = skipValue(line, i);
    if (key === field || (key.includes("\\") && JSON.parse(`"${key}"`) === field)) found = { start: i, end: valueEnd };
    i = skipWs(line, valueEnd);
    if (line.charCodeAt(i) === 0x2c /* , */) i = skipWs(line, i + 1);
  }
  return found;
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
    let backslashes = 0;
    for (let k = q - 1; s.charCodeAt(k) === 0x5c; k--) backslashes++;
    if (backslashes % 2 === 0) return q + 1;
    j = q + 1;
  }
}

function skipValue(s: string, i: number): number {
  const c = s.charCodeAt(i);
  if (c === 0x22) return skipString(s, i);
  if (c === 0x7b || c === 0x5b) {
    let depth = 0;
    let j = i;
    while (j < s.length) {
      const d = s.charCodeAt(j);
      if (d === 0x22) {
        j = skipString(s, j);
        continue;
      }
      if (d === 0x7b || d === 0x5b) depth++;
      else if (d === 0x7d || d === 0x5d) {
        depth--;
        if (depth === 0) return j + 1;
      }
      j++;
    }
    return j;
  }
  let j = i;
  while (j < s.length) {
    const d = s.charCodeAt(j);
    if (d === 0x2c || d === 0x7d || d === 0x5d || d === 0x20 || d === 0x09 || d === 0x0a || d === 0x0d) break;
    j++;
  }
  return j;
}
