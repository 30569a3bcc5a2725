import { valueRange } from "../protocol/json-value-range.js";
import type { Violation } from "./validator.js";

/**
 * invalid_record_policy=nullify: the fields that broke a rule are written as null and the record is kept. Each
 * change is recorded; with add_record_metadata they go into the `_sdc_changes` column, and `airbyteChanges` gives
 * the same list in the shape of Airbyte's `_airbyte_meta.changes`.
 */
export interface FieldChange {
  /** The field as a dotted path (`items.0.amount`). */
  field: string;
  /** Property names and array indices (strings) from the record's top. */
  path: string[];
  change: "NULLED";
  /** The schema rule that failed (multipleOf, type, format, integer range, …). */
  rule: string;
  kind: "type" | "constraint";
}

export function changesOf(violations: readonly Violation[]): FieldChange[] {
  const out: FieldChange[] = [];
  const seen = new Set<string>();
  for (const v of violations) {
    const field = v.path.join(".");
    if (seen.has(field)) continue;
    seen.add(field);
    out.push({ field, path: v.path, change: "NULLED", rule: v.rule, kind: v.kind });
  }
  return out;
}

/** The `_sdc_changes` value: `[{"field","change","rule","kind"}]` as JSON text. */
export function changesJson(changes: readonly FieldChange[]): string {
  return JSON.stringify(changes.map(({ field, change, rule, kind }) => ({ field, change, rule, kind })));
}

/**
 * The same changes as Airbyte's `_airbyte_meta.changes` entries (protocol v1): a value this destination cannot
 * write in its column's type is a DESTINATION_TYPECAST_ERROR; a failed constraint a DESTINATION_SERIALIZATION_ERROR.
 */
export function airbyteChanges(changes: readonly FieldChange[]): Array<{ field: string; change: "NULLED"; reason: string }> {
  return changes.map((c) => ({
    field: c.field,
    change: c.change,
    reason: c.kind === "type" ? "DESTINATION_TYPECAST_ERROR" : "DESTINATION_SERIALIZATION_ERROR",
  }));
}

/**
 * The record's source text with the value at each path replaced by `null`; every other byte is kept (numbers keep
 * their digits). A path that is absent is already null; a path inside another nulled one is covered by it.
 */
export function nullifyText(text: string, paths: readonly string[][]): string {
  const ranges: Array<{ start: number; end: number }> = [];
  for (const path of paths) {
    const range = valueRange(text, path);
    if (range) ranges.push(range);
  }
  ranges.sort((a, b) => a.start - b.start);
  let out = "";
  let copied = 0;
  for (const r of ranges) {
    if (r.start < copied) continue; // inside a value already replaced
    out += text.slice(copied, r.start) + "null";
    copied = r.end;
  }
  return out + text.slice(copied);
}
