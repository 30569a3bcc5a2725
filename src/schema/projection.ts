import { hasCaseCollision, type Column, type TypeNode } from "./columns.js";

/** Extra columns the target adds (Singer SDK `add_record_metadata`). */
export const METADATA_COLUMNS = ["_sdc_extracted_at", "_sdc_received_at", "_sdc_batched_at", "_sdc_deleted_at", "_sdc_sequence", "_sdc_table_version"] as const;
/**
 * With add_record_metadata these `_sdc_*` columns are the target's, also where the tap sends its own (as the Singer
 * SDK does); only `_sdc_deleted_at` is the tap's.
 */
export const TARGET_METADATA_COLUMNS: readonly string[] = METADATA_COLUMNS.filter((name) => name !== "_sdc_deleted_at");

/** Field names the spool injects into each message line (see SpoolEncoder). */
export const LINE_FIELD = "__target_s3_line";
export const RECEIVED_FIELD = "__target_s3_received_ms";
/** invalid_record_policy=nullify: the record's changes (record-changes.ts) as JSON text, for `_sdc_changes`. */
export const CHANGES_FIELD = "__target_s3_changes";

export interface ProjectionOptions {
  format: "csv" | "parquet";
  metadata: boolean;
  /** Used for `_sdc_batched_at`: one instant per file. */
  batchedAt: Date;
  /** With metadata under invalid_record_policy=nullify: the `_sdc_changes` column (JSON; null when none). */
  changes?: boolean;
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export function quoteLiteral(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/** The DuckDB type of a node, as read from JSON and as written to Parquet. */
export function duckType(node: TypeNode): string {
  switch (node.kind) {
    case "integer":
    case "epoch-ms": // read as the integer; outputExpr types it in Parquet
      return "BIGINT";
    case "number":
      return "DOUBLE";
    case "decimal":
      return `DECIMAL(${node.precision ?? 38},${node.scale ?? 9})`;
    case "boolean":
      return "BOOLEAN";
    case "string":
      return "VARCHAR";
    case "date-time":
      return "TIMESTAMPTZ";
    case "date":
      return "DATE";
    case "time":
      return "TIME";
    case "struct":
      return `STRUCT(${[...(node.fields ?? new Map<string, TypeNode>()).entries()].map(([k, v]) => `${quoteIdent(k)} ${duckType(v)}`).join(", ")})`;
    case "list":
      return `${duckType(node.items ?? { kind: "json" })}[]`;
    case "json":
      return "JSON";
  }
}

interface ReadTree {
  node?: TypeNode;
  children: Map<string, ReadTree>;
}

/**
 * Past this many columns the record is read as JSON and its values picked out with one `json_extract` over a list
 * of paths: reading it as one STRUCT and selecting each field grows faster than the width (measured: 5,000
 * columns took 38 s and 1.5 GB for one row; 10,000 ran out of 2 GB), one list of 10,000 paths converts in ~4 s.
 */
export const WIDE_READ_COLUMNS = 1000;
const SCALARS = "__target_s3_scalars";
const NESTED = "__target_s3_nested";

/**
 * The `columns={...}` argument of read_ndjson for spool lines (whole Singer messages) and the SELECT list that
 * turns them into the file's columns. Types are explicit so DuckDB never guesses from the first rows.
 */
export function projectionSql(columns: Column[], options: ProjectionOptions): { readColumns: string; select: string; from: (read: string) => string } {
  const tree = readTree(columns, options.metadata);
  const wide = columns.length > WIDE_READ_COLUMNS ? wideExtraction(columns) : undefined;
  // STRUCT field names are case-insensitive in DuckDB; a record with `Id` and `id` is read as JSON and picked apart.
  const viaJson = wide !== undefined || treeHasCollision(tree);
  const recordType = viaJson ? "JSON" : structType(tree);
  // All of them even without metadata: measured, DuckDB's reader is slower when told fewer of the line's fields.
  const read: Record<string, string> = { [LINE_FIELD]: "BIGINT", [RECEIVED_FIELD]: "BIGINT", record: recordType, time_extracted: "VARCHAR", version: "JSON" };
  if (options.metadata && options.changes) read[CHANGES_FIELD] = "VARCHAR";
  const readColumns = `{${Object.entries(read)
    .map(([k, v]) => `${quoteLiteral(k)}: ${quoteLiteral(v)}`)
    .join(", ")}}`;
  const exprs = columns.flatMap((c, i) =>
    options.metadata && isTargetOwned(c.name)
      ? []
      : [`${outputExpr(wide ? wide.exprs[i]! : valueExpr(c.path, c.node, viaJson), c.node, options.format)} AS ${quoteIdent(c.name)}`],
  );
  if (options.metadata) exprs.push(...metadataExprs(columns, options, viaJson));
  return { readColumns, select: exprs.join(", "), from: wide ? wide.from : (read) => read };
}

/**
 * Wide records: two lists (scalars as text, nested values as JSON) extracted once per row, indexed per column.
 * An item of the JSON list comes back as VARCHAR, so JSON columns are cast back (Parquet marks them as JSON).
 */
function wideExtraction(columns: Column[]): { exprs: string[]; from: (read: string) => string } {
  const scalars: string[] = [];
  const nested: string[] = [];
  const exprs = columns.map((c) => {
    const path = quoteLiteral("$" + c.path.map((p) => `.${JSON.stringify(p)}`).join(""));
    const asJson = c.node.kind === "json" || c.node.kind === "struct" || c.node.kind === "list";
    const list = asJson ? nested : scalars;
    list.push(path);
    const item = `${quoteIdent(asJson ? NESTED : SCALARS)}[${list.length}]`;
    if (c.node.kind === "string") return item;
    if (c.node.kind === "date-time") return timestampFrom(item);
    return `CAST(${item} AS ${duckType(c.node)})`;
  });
  const lists = [
    ...(scalars.length > 0 ? [`json_extract_string(record, [${scalars.join(", ")}]) AS ${quoteIdent(SCALARS)}`] : []),
    ...(nested.length > 0 ? [`json_extract(record, [${nested.join(", ")}]) AS ${quoteIdent(NESTED)}`] : []),
  ];
  return { exprs, from: (read) => `(SELECT *, ${lists.join(", ")} FROM ${read})` };
}

function readTree(columns: Column[], metadata: boolean): ReadTree {
  const root: ReadTree = { children: new Map() };
  const add = (path: string[], node: TypeNode): void => {
    let at = root;
    for (const part of path) {
      let next = at.children.get(part);
      if (!next) {
        next = { children: new Map() };
        at.children.set(part, next);
      }
      at = next;
    }
    at.node = node;
  };
  for (const c of columns) add(c.path, c.node);
  if (metadata && !root.children.has("_sdc_deleted_at")) add(["_sdc_deleted_at"], { kind: "string" });
  return root;
}

function treeHasCollision(tree: ReadTree): boolean {
  if (hasCaseCollision([...tree.children.keys()])) return true;
  return [...tree.children.values()].some(treeHasCollision);
}

function structType(tree: ReadTree): string {
  const fields = [...tree.children.entries()].map(([k, child]) => `${quoteIdent(k)} ${child.node ? readType(child.node) : structType(child)}`);
  return `STRUCT(${fields.join(", ")})`;
}

/**
 * How a column is read from the spool: JSON columns as VARCHAR, because the spool line holds their exact source
 * text as a JSON string (shape-record.ts exactTextRewriter; DuckDB's JSON reader would round long decimals).
 */
function readType(node: TypeNode): string {
  return node.kind === "json" || node.kind === "date-time" ? "VARCHAR" : nestedReadType(node);
}

/** Inside a STRUCT/LIST: JSON values read as VARCHAR (their exact text), cast back by `valueExpr`. */
function nestedReadType(node: TypeNode): string {
  switch (node.kind) {
    case "json":
      return "VARCHAR";
    case "struct":
      return `STRUCT(${[...(node.fields ?? new Map<string, TypeNode>()).entries()].map(([k, v]) => `${quoteIdent(k)} ${nestedReadType(v)}`).join(", ")})`;
    case "list":
      return `${nestedReadType(node.items ?? { kind: "json" })}[]`;
    default:
      return duckType(node);
  }
}

function hasNestedJson(node: TypeNode): boolean {
  if (node.kind === "json") return true;
  if (node.kind === "list") return hasNestedJson(node.items ?? { kind: "json" });
  if (node.kind === "struct") return [...(node.fields?.values() ?? [])].some(hasNestedJson);
  return false;
}

/**
 * A date-time column's text → TIMESTAMPTZ. RFC 3339 allows a lower-case `t`/`z` and the validator accepts HH:MM
 * without seconds; DuckDB's timestamp parser takes neither (the whole file failed after validation had passed).
 */
function timestampFrom(text: string): string {
  // The direct cast takes almost every value; the rewrite (a regular expression per value) only the rest.
  const rewritten = `CAST(regexp_replace(upper(${text}), '^(\\d{4}-\\d{2}-\\d{2}[T ]\\d{2}:\\d{2})([Z+-].*)?$', '\\1:00\\2') AS TIMESTAMPTZ)`;
  return `coalesce(TRY_CAST(${text} AS TIMESTAMPTZ), ${rewritten})`;
}

function valueExpr(path: string[], node: TypeNode, viaJson: boolean): string {
  if (!viaJson) {
    const ref = ["record", ...path].map(quoteIdent).join(".");
    if (node.kind === "json") return `CAST(${ref} AS JSON)`;
    if (node.kind === "date-time") return timestampFrom(ref);
    return (node.kind === "struct" || node.kind === "list") && hasNestedJson(node) ? `CAST(${ref} AS ${duckType(node)})` : ref;
  }
  const jsonPath = quoteLiteral("$" + path.map((p) => `.${JSON.stringify(p)}`).join(""));
  if (node.kind === "json") return `json_extract(record, ${jsonPath})`;
  if (node.kind === "string") return `json_extract_string(record, ${jsonPath})`;
  if (node.kind === "date-time") return timestampFrom(`json_extract_string(record, ${jsonPath})`);
  return `CAST(json_extract${node.kind === "struct" || node.kind === "list" || node.kind === "integer" || node.kind === "epoch-ms" || node.kind === "number" || node.kind === "decimal" || node.kind === "boolean" ? "" : "_string"}(record, ${jsonPath}) AS ${duckType(node)})`;
}

/** CSV cells: ISO-8601 UTC date-times, nested values as JSON text. Parquet keeps the types. */
function outputExpr(expr: string, node: TypeNode, format: "csv" | "parquet"): string {
  // Parquet: INT64 with the Timestamp(MILLIS) logical type; parquet-concat.ts marks it adjusted to UTC.
  if (format === "parquet") return node.kind === "epoch-ms" ? `CAST(epoch_ms(${expr}) AS TIMESTAMP_MS)` : expr;
  switch (node.kind) {
    case "date-time":
      return `strftime(${expr}, '%Y-%m-%dT%H:%M:%S.%fZ')`;
    case "date":
      // DuckDB writes year 0 as "0001-01-01 (BC)"; strftime writes ISO 8601's 0000-01-01.
      return `strftime(${expr}, '%Y-%m-%d')`;
    case "struct":
    case "list":
      return `CAST(to_json(${expr}) AS VARCHAR)`;
    default:
      return expr;
  }
}

/** A schema column the target's own metadata replaces (TARGET_METADATA_COLUMNS, in any case). */
function isTargetOwned(name: string): boolean {
  return TARGET_METADATA_COLUMNS.includes(name.toLowerCase());
}

function metadataExprs(columns: Column[], options: ProjectionOptions, viaJson: boolean): string[] {
  const taken = new Set(columns.filter((c) => !isTargetOwned(c.name)).map((c) => c.name.toLowerCase()));
  const ts = (e: string): string => (options.format === "csv" ? `strftime(${e}, '%Y-%m-%dT%H:%M:%S.%fZ')` : e);
  const batched = `TIMESTAMPTZ ${quoteLiteral(options.batchedAt.toISOString())}`;
  const deleted = viaJson ? `json_extract_string(record, '$._sdc_deleted_at')` : `record."_sdc_deleted_at"`;
  const all: Array<[string, string]> = [
    ["_sdc_extracted_at", ts("TRY_CAST(time_extracted AS TIMESTAMPTZ)")],
    ["_sdc_received_at", ts(`make_timestamptz(${quoteIdent(RECEIVED_FIELD)} * 1000)`)],
    ["_sdc_batched_at", ts(batched)],
    ["_sdc_deleted_at", ts(`TRY_CAST(${deleted} AS TIMESTAMPTZ)`)],
    ["_sdc_sequence", quoteIdent(LINE_FIELD)],
    ["_sdc_table_version", "TRY_CAST(version AS BIGINT)"],
  ];
  if (options.changes) all.push(["_sdc_changes", options.format === "csv" ? quoteIdent(CHANGES_FIELD) : `CAST(${quoteIdent(CHANGES_FIELD)} AS JSON)`]);
  return all.filter(([name]) => !taken.has(name)).map(([name, e]) => `${e} AS ${quoteIdent(name)}`);
}
