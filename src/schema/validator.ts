import { Ajv, type ErrorObject, type Options, type ValidateFunction } from "ajv";
import type { JsonSchema } from "../protocol/singer.js";
import { DECIMAL_PRECISION } from "./columns.js";
import { decimalOfNumber, inInt64Range, integerDigits, isMultipleOf, outOfDoubleRange, type Decimal } from "./exact-decimal.js";
import { prepareForValidation, typesOnly, CONSTRAINT_RULES, INT64, MULTIPLE_OF, NUMBER_RANGE } from "./validation-schema.js";
import { RecordSource } from "./record-source.js";
import { linearRegExp, UnsupportedPatternError } from "./linear-regexp.js";
import { splitWideObjects } from "./wide-schema.js";
import { isCivilDate } from "../time/calendar.js";

/**
 * Record validation against the stream's SCHEMA (ajv, compiled once per schema).
 * Singer schemas carry keywords ajv doesn't know (`inclusion`, `selected`) and taps send date-times without an
 * offset ("2019-02-01 15:12:45"); we accept those and read them as UTC, as DuckDB does when it converts them.
 * Numbers are checked on their source text (multipleOf, INT64 range, double range), never through a double.
 */
const DATE_TIME = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?([Zz]|[+-]\d{2}(:?\d{2})?)?$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const TIME = /^\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?([Zz]|[+-]\d{2}(:?\d{2})?)?$/;

function digits(text: string, start: number, length: number): number {
  let n = 0;
  for (let i = start; i < start + length; i++) n = n * 10 + (text.charCodeAt(i) - 48);
  return n;
}

/** The calendar check without allocating a Date (this runs for every date-time of every record). */
function validDate(text: string): boolean {
  return isCivilDate(digits(text, 0, 4), digits(text, 5, 2), digits(text, 8, 2));
}

/** `clock` starts at the hour: HH:MM[:SS[.f]][offset]. An offset beyond ±23:59 is not a time zone. */
function validClock(text: string): boolean {
  const h = digits(text, 0, 2);
  const mi = digits(text, 3, 2);
  const hasSeconds = text.length >= 8 && text.charCodeAt(5) === 58;
  const s = hasSeconds ? digits(text, 6, 2) : 0;
  // No leap second (:60): DuckDB and Parquet timestamps cannot hold one, so it is refused here with its line.
  if (h >= 24 || mi >= 60 || s >= 60) return false;
  const sign = text.search(/[+-]/);
  if (sign < 0) return true;
  const offset = text.slice(sign + 1).replace(":", "");
  const oh = digits(offset, 0, 2);
  const om = offset.length >= 4 ? digits(offset, 2, 2) : 0;
  return oh < 24 && om < 60;
}

/**
 * Shared by every ajv instance here; another part of the project may tune it (compile limits). Patterns run on
 * RE2 (linear time, linear-regexp.ts).
 */
// inlineRefs false: each chunk of a wide object (wide-schema.ts) stays a function of its own.
const BASE_OPTIONS: Options = { strict: false, inlineRefs: false, validateSchema: false, logger: false, validateFormats: true, code: { regExp: linearRegExp } };

/** The record whose source text the number keywords read (validation is synchronous: one record at a time). */
const source = new RecordSource();

/** 2^53: below it a double and its shortest text are the number's own digits for an integer. */
const EXACT_INTEGER = 9007199254740992;

function addTargetKeywords(instance: Ajv): Ajv {
  instance.addKeyword({
    keyword: INT64,
    type: "number",
    errors: false,
    validate: (_: unknown, data: number, _s: unknown, cxt?: { instancePath: string }) => {
      if (Math.abs(data) < EXACT_INTEGER) return true;
      // Without the source text the double is all there is (9223372036854775807 reads as 2^63).
      if (!source.hasText) return data >= -(2 ** 63) && data <= 2 ** 63;
      const d = source.decimalAt(cxt?.instancePath ?? "", data);
      return d !== undefined && inInt64Range(d);
    },
  });
  instance.addKeyword({
    keyword: MULTIPLE_OF,
    type: "number",
    errors: false,
    validate: (divisor: number, data: number, _s: unknown, cxt?: { instancePath: string }) => {
      const d = divisorOf(divisor);
      if (d === undefined || d.digits === "0") return false;
      // The common case (multipleOf 0.01 and a short number): count the decimals of the double's shortest text.
      if (d.digits === "1" && d.exponent <= 0 && !source.isLong(data)) {
        const text = String(data);
        if (!text.includes("e")) {
          const dot = text.indexOf(".");
          return dot < 0 || text.length - dot - 1 <= -d.exponent;
        }
      }
      const value = source.decimalAt(cxt?.instancePath ?? "", data);
      return value !== undefined && isMultipleOf(value, d);
    },
  });
  instance.addKeyword({
    keyword: NUMBER_RANGE,
    type: "number",
    errors: false,
    validate: (scale: number, data: number, _s: unknown, cxt?: { instancePath: string }) => {
      // ±Infinity can only come from a number beyond a double's range; 0 from 0 or from an underflow (1e-400).
      if (!Number.isFinite(data)) return false;
      if (data === 0 && source.mayUnderflow()) {
        const text = source.textAt(cxt?.instancePath ?? "");
        if (outOfDoubleRange(text ?? "0", data)) return false;
      }
      if (scale <= 0 || Math.abs(data) < 1e15) return true;
      const value = source.decimalAt(cxt?.instancePath ?? "", data);
      return value !== undefined && integerDigits(value) <= DECIMAL_PRECISION - scale;
    },
  });
  instance.addFormat("date-time", { type: "string", validate: (s: string) => DATE_TIME.test(s) && validDate(s) && validClock(s.slice(11)) });
  instance.addFormat("date", { type: "string", validate: (s: string) => DATE.test(s) && validDate(s) });
  instance.addFormat("time", { type: "string", validate: (s: string) => TIME.test(s) && validClock(s) });
  return instance;
}

const divisors = new Map<number, Decimal | undefined>();
/** A schema's multipleOf as a decimal (parsed once per value). */
function divisorOf(divisor: number): Decimal | undefined {
  if (!divisors.has(divisor)) divisors.set(divisor, decimalOfNumber(divisor));
  return divisors.get(divisor);
}

let firstError: Ajv | undefined;
let everyError: Ajv | undefined;
/** Stops at the first error: the fast path, every record. */
function ajvFirst(): Ajv {
  return (firstError ??= addTargetKeywords(new Ajv({ ...BASE_OPTIONS, allErrors: false })));
}
/** Lists every error: only for a record that failed, to split type from constraint violations. */
function ajvEvery(): Ajv {
  // verbose: each error carries its rule's value (the multipleOf divisor a message names).
  return (everyError ??= addTargetKeywords(new Ajv({ ...BASE_OPTIONS, allErrors: true, verbose: true })));
}

function compile(instance: Ajv, schema: JsonSchema): ValidateFunction {
  try {
    // Objects of more than 200 properties are validated in chunks: one ajv function of thousands of blocks
    // overflows V8's stack.
    return instance.compile(splitWideObjects(structuredClone(schema)));
  } catch (error) {
    if (error instanceof UnsupportedPatternError) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`the schema cannot be compiled for validation (${reason})`, { cause: error });
  }
}

/**
 * One failed rule. `kind` "type": the value cannot be written in its column's type (follows
 * invalid_record_policy); "constraint": a rule that does not change what is written (validate_constraints).
 */
export interface Violation {
  /** Where the value is: property names and array indices (as strings), from the record's top. */
  path: string[];
  /** The property as reported and grouped: `items[].amount` (array indices folded). */
  property: string;
  /** The JSON Schema keyword (multipleOf, maxLength, type, format, …; `integer range`, `number range`). */
  rule: string;
  kind: "type" | "constraint";
  /** One sentence naming the property, the rule and the fix. */
  message: string;
}

export interface CheckResult {
  types: Violation[];
  constraints: Violation[];
}

/**
 * Undefined for a valid record. `rawText` is the record's JSON source, or a function finding it (called only for
 * a record with a long number): numbers are checked on its digits.
 */
export type RecordChecker = (
  record: Record<string, unknown>,
  rawText: string | (() => string | undefined) | undefined,
  /** Text holding the record (its input line), searched once for long numbers; the record's own text by default. */
  scanText?: string,
) => CheckResult | undefined;

export interface CheckerOptions {
  /** false (validate_constraints=ignore): constraint-only rules are not checked at all. */
  constraints: boolean;
}

/** Compiles the schema's checks: types and (unless turned off) constraints, told apart for each failure. */
export function compileRecordChecker(schema: JsonSchema, options: CheckerOptions = { constraints: true }): RecordChecker {
  const full = prepareForValidation(schema);
  const types = typesOnly(full);
  const main = compile(ajvFirst(), options.constraints ? full : types);
  let everyType: ValidateFunction | undefined;
  let everyRule: ValidateFunction | undefined;
  return (record, rawText, scanText) => {
    source.reset(rawText, scanText);
    try {
      if (main(record)) return undefined;
      everyType ??= compile(ajvEvery(), types);
      const typeErrors = everyType(record) ? [] : (everyType.errors ?? []);
      let constraintErrors: ErrorObject[] = [];
      if (options.constraints) {
        everyRule ??= compile(ajvEvery(), full);
        constraintErrors = everyRule(record) ? [] : (everyRule.errors ?? []).filter((e) => CONSTRAINT_RULES.has(e.keyword));
      }
      const result = { types: violations(typeErrors, record, "type"), constraints: violations(constraintErrors, record, "constraint") };
      if (result.types.length === 0 && result.constraints.length === 0) {
        // A rule ajv reports only at the first-error pass (composite keywords): reported as it is.
        result.constraints = violations(main.errors ?? [], record, "constraint");
      }
      return result;
    } finally {
      source.reset(undefined);
    }
  };
}

export type RecordCheck = (record: Record<string, unknown>, rawText?: string) => string | undefined;

/** Returns a function giving `undefined` for a valid record, else one sentence naming the field and the rule. */
export function compileValidator(schema: JsonSchema): RecordCheck {
  const checker = compileRecordChecker(schema);
  return (record, rawText) => {
    const result = checker(record, rawText);
    return result ? (result.types[0] ?? result.constraints[0])?.message : undefined;
  };
}

function violations(errors: ErrorObject[], record: Record<string, unknown>, kind: "type" | "constraint"): Violation[] {
  const out: Violation[] = [];
  const seen = new Set<string>();
  for (const error of errors) {
    // Details of a failed anyOf/oneOf branch: the anyOf error itself says it.
    if (/\/(anyOf|oneOf)\/\d+\//.test(error.schemaPath)) continue;
    const path = pathOf(error);
    const rule = ruleName(error.keyword);
    const id = `${path.join("\u0000")}\u0001${rule}`;
    if (seen.has(id)) continue;
    seen.add(id);
    out.push({ path, property: propertyName(path, record), rule, kind, message: describe(error, path, rule) });
  }
  return out;
}

function pathOf(error: ErrorObject): string[] {
  const path =
    error.instancePath === ""
      ? []
      : error.instancePath
          .slice(1)
          .split("/")
          .map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"));
  const params = error.params as Record<string, unknown>;
  const child = error.keyword === "required" ? params["missingProperty"] : error.keyword === "additionalProperties" ? params["additionalProperty"] : undefined;
  if (typeof child === "string") path.push(child);
  return path;
}

/** `items.0.amount` → `items[].amount`: one name for the property of every array element. */
function propertyName(path: string[], record: Record<string, unknown>): string {
  let at: unknown = record;
  let name = "";
  for (const part of path) {
    if (Array.isArray(at)) {
      name += "[]";
      at = at[Number(part)];
    } else {
      name += name === "" ? part : `.${part}`;
      at = typeof at === "object" && at !== null ? (at as Record<string, unknown>)[part] : undefined;
    }
  }
  return name;
}

function ruleName(keyword: string): string {
  if (keyword === MULTIPLE_OF) return "multipleOf";
  if (keyword === INT64) return "integer range";
  if (keyword === NUMBER_RANGE) return "number range";
  return keyword;
}

function describe(error: ErrorObject, path: string[], rule: string): string {
  const field = path.join(".");
  if (error.keyword === INT64) {
    return `property '${field}' is an integer beyond the 64-bit range that INT64 columns hold; declare it as "number" or "string" in the schema`;
  }
  if (error.keyword === NUMBER_RANGE) {
    return `property '${field}' is a number its column cannot hold (beyond a double's range, or more integer digits than its DECIMAL(38, scale) column); declare it as "string" in the schema`;
  }
  if (error.keyword === MULTIPLE_OF) {
    const divisor = typeof error.schema === "number" ? ` ${String(error.schema)}` : " its multipleOf";
    return `property '${field}' must be a multiple of${divisor} (schema rule 'multipleOf', checked on the number's digits)`;
  }
  if (error.keyword === "required") {
    const parent = path.slice(0, -1).join(".");
    return `required property '${path[path.length - 1] ?? ""}'${parent ? ` in '${parent}'` : ""} is missing (schema rule 'required' at ${error.schemaPath})`;
  }
  const value = field ? `property '${field}'` : "the record";
  return `${value} ${error.message ?? "is invalid"} (schema rule '${rule}' at ${error.schemaPath})`;
}

/** A `\uD800`–`\uDFFF` escape: the only way a JSON line can carry a lone surrogate (raw UTF-8 cannot). */
const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F]/;
/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Strings (values or property names) holding a lone UTF-16 surrogate (`"a\ud83d b"`): Parquet and CSV store
 * UTF-8, which cannot encode one, so such a value is a type violation at its own line, in every format.
 * `line` is the input line: records without a surrogate escape are not walked.
 */
export function loneSurrogates(record: Record<string, unknown>, line: string): Violation[] {
  if (!line.includes("\\u") || !SURROGATE_ESCAPE.test(line)) return [];
  const out: Violation[] = [];
  const walk = (value: unknown, path: string[]): void => {
    if (typeof value === "string") {
      if (LONE_SURROGATE.test(value)) out.push(surrogateViolation(path, record));
    } else if (Array.isArray(value)) {
      value.forEach((v, i) => walk(v, [...path, String(i)]));
    } else if (typeof value === "object" && value !== null) {
      for (const [k, v] of Object.entries(value)) {
        if (LONE_SURROGATE.test(k)) out.push(surrogateViolation([...path, k], record));
        else walk(v, [...path, k]);
      }
    }
  };
  walk(record, []);
  return out;
}

function surrogateViolation(path: string[], record: Record<string, unknown>): Violation {
  const field = path.join(".");
  return {
    path,
    property: propertyName(path, record),
    rule: "unicode",
    kind: "type",
    message: `property '${field}' holds a lone UTF-16 surrogate (an unpaired \\uD800-\\uDFFF escape) that no UTF-8 file can store; the tap must send valid Unicode`,
  };
}
