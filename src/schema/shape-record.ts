import type { Column, TypeNode } from "./columns.js";
import { objectFields } from "./lossless-json.js";
import { hasBackslash, skipString, skipValue, skipWs } from "../protocol/json-scan.js";

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
 * Undefined when the columns need no rewriting. Values nested inside STRUCT/LIST columns are rewritten too.
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

interface RewriteNode {
  /** decimal/json as for top-level columns; date-time only nested (top-level ones are cast in SQL). */
  kind?: "decimal" | "json" | "date-time";
  children: Map<string, RewriteNode>;
  /** `children` as an array: keys are compared in place, in the source text, without slicing each one. */
  list: Array<[string, RewriteNode]>;
  /** For a LIST column: how each element is rewritten. */
  items?: RewriteNode;
}

/** Rewrites a record's source text; `inLine` finds the record in a Singer line and rewrites it there (one pass). */
export interface ExactTextRewriter {
  (rawText: string): string;
  /** The rewritten text of the line's top-level `record` object (the last one, as JSON.parse), or undefined. */
  inLine(line: string): string | undefined;
}

/**
 * The rewriting of one value of a column's type, or undefined when nothing in it needs rewriting. Inside a
 * STRUCT or LIST, DECIMAL and JSON values are quoted as at the top level (DuckDB casts the string exactly;
 * projection.ts reads nested JSON as VARCHAR and casts it back), and date-times are made ones DuckDB's
 * TIMESTAMPTZ reader takes (upper-case T and Z, seconds added): at the top level SQL does that (projection.ts).
 */
function nodeFor(type: TypeNode, nested: boolean): RewriteNode | undefined {
  if (type.kind === "decimal" || type.kind === "json") return { kind: type.kind, children: new Map(), list: [] };
  if (type.kind === "date-time") return nested ? { kind: "date-time", children: new Map(), list: [] } : undefined;
  if (type.kind === "list") {
    const items = nodeFor(type.items ?? { kind: "json" }, true);
    return items ? { children: new Map(), list: [], items } : undefined;
  }
  if (type.kind !== "struct") return undefined;
  const node: RewriteNode = { children: new Map(), list: [] };
  for (const [name, field] of type.fields ?? []) {
    const child = nodeFor(field, true);
    if (child) {
      node.children.set(name, child);
      node.list.push([name, child]);
    }
  }
  return node.list.length > 0 ? node : undefined;
}

export function exactTextRewriter(columns: Column[]): ExactTextRewriter | undefined {
  const root: RewriteNode = { children: new Map(), list: [] };
  let any = false;
  for (const c of columns) {
    const rewrite = nodeFor(c.node, false);
    if (!rewrite) continue;
    let at = root;
    for (const part of c.path.slice(0, -1)) {
      let next = at.children.get(part);
      if (!next) {
        next = { children: new Map(), list: [] };
        at.children.set(part, next);
        at.list.push([part, next]);
      }
      at = next;
    }
    const last = c.path[c.path.length - 1]!;
    at.children.set(last, rewrite);
    at.list.push([last, rewrite]);
    any = true;
  }
  if (!any) return undefined;
  const rewriter = ((rawText: string) => rewriteValue(rawText, root)) as ExactTextRewriter;
  rewriter.inLine = (line) => recordInLine(line, root);
  return rewriter;
}

/** A date-time DuckDB cannot read as TIMESTAMPTZ: lower-case t or z, or no seconds (HH:MM then end or offset). */
const LOOSE_DATE_TIME = /^"(\d{4}-\d{2}-\d{2})([Tt ])(\d{2}:\d{2})(:\d{2}(?:\.\d+)?)?([Zz]|[+-]\d{2}(?::?\d{2})?)?"$/;

function normalDateTime(text: string): string {
  const m = LOOSE_DATE_TIME.exec(text);
  if (!m || (m[4] !== undefined && m[2] !== "t" && m[5] !== "z")) return text;
  return `"${m[1]}T${m[3]}${m[4] ?? ":00"}${(m[5] ?? "").toUpperCase()}"`;
}

function rewriteValue(text: string, node: RewriteNode): string {
  if (node.kind === "json") return text === "null" || keepsAsIs(text) ? text : JSON.stringify(text);
  if (node.kind === "decimal") return /^-?\d/.test(text) ? `"${text}"` : text;
  if (node.kind === "date-time") return normalDateTime(text);
  const from = skipWs(text, 0);
  if (node.items) return text.charCodeAt(from) === 0x5b /* [ */ ? rewriteArray(text, from, node.items) : text;
  if (text.charCodeAt(from) !== 0x7b /* { */) return text;
  return rewriteObject(text, from, node).text ?? text;
}

/** The array starting at `from`, each element rewritten per `items`. */
function rewriteArray(text: string, from: number, items: RewriteNode): string {
  let i = skipWs(text, from + 1);
  let out = "";
  let copied = from;
  while (i < text.length && text.charCodeAt(i) !== 0x5d /* ] */) {
    const end = skipValue(text, i);
    const value = text.slice(i, end);
    const replaced = rewriteValue(value, items);
    if (replaced !== value) {
      out += text.slice(copied, i) + replaced;
      copied = end;
    }
    i = skipWs(text, end);
    if (text.charCodeAt(i) === 0x2c /* , */) i = skipWs(text, i + 1);
  }
  return copied === from ? text.slice(from, i + 1) : out + text.slice(copied, i + 1);
}

/**
 * The object starting at `from` in `text` with its members' values rewritten per `node` (only the values that
 * change are replaced; every other byte is copied as it is): `text` undefined when nothing changed, `end` the
 * index after its closing brace.
 */
function rewriteObject(text: string, from: number, node: RewriteNode): { text: string | undefined; end: number } {
  let i = skipWs(text, from + 1);
  let out = "";
  let copied = from;
  while (i < text.length && text.charCodeAt(i) !== 0x7d /* } */) {
    const keyEnd = skipString(text, i);
    const child = childAt(node, text, i + 1, keyEnd - 1);
    i = skipWs(text, skipWs(text, keyEnd) + 1); // past the colon
    const end = skipValue(text, i);
    if (child) {
      const value = text.slice(i, end);
      const replaced = rewriteValue(value, child);
      if (replaced !== value) {
        out += text.slice(copied, i) + replaced;
        copied = end;
      }
    }
    i = skipWs(text, end);
    if (text.charCodeAt(i) === 0x2c /* , */) i = skipWs(text, i + 1);
  }
  const end = i + 1;
  return { text: copied === from ? undefined : out + text.slice(copied, end), end };
}

/** The child for the key between `from` and `to` (its source text, without quotes). */
function childAt(node: RewriteNode, text: string, from: number, to: number): RewriteNode | undefined {
  const length = to - from;
  for (const [name, child] of node.list) if (name.length === length && text.startsWith(name, from)) return child;
  // A key spelled with escapes ("pr\u0069ce") is rare: decode only then.
  return hasBackslash(text, from, to) ? node.children.get(JSON.parse(text.slice(from - 1, to + 1)) as string) : undefined;
}

/** Undefined when the line is not a plain case (a key spelled with escapes, a record that is not an object). */
function recordInLine(line: string, root: RewriteNode): string | undefined {
  let i = skipWs(line, 0);
  if (line.charCodeAt(i) !== 0x7b /* { */) return undefined;
  i = skipWs(line, i + 1);
  let record: string | undefined;
  while (i < line.length && line.charCodeAt(i) !== 0x7d /* } */) {
    const keyEnd = skipString(line, i);
    if (hasBackslash(line, i + 1, keyEnd - 1)) return undefined;
    const isRecord = keyEnd - i === 8 && line.startsWith("record", i + 1);
    i = skipWs(line, skipWs(line, keyEnd) + 1); // past the colon
    let end: number;
    if (isRecord) {
      if (line.charCodeAt(i) !== 0x7b) return undefined;
      const rewritten = rewriteObject(line, i, root);
      end = rewritten.end;
      record = rewritten.text ?? line.slice(i, end);
    } else {
      end = skipValue(line, i);
    }
    i = skipWs(line, end);
    if (line.charCodeAt(i) === 0x2c /* , */) i = skipWs(line, i + 1);
  }
  return record;
}
