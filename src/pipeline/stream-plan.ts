import { createHash } from "node:crypto";
import type { SchemaMessage } from "../protocol/singer.js";
import { columnsOf, type Column, type ColumnOptions } from "../schema/columns.js";
import { compileRecordChecker, type RecordChecker } from "../schema/validator.js";
import { exactTextRewriter, recordShaper, type ExactTextRewriter } from "../schema/shape-record.js";
import type { RecordShape } from "./record-encoder.js";

/** Everything derived once from a stream's SCHEMA: columns, validator, keys, cursor. */
export interface StreamPlan {
  stream: string;
  schemaHash: string;
  columns: Column[];
  /** Types and (unless validate_constraints=ignore) constraints, told apart; undefined without validation. */
  check: RecordChecker | undefined;
  keyProperties: string[];
  cursorField: string | undefined;
  /** For JSON formats when flattening or header casing changes the record. */
  shape: RecordShape | undefined;
  /** For CSV and Parquet: quotes DECIMAL and JSON column values so DuckDB reads their exact text (shape-record.ts). */
  exactText: ExactTextRewriter | undefined;
}

export function schemaHash(message: SchemaMessage): string {
  return createHash("sha256").update(stableJson(message.schema)).update("\0").update(JSON.stringify(message.keyProperties)).digest("hex").slice(0, 16);
}

export function buildPlan(
  message: SchemaMessage,
  options: ColumnOptions & { validate: boolean; constraints?: boolean; cursorFields: Record<string, string>; reshapeJson: boolean },
): StreamPlan {
  const columns = columnsOf(message.schema.properties, options);
  return {
    stream: message.stream,
    schemaHash: schemaHash(message),
    columns,
    shape: options.reshapeJson ? recordShaper(columns) : undefined,
    exactText: exactTextRewriter(columns),
    check: options.validate ? compileRecordChecker(message.schema, { constraints: options.constraints ?? true }) : undefined,
    keyProperties: message.keyProperties,
    cursorField: options.cursorFields[message.stream] ?? options.cursorFields["*"] ?? message.bookmarkProperties[0],
  };
}

/** JSON with sorted keys, so that key order alone never counts as a schema change. */
export function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(",")}]`;
  if (typeof value === "object" && value !== null) {
    const entries = Object.keys(value as object)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}
