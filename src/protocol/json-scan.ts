/**
 * Skipping over JSON text that is known to be valid (JSON.parse accepted it), without parsing it: the building
 * blocks of raw-record.ts and lossless-json.ts. Strings are jumped over with indexOf; inside objects and arrays only
 * quotes and brackets are looked at. Each function takes an index and returns the index just after what it skipped.
 */

export function skipWs(s: string, i: number): number {
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) break;
    i++;
  }
  return i;
}

/**
 * Whether s[from, to) holds a backslash: a key spelled with escapes. Only the key is looked at (an indexOf from
 * `from` would run on through the rest of the text whenever the key has none, i.e. almost always).
 */
export function hasBackslash(s: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (s.charCodeAt(i) === 0x5c) return true;
  return false;
}

/** i points at the opening quote; returns the index after the closing quote. */
export function skipString(s: string, i: number): number {
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

/** Returns the index just after the value starting at i. */
export function skipValue(s: string, i: number): number {
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
