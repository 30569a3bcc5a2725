import type { JsonSchema } from "../protocol/singer.js";
import { decimalScale } from "./columns.js";

/** Keywords the target adds to a schema copy so ajv checks numbers on their digits (see validator.ts). */
export const INT64 = "x-target-s3-int64";
export const MULTIPLE_OF = "x-target-s3-multiple-of";
export const NUMBER_RANGE = "x-target-s3-number-range";

/**
 * Rules that do not change what is written (validate_constraints): a value breaking one is still a value of its
 * column's type. Everything else that fails (type, date-time/date/time format, integer or number range, a
 * failed anyOf of types, a missing `required` property, which the Singer SDK's conformance samples expect to
 * fail) is a type violation.
 */
export const CONSTRAINT_RULES = new Set([
  "maxLength",
  "minLength",
  "pattern",
  "enum",
  "const",
  "minimum",
  "maximum",
  "exclusiveMinimum",
  "exclusiveMaximum",
  MULTIPLE_OF,
  "multipleOf",
  "minItems",
  "maxItems",
  "uniqueItems",
  "additionalProperties",
  "minProperties",
  "maxProperties",
  "dependencies",
  "dependentRequired",
  "dependentSchemas",
  "propertyNames",
  "contains",
  "minContains",
  "maxContains",
  "not",
  "if",
  "then",
  "else",
  "unevaluatedProperties",
  "unevaluatedItems",
]);

/** Formats the target checks: they decide a column type (TIMESTAMP, DATE, TIME). Others are not checked. */
const TYPED_FORMATS = new Set(["date-time", "date", "time"]);

const SUBSCHEMA_LISTS = ["anyOf", "oneOf", "allOf", "prefixItems"];
const SUBSCHEMA_MAPS = ["properties", "patternProperties", "definitions", "$defs", "dependentSchemas"];
const SUBSCHEMAS = ["items", "additionalProperties", "not", "if", "then", "else", "contains", "propertyNames", "additionalItems"];

/** Calls `visit` on every subschema object of `node`, depth first, parents before children. */
function walk(node: unknown, visit: (s: Record<string, unknown>) => void): void {
  if (typeof node !== "object" || node === null || Array.isArray(node)) return;
  const s = node as Record<string, unknown>;
  visit(s);
  for (const key of SUBSCHEMA_LISTS) if (Array.isArray(s[key])) for (const sub of s[key] as unknown[]) walk(sub, visit);
  for (const key of SUBSCHEMA_MAPS) if (typeof s[key] === "object" && s[key] !== null) for (const sub of Object.values(s[key])) walk(sub, visit);
  for (const key of SUBSCHEMAS) {
    const sub = s[key];
    if (Array.isArray(sub)) for (const x of sub) walk(x, visit);
    else walk(sub, visit);
  }
}

function typesOf(s: Record<string, unknown>): string[] {
  const t = s["type"];
  return typeof t === "string" ? [t] : Array.isArray(t) ? t.filter((x): x is string => typeof x === "string") : [];
}

/**
 * A copy of the stream's schema for ajv: integers get the INT64 range check, numbers the range of their column
 * (double, or DECIMAL(38, scale) when multipleOf gives a scale), and multipleOf becomes the exact decimal check.
 */
export function prepareForValidation(schema: JsonSchema): JsonSchema {
  const copy = structuredClone(schema);
  delete copy["$schema"];
  delete copy["$id"];
  walk(copy, (s) => {
    const types = typesOf(s);
    if (types.includes("integer")) s[INT64] = true;
    if (types.includes("number")) s[NUMBER_RANGE] = types.includes("integer") ? 0 : (decimalScale(s) ?? 0);
    draft4Bound(s, "exclusiveMaximum", "maximum");
    draft4Bound(s, "exclusiveMinimum", "minimum");
    if (typeof s["multipleOf"] === "number") {
      s[MULTIPLE_OF] = s["multipleOf"];
      delete s["multipleOf"];
    }
  });
  return copy;
}

/**
 * Draft-04 bounds (`exclusiveMaximum: true` next to `maximum`, as tap-postgres and tap-mysql describe NUMERIC)
 * in the numeric form ajv compiles: `exclusiveMaximum: <maximum>`; `false` just goes.
 */
function draft4Bound(s: Record<string, unknown>, exclusive: "exclusiveMaximum" | "exclusiveMinimum", bound: "maximum" | "minimum"): void {
  if (typeof s[exclusive] !== "boolean") return;
  if (s[exclusive] === true && typeof s[bound] === "number") {
    s[exclusive] = s[bound];
    delete s[bound];
  } else delete s[exclusive];
}

/** The prepared schema without its constraint rules: what a value must be to be written in its column. */
export function typesOnly(prepared: JsonSchema): JsonSchema {
  const copy = structuredClone(prepared);
  walk(copy, (s) => {
    for (const key of CONSTRAINT_RULES) {
      // An object's own properties stay, a rule about extra ones goes; a subschema under `not`/`if` goes whole.
      if (key === "additionalProperties" && typeof s[key] === "object") continue;
      delete s[key];
    }
    if (typeof s["format"] === "string" && !TYPED_FORMATS.has(s["format"])) delete s["format"];
  });
  return copy;
}
