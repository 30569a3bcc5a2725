import type { JsonSchema } from "../protocol/singer.js";

/**
 * What a property becomes. `json` keeps the value as JSON text (objects, arrays, unions, untyped). `epoch-ms` is an
 * integer of milliseconds since 1970 that Parquet and Avro type as a UTC timestamp in milliseconds (Airbyte's
 * `_airbyte_extracted_at`); text formats keep the integer.
 */
export type ColumnKind = "integer" | "epoch-ms" | "number" | "decimal" | "boolean" | "string" | "date-time" | "date" | "time" | "json" | "struct" | "list";

/** Marks an integer property as `epoch-ms`: a symbol, so only the target's own columns carry it, never a tap's schema. */
const EPOCH_MS = Symbol("epoch-ms");

/** The schema of an integer property written as `epoch-ms`. */
export function epochMillis(schema: JsonSchema): JsonSchema {
  return Object.assign({ ...schema }, { [EPOCH_MS]: true });
}

function isEpochMillis(schema: JsonSchema): boolean {
  return (schema as Record<symbol, unknown>)[EPOCH_MS] === true;
}

/** A node of the typed tree DuckDB reads a record with (STRUCT fields mirror the record's nesting). */
export interface TypeNode {
  kind: ColumnKind;
  /** Children by property name, for `struct` (nested typed object) and flattened objects. */
  fields?: Map<string, TypeNode>;
  /** Item type, for `list`. */
  items?: TypeNode;
  /** For `decimal`. */
  precision?: number;
  scale?: number;
}

/** An output column: where its value sits in the record and what it is called in the file. */
export interface Column {
  name: string;
  path: string[];
  node: TypeNode;
}

export interface ColumnOptions {
  flatten: boolean;
  flattenMaxDepth: number;
  nestedTypes: "struct" | "json";
  headerFormat: "upper" | "lower" | null;
}

/** Thrown when two properties end up with one column name; the caller adds the stream and line. */
export class ColumnCollisionError extends Error {}

const STRING_FORMATS: Record<string, ColumnKind> = { "date-time": "date-time", date: "date", time: "time" };

/** The type tree of one property schema. Pure; unit-tested. */
export function typeOf(schema: unknown, nestedTypes: "struct" | "json"): TypeNode {
  if (typeof schema !== "object" || schema === null) return { kind: "json" };
  const s = schema as JsonSchema;
  const types = typeNames(s);
  if (types.length === 0) {
    const branches = s["anyOf"] ?? s["oneOf"];
    if (Array.isArray(branches) && branches.length > 0) return unionOf(branches, nestedTypes);
    return { kind: "json" };
  }
  if (types.length > 1) {
    return types.every((t) => t === "integer" || t === "number") ? { kind: "number" } : { kind: "json" };
  }
  switch (types[0]) {
    case "integer":
      return { kind: isEpochMillis(s) ? "epoch-ms" : "integer" };
    case "number":
      return numberType(s);
    case "boolean":
      return { kind: "boolean" };
    case "string":
      return { kind: STRING_FORMATS[String(s["format"])] ?? "string" };
    case "object":
      return nestedTypes === "struct" ? structOf(s, nestedTypes) : { kind: "json" };
    case "array":
      return nestedTypes === "struct" ? listOf(s, nestedTypes) : { kind: "json" };
    default:
      return { kind: "json" };
  }
}

function typeNames(s: JsonSchema): string[] {
  const t = s["type"];
  const list = typeof t === "string" ? [t] : Array.isArray(t) ? t.filter((x): x is string => typeof x === "string") : [];
  return list.filter((x) => x !== "null");
}

/** `multipleOf: 0.01` (a power of ten) declares a fixed scale: DECIMAL(38, 2) keeps every digit. */
function numberType(s: JsonSchema): TypeNode {
  const scale = decimalScale(s);
  return scale === undefined ? { kind: "number" } : { kind: "decimal", precision: DECIMAL_PRECISION, scale };
}

export const DECIMAL_PRECISION = 38;

/** The scale of the DECIMAL column a number schema becomes (`multipleOf` 1e-1 … 1e-18), else undefined (DOUBLE). */
export function decimalScale(s: JsonSchema): number | undefined {
  const m = s["multipleOf"];
  if (typeof m === "number" && m > 0 && m < 1) {
    const scale = Math.round(-Math.log10(m));
    if (scale > 0 && scale <= 18 && Math.abs(Math.pow(10, -scale) - m) < 1e-15) return scale;
  }
  return undefined;
}

function unionOf(branches: unknown[], nestedTypes: "struct" | "json"): TypeNode {
  const kinds = branches
    .filter((b) => !(typeof b === "object" && b !== null && typeNames(b as JsonSchema).length === 0 && (b as JsonSchema)["type"] === "null"))
    .map((b) => typeOf(b, "json").kind);
  if (kinds.length === 0) return { kind: "json" };
  if (kinds.every((k) => k === kinds[0]) && kinds[0] !== undefined)
    return typeOf(
      branches.find((b) => typeOf(b, "json").kind === kinds[0]),
      nestedTypes,
    );
  if (kinds.every((k) => k === "string" || k === "date-time" || k === "date" || k === "time")) return { kind: "string" };
  if (kinds.every((k) => k === "integer" || k === "number")) return { kind: "number" };
  return { kind: "json" };
}

/** A STRUCT only when every property is declared; an object with loose or no properties stays JSON. */
function structOf(s: JsonSchema, nestedTypes: "struct" | "json"): TypeNode {
  const props = s["properties"];
  if (typeof props !== "object" || props === null || Object.keys(props).length === 0) return { kind: "json" };
  if (s["additionalProperties"] !== false && s["additionalProperties"] !== undefined) return { kind: "json" };
  const fields = new Map<string, TypeNode>();
  for (const [name, prop] of Object.entries(props as Record<string, unknown>)) fields.set(name, typeOf(prop, nestedTypes));
  // A field named "" cannot be a STRUCT field (DuckDB has no empty identifier): the object stays JSON, like a collision.
  if (hasCaseCollision([...fields.keys()]) || fields.has("")) return { kind: "json" };
  return { kind: "struct", fields };
}

function listOf(s: JsonSchema, nestedTypes: "struct" | "json"): TypeNode {
  const items = s["items"];
  if (typeof items !== "object" || items === null || Array.isArray(items)) return { kind: "json" };
  const node = typeOf(items, nestedTypes);
  return node.kind === "json" ? { kind: "json" } : { kind: "list", items: node };
}

/** DuckDB identifiers (and STRUCT field names) are case-insensitive: `Id` and `id` cannot share one STRUCT. */
export function hasCaseCollision(names: string[]): boolean {
  const seen = new Set<string>();
  for (const n of names) {
    const k = n.toLowerCase();
    if (seen.has(k)) return true;
    seen.add(k);
  }
  return false;
}

/** The output columns of a stream schema, in schema order: flattened, cased, collision-checked. */
export function columnsOf(properties: Record<string, unknown>, options: ColumnOptions): Column[] {
  const columns: Column[] = [];
  const walk = (props: Record<string, unknown>, path: string[], depth: number): void => {
    for (const [name, prop] of Object.entries(props)) {
      if (name === "")
        throw new ColumnCollisionError(`a property named "" (empty) cannot be a column in any file format: rename it in the tap, or drop it with a stream map`);
      const childPath = [...path, name];
      const nested = flattenable(prop);
      if (options.flatten && nested && depth < options.flattenMaxDepth) {
        walk(nested, childPath, depth + 1);
        continue;
      }
      columns.push({ name: childPath.join("__"), path: childPath, node: typeOf(prop, options.nestedTypes) });
    }
  };
  walk(properties, [], 0);
  return applyHeaderFormat(capNestedWidth(columns), options.headerFormat);
}

/**
 * DuckDB's Parquet writer buffers every leaf of a STRUCT/LIST column (~16 KB each at least), so a schema with
 * thousands of nested leaves (tap_aapl.singer: ~23,700) runs out of memory_limit. Past this many leaf columns the
 * widest nested columns are written as JSON instead, widest first.
 */
export const MAX_LEAF_COLUMNS = 1000;

function capNestedWidth(columns: Column[]): Column[] {
  const widths = columns.map((c) => leafCount(c.node));
  let total = widths.reduce((a, b) => a + b, 0);
  if (total <= MAX_LEAF_COLUMNS) return columns;
  const out = [...columns];
  const widest = out
    .map((_, i) => i)
    .filter((i) => widths[i]! > 1)
    .sort((a, b) => widths[b]! - widths[a]!);
  for (const i of widest) {
    if (total <= MAX_LEAF_COLUMNS) break;
    out[i] = { ...out[i]!, node: { kind: "json" } };
    total -= widths[i]! - 1;
  }
  return out;
}

function leafCount(node: TypeNode): number {
  if (node.kind === "list") return leafCount(node.items ?? { kind: "json" });
  if (node.kind !== "struct") return 1;
  let n = 0;
  for (const child of node.fields?.values() ?? []) n += leafCount(child);
  return Math.max(n, 1);
}

function flattenable(prop: unknown): Record<string, unknown> | undefined {
  if (typeof prop !== "object" || prop === null) return undefined;
  const s = prop as JsonSchema;
  if (!typeNames(s).includes("object")) return undefined;
  const props = s["properties"];
  return typeof props === "object" && props !== null && Object.keys(props).length > 0 ? (props as Record<string, unknown>) : undefined;
}

function applyHeaderFormat(columns: Column[], format: "upper" | "lower" | null): Column[] {
  const out = columns.map((c) => ({ ...c, name: format === "upper" ? c.name.toUpperCase() : format === "lower" ? c.name.toLowerCase() : c.name }));
  const byName = new Map<string, Column>();
  for (const c of out) {
    // Case-insensitive: DuckDB (and most warehouses) cannot hold `Id` and `id` as two columns.
    const key = c.name.toLowerCase();
    const other = byName.get(key);
    if (other) {
      throw new ColumnCollisionError(
        `properties '${other.path.join(".")}' and '${c.path.join(".")}' both become column '${c.name}'` +
          (format ? ` after column_header_format=${format}` : "") +
          ": rename one in the tap, or change column_header_format / flattening",
      );
    }
    byName.set(key, c);
  }
  return out;
}
