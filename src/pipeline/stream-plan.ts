import { createHash } from "node:crypto";
import type { SchemaMessage } from "../protocol/singer.js";
import { columnsOf, type Column, type ColumnOptions } from "../schema/columns.js";
import { checkSchemaLimits } from "../schema/schema-limits.js";
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
  checkSchemaLimits(message.schema);
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

/**
 * JSON with sorted keys, so that key order alone never counts as a schema change. Iterative: it runs on every
 * SCHEMA line before any depth check, and a recursive walk overflowed the stack on a 5,000-level schema.
 */
export function stableJson(value: unknown): string {
  const out: string[] = [];
  // Work items: a value to write, or literal text (separators and closing brackets) to emit in order.
  const todo: Array<{ value: unknown } | string> = [{ value }];
  while (todo.length > 0) {
    const item = todo.pop()!;
    if (typeof item === "string") {
      out.push(item);
      continue;
    }
    const v = item.value;
    if (Array.isArray(v)) {
      out.push("[");
      todo.push("]");
      for (let i = v.length - 1; i >= 0; i--) {
        todo.push({ value: v[i] });
        if (i > 0) todo.push(",");
      }
    } else if (typeof v === "object" && v !== null) {
      const keys = Object.keys(v).sort();
      out.push("{");
      todo.push("}");
      for (let i = keys.length - 1; i >= 0; i--) {
        const k = keys[i]!;
        todo.push({ value: (v as Record<string, unknown>)[k] });
        todo.push(`${i > 0 ? "," : ""}${JSON.stringify(k)}:`);
      }
    } else out.push(JSON.stringify(v) ?? "null");
  }
  return out.join("");
}
