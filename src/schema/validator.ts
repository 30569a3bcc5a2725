import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import type { JsonSchema } from "../protocol/singer.js";

/**
 * Record validation against the stream's SCHEMA (ajv, compiled once per schema).
 * Singer schemas carry keywords ajv doesn't know (`inclusion`, `selected`) and taps send date-times without an
 * offset ("2019-02-01 15:12:45"); we accept those and read them as UTC, as DuckDB does when it converts them.
 */
const DATE_TIME = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?([Zz]|[+-]\d{2}(:?\d{2})?)?$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const TIME = /^\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?([Zz]|[+-]\d{2}(:?\d{2})?)?$/;

function validDate(text: string): boolean {
  const y = Number(text.slice(0, 4));
  const m = Number(text.slice(5, 7));
  const d = Number(text.slice(8, 10));
  if (m < 1 || m > 12 || d < 1) return false;
  const days = new Date(Date.UTC(y, m, 0)).getUTCDate();
  return d <= days;
}

function validClock(text: string): boolean {
  const h = Number(text.slice(0, 2));
  const mi = Number(text.slice(3, 5));
  const s = text.length >= 8 && text[5] === ":" ? Number(text.slice(6, 8)) : 0;
  return h < 24 && mi < 60 && s < 61;
}

let shared: Ajv | undefined;
function ajv(): Ajv {
  if (shared) return shared;
  shared = new Ajv({ strict: false, allErrors: false, validateSchema: false, logger: false, validateFormats: true });
  shared.addFormat("date-time", { type: "string", validate: (s: string) => DATE_TIME.test(s) && validDate(s) && validClock(s.slice(11)) });
  shared.addFormat("date", { type: "string", validate: (s: string) => DATE.test(s) && validDate(s) });
  shared.addFormat("time", { type: "string", validate: (s: string) => TIME.test(s) && validClock(s) });
  return shared;
}

export type RecordCheck = (record: Record<string, unknown>) => string | undefined;

/** Returns a function giving `undefined` for a valid record, else one sentence naming the field and the rule. */
export function compileValidator(schema: JsonSchema): RecordCheck {
  const copy: JsonSchema = { ...schema };
  delete copy["$schema"];
  delete copy["$id"];
  let validate: ValidateFunction;
  try {
    validate = ajv().compile(copy);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`the schema cannot be compiled for validation (${reason})`);
  }
  return (record) => (validate(record) ? undefined : describeError(validate.errors?.[0]));
}

function describeError(error: ErrorObject | undefined): string {
  if (!error) return "the record does not match its schema";
  const field = error.instancePath ? error.instancePath.slice(1).replace(/\//g, ".") : "";
  if (error.keyword === "required") return `required property '${String(error.params["missingProperty"])}' is missing`;
  const value = field ? `property '${field}'` : "the record";
  return `${value} ${error.message ?? "is invalid"} (schema rule '${error.keyword}' at ${error.schemaPath})`;
}
