import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import type { JsonSchema } from "../protocol/singer.js";
import { splitWideObjects } from "./wide-schema.js";

/**
 * Record validation against the stream's SCHEMA (ajv, compiled once per schema).
 * Singer schemas carry keywords ajv doesn't know (`inclusion`, `selected`) and taps send date-times without an
 * offset ("2019-02-01 15:12:45"); we accept those and read them as UTC, as DuckDB does when it converts them.
 */
const DATE_TIME = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?([Zz]|[+-]\d{2}(:?\d{2})?)?$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const TIME = /^\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?([Zz]|[+-]\d{2}(:?\d{2})?)?$/;

const DAYS_IN_MONTH = [0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function digits(text: string, start: number, length: number): number {
  let n = 0;
  for (let i = start; i < start + length; i++) n = n * 10 + (text.charCodeAt(i) - 48);
  return n;
}

/** The calendar check without allocating a Date (this runs for every date-time of every record). */
function validDate(text: string): boolean {
  const y = digits(text, 0, 4);
  const m = digits(text, 5, 2);
  const d = digits(text, 8, 2);
  if (m < 1 || m > 12 || d < 1) return false;
  const leap = m === 2 && (y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0));
  return d <= (DAYS_IN_MONTH[m] ?? 31) + (leap ? 1 : 0);
}

function validClock(text: string): boolean {
  const h = digits(text, 0, 2);
  const mi = digits(text, 3, 2);
  const s = text.length >= 8 && text.charCodeAt(5) === 58 ? digits(text, 6, 2) : 0;
  // No leap second (:60): DuckDB and Parquet timestamps cannot hold one, so it is refused here with its line.
  return h < 24 && mi < 60 && s < 60;
}

/** Integers become INT64 columns: a value beyond 64 bits is refused with its line, not at conversion time. */
const INT64 = "x-target-s3-int64";
const SUBSCHEMA_LISTS = ["anyOf", "oneOf", "allOf", "prefixItems"];
const SUBSCHEMA_MAPS = ["properties", "patternProperties", "definitions", "$defs"];

function markIntegers(node: unknown): unknown {
  if (typeof node !== "object" || node === null || Array.isArray(node)) return node;
  const s = node as Record<string, unknown>;
  const type = s["type"];
  if (type === "integer" || (Array.isArray(type) && type.includes("integer"))) s[INT64] = true;
  for (const key of SUBSCHEMA_LISTS) if (Array.isArray(s[key])) (s[key] as unknown[]).forEach(markIntegers);
  for (const key of SUBSCHEMA_MAPS) if (typeof s[key] === "object" && s[key] !== null) Object.values(s[key] as object).forEach(markIntegers);
  for (const key of ["items", "additionalProperties", "not"]) {
    const sub = s[key];
    if (Array.isArray(sub)) sub.forEach(markIntegers);
    else markIntegers(sub);
  }
  return s;
}

let shared: Ajv | undefined;
function ajv(): Ajv {
  if (shared) return shared;
  shared = new Ajv({ strict: false, allErrors: false, inlineRefs: false, validateSchema: false, logger: false, validateFormats: true });
  shared.addKeyword({ keyword: INT64, type: "number", errors: false, validate: (_: unknown, data: number) => data >= -9223372036854775808 && data <= 9223372036854775807 });
  shared.addFormat("date-time", { type: "string", validate: (s: string) => DATE_TIME.test(s) && validDate(s) && validClock(s.slice(11)) });
  shared.addFormat("date", { type: "string", validate: (s: string) => DATE.test(s) && validDate(s) });
  shared.addFormat("time", { type: "string", validate: (s: string) => TIME.test(s) && validClock(s) });
  return shared;
}

export type RecordCheck = (record: Record<string, unknown>) => string | undefined;

/** Returns a function giving `undefined` for a valid record, else one sentence naming the field and the rule. */
export function compileValidator(schema: JsonSchema): RecordCheck {
  const copy = markIntegers(structuredClone(schema)) as JsonSchema;
  delete copy["$schema"];
  delete copy["$id"];
  let validate: ValidateFunction;
  try {
    validate = ajv().compile(splitWideObjects(copy));
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`the schema cannot be compiled for validation (${reason})`);
  }
  return (record) => (validate(record) ? undefined : describeError(validate.errors?.[0]));
}

function describeError(error: ErrorObject | undefined): string {
  if (!error) return "the record does not match its schema";
  const field = error.instancePath ? error.instancePath.slice(1).replace(/\//g, ".") : "";
  if (error.keyword === INT64) {
    return `property '${field}' is an integer beyond the 64-bit range that INT64 columns hold; declare it as "number" or "string" in the schema`;
  }
  if (error.keyword === "required") {
    const where = field ? ` in '${field}'` : "";
    return `required property '${String(error.params["missingProperty"])}'${where} is missing (schema rule 'required' at ${error.schemaPath})`;
  }
  const value = field ? `property '${field}'` : "the record";
  return `${value} ${error.message ?? "is invalid"} (schema rule '${error.keyword}' at ${error.schemaPath})`;
}
