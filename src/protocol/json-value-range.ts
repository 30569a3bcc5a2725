// Finds a value inside JSON text by its path without parsing the rest: nullify rewrites just that value, and the exact
// number checks read just its digits.
import { hasBackslash, skipString, skipValue, skipWs } from "./json-scan.js";

/** Where the value at `path` lies in the JSON text (the last of a repeated name, as JSON.parse), or undefined. */
export function valueRange(text: string, path: readonly string[]): { start: number; end: number } | undefined {
  let start = skipWs(text, 0);
  let end = skipValue(text, start);
  for (const part of path) {
    const c = text.charCodeAt(start);
    const found = c === 0x7b ? memberIn(text, start, part) : c === 0x5b ? itemIn(text, start, Number(part)) : undefined;
    if (!found) return undefined;
    ({ start, end } = found);
  }
  return { start, end };
}

function memberIn(text: string, from: number, name: string): { start: number; end: number } | undefined {
  let i = skipWs(text, from + 1);
  let found: { start: number; end: number } | undefined;
  while (i < text.length && text.charCodeAt(i) !== 0x7d) {
    const keyEnd = skipString(text, i);
    const key = hasBackslash(text, i + 1, keyEnd - 1) ? (JSON.parse(text.slice(i, keyEnd)) as string) : text.slice(i + 1, keyEnd - 1);
    i = skipWs(text, skipWs(text, keyEnd) + 1);
    const end = skipValue(text, i);
    if (key === name) found = { start: i, end };
    i = skipWs(text, end);
    if (text.charCodeAt(i) === 0x2c) i = skipWs(text, i + 1);
  }
  return found;
}

function itemIn(text: string, from: number, index: number): { start: number; end: number } | undefined {
  let i = skipWs(text, from + 1);
  for (let k = 0; i < text.length && text.charCodeAt(i) !== 0x5d; k++) {
    const end = skipValue(text, i);
    if (k === index) return { start: i, end };
    i = skipWs(text, end);
    if (text.charCodeAt(i) === 0x2c) i = skipWs(text, i + 1);
  }
  return undefined;
}
