import type { Column } from "./columns.js";
import { objectFieldRanges, objectFields } from "./lossless-json.js";

/**
 * For JSON formats with flattening or header casing: the members of the record rebuilt with the file's column
 * names, in schema order, as [name, value source text] pairs. Values are copied from the
 * record's source text by path, never re-serialised, so big integers and decimals keep every digit and strings
 * keep their exact escapes. A missing value (or a parent that is null or not an object) is left out, as the tap
 * left it out. Each object level is scanned once per record.
 */
export function recordShaper(columns: Column[]): (record: Record<string, unknown>, rawText: string | undefined) => Array<[string, string]> {
  return (record, rawText) => {
    const text = rawText ?? JSON.stringify(record);
    const levels = new Map<string, Map<string, string> | undefined>();
    const fieldsOf = (key: string, source: string): Map<string, string> | undefined => {
      if (levels.has(key)) return levels.get(key);
      const list = objectFields(source);
      const map = list ? new Map(list) : undefined; // a repeated name: the last wins, as in JSON.parse
      levels.set(key, map);
      return map;
    };
    const members: Array<[string, string]> = [];
    for (let k = 0; k < columns.length; k++) {
      const path = columns[k]!.path;
      let source: string | undefined = text;
      let key = "";
      for (const part of path) {
        const fields: Map<string, string> | undefined = fieldsOf(key, source);
        source = fields?.get(part);
        if (source === undefined) break;
        key += "\u0000" + part;
      }
      if (source !== undefined) members.push([columns[k]!.name, source]);
    }
    return members;
  };
}

/**
 * For CSV and Parquet (DuckDB reads the spool): DuckDB's JSON reader turns every non-integer JSON number into a
 * double before casting, so 12345678901234567.89 would reach a DECIMAL column as 12345678901234567.68 and a long
 * decimal inside a JSON column would lose digits. This rewrites the record's source text so that the values of
 * DECIMAL columns (numbers) and of JSON columns (any non-null value) arrive as JSON strings holding their exact
 * source text; DuckDB then casts the string (exact) — see projection.ts, which reads JSON columns as VARCHAR.
 * Undefined when the columns need no rewriting. Values nested inside STRUCT/LIST columns are not rewritten.
 */
/** A digit followed by `.`, `e` or `E` (a non-integer number), or 16+ digits (beyond an exact double). */
const INEXACT_NUMBER = /\d[.eE]|\d{16}/;

/**
 * An object or array without any number DuckDB could round reaches a VARCHAR column as its own JSON text, so it
 * needs no quoting (a string value always does: read as VARCHAR it would lose its quotes).
 */
function keepsAsIs(text: string): boolean {
  const c = text.charCodeAt(0);
  return (c === 0x7b || c === 0x5b) && !INEXACT_NUMBER.test(text);
}

export function exactTextRewriter(columns: Column[]): ((rawText: string) => string) | undefined {
  interface Node {
    kind?: "decimal" | "json";
    children: Map<string, Node>;
  }
  const root: Node = { children: new Map() };
  let any = false;
  for (const c of columns) {
    if (c.node.kind !== "decimal" && c.node.kind !== "json") continue;
    let at = root;
    for (const part of c.path) {
      let next = at.children.get(part);
      if (!next) at.children.set(part, (next = { children: new Map() }));
      at = next;
    }
    at.kind = c.node.kind;
    any = true;
  }
  if (!any) return undefined;
  const rewrite = (text: string, node: Node): string => {
    if (node.kind === "json") return text === "null" || keepsAsIs(text) ? text : JSON.stringify(text);
    if (node.kind === "decimal") return /^-?\d/.test(text) ? `"${text}"` : text;
    // Only the values that change are replaced; every other byte of the record is copied as it is.
    const fields = objectFieldRanges(text);
    if (!fields) return text;
    let out = "";
    let copied = 0;
    for (const { name, start, end } of fields) {
      const child = node.children.get(name);
      if (!child) continue;
      const value = text.slice(start, end);
      const replaced = rewrite(value, child);
      if (replaced === value) continue;
      out += text.slice(copied, start) + replaced;
      copied = end;
    }
    return copied === 0 ? text : out + text.slice(copied);
  };
  return (rawText) => rewrite(rawText, root);
}
