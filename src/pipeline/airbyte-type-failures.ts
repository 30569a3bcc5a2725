/**
 * Airbyte mode's answer to a value its column's type cannot hold: as Airbyte destinations do, the value is written
 * as null and the change is recorded in the record's `_airbyte_meta.changes` ({field, change: NULLED, reason:
 * DESTINATION_TYPECAST_ERROR}) instead of failing the sync.
 *
 * Only top-level columns are checked here (the JSON type, and the date/time formats); values nested inside an
 * object or array column, and constraints (maxLength, enum, …), stay with validation and invalid_record_policy.
 * This is the one place to point at the general `invalid_record_policy: nullify` once it exists.
 */
import type { AirbyteMetaChange, CatalogStream } from "../protocol/airbyte.js";
import type { JsonSchema } from "../protocol/singer.js";
import { nullifyText } from "../schema/record-changes.js";
import { compileValidator, type RecordCheck } from "../schema/validator.js";

export interface NullifiedRecord {
  data: Record<string, unknown>;
  /** The record's text with the failed values replaced by `null` (undefined when there was none). */
  rawText: string | undefined;
  changes: AirbyteMetaChange[];
}

export type TypeFailureNullifier = (data: Record<string, unknown>, rawText: string | undefined) => NullifiedRecord;

/** The nullifier of one catalog stream: checks only `type` and `format` of each top-level column. */
export function typeFailureNullifier(stream: CatalogStream): TypeFailureNullifier {
  const typed = Object.entries(stream.jsonSchema.properties).flatMap(([name, schema]) => {
    const only = typeOnly(schema);
    return only === undefined ? [] : [[name, only] as const];
  });
  const whole = compileValidator({ type: "object", properties: Object.fromEntries(typed) });
  const perColumn = new Map<string, RecordCheck>(typed.map(([name, only]) => [name, compileValidator({ type: "object", properties: { [name]: only } })]));

  return (data, rawText) => {
    if (whole(data) === undefined) return { data, rawText, changes: [] };
    const changes: AirbyteMetaChange[] = [];
    const out = { ...data };
    for (const [name, check] of perColumn) {
      const value = data[name];
      if (value === undefined || value === null || check({ [name]: value }) === undefined) continue;
      out[name] = null;
      changes.push({ field: name, change: "NULLED", reason: "DESTINATION_TYPECAST_ERROR" });
    }
    const text =
      rawText === undefined
        ? undefined
        : nullifyText(
            rawText,
            changes.map((c) => [c.field]),
          );
    return { data: out, rawText: text, changes };
  };
}

/** `{type, format}` of a column schema (null allowed), or undefined when it declares no type to check. */
function typeOnly(schema: JsonSchema): JsonSchema | undefined {
  const type = schema["type"];
  if (typeof type !== "string" && !Array.isArray(type)) return undefined;
  const types = (Array.isArray(type) ? type : [type]).filter((t): t is string => typeof t === "string");
  return { type: types.includes("null") ? types : [...types, "null"], ...(typeof schema["format"] === "string" ? { format: schema["format"] } : {}) };
}
