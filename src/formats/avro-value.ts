import { LosslessNumber } from "../schema/lossless-json.js";
import type { TypeNode } from "../schema/columns.js";
import { avroName, type AvroField } from "./avro-schema.js";
import { exactJson, isNumber, numberText, parseExact, type ExactValue } from "./exact-json.js";

/** A value that cannot be written in its Avro type; the sink adds the stream and line. */
export class AvroValueError extends Error {}

/** Turns a value (parsed exactly, undefined when absent) into what avsc writes for its type. */
export type AvroConverter = (value: ExactValue | undefined) => unknown;

/** The record converter of a stream: the record's JSON text → an object with the Avro field names. */
export function recordConverter(fields: AvroField[]): (text: string) => Record<string, unknown> {
  const convert = structConverter(fields.map((f) => ({ name: f.name, source: f.source, convert: converterOf(f.node, f.name) })));
  return (text) => convert(parseExact(text)) as Record<string, unknown>;
}

function structConverter(fields: Array<{ name: string; source: string; convert: AvroConverter }>): (v: ExactValue) => unknown {
  return (v) => {
    if (typeof v !== "object" || v === null || Array.isArray(v) || v instanceof LosslessNumber)
      throw new AvroValueError(`expected an object, got ${preview(v)}`);
    const out: Record<string, unknown> = {};
    for (const f of fields) out[f.name] = f.convert(Object.hasOwn(v, f.source) ? v[f.source] : undefined);
    return out;
  };
}

export function converterOf(node: TypeNode, path: string): AvroConverter {
  const inner = kindConverter(node, path);
  return (value) => {
    if (value === undefined || value === null) return null;
    try {
      return inner(value);
    } catch (error) {
      if (error instanceof AvroValueError && !error.message.startsWith("field ")) throw new AvroValueError(`field '${path}': ${error.message}`);
      throw error;
    }
  };
}

function kindConverter(node: TypeNode, path: string): (v: ExactValue) => unknown {
  switch (node.kind) {
    case "integer":
    case "epoch-ms":
      return (v) => toLong(numberOf(v, "an integer"));
    case "number":
      return (v) => {
        if (typeof v === "number") return v;
        return Number(numberOf(v, "a number"));
      };
    case "decimal":
      return (v) => toDecimal(numberOf(v, "a number"), node.precision ?? 38, node.scale ?? 0);
    case "boolean":
      return (v) => {
        if (typeof v !== "boolean") throw new AvroValueError(`expected a boolean, got ${preview(v)}`);
        return v;
      };
    case "date-time":
      return (v) => timestampMicros(stringOf(v, "a date-time"));
    case "date":
      return (v) => epochDays(stringOf(v, "a date"));
    case "time":
      return (v) => timeMicros(stringOf(v, "a time"));
    case "struct": {
      const fields = [...(node.fields ?? new Map<string, TypeNode>())].map(([source, child]) => {
        const name = avroName(source);
        return { name, source, convert: converterOf(child, `${path}.${name}`) };
      });
      return structConverter(fields);
    }
    case "list": {
      const item = converterOf(node.items ?? { kind: "json" }, `${path}[]`);
      return (v) => {
        if (!Array.isArray(v)) throw new AvroValueError(`expected an array, got ${preview(v)}`);
        return v.map(item);
      };
    }
    case "string":
      // A value of another JSON type (validation off) is written as its JSON text.
      return (v) => (typeof v === "string" ? v : exactJson(v));
    default:
      // JSON text with every number as sent (strings re-escaped); a JSON string keeps its quotes, so it parses back.
      return (v) => exactJson(v);
  }
}

function numberOf(v: ExactValue, what: string): string {
  if (!isNumber(v)) throw new AvroValueError(`expected ${what}, got ${preview(v)}`);
  return numberText(v);
}

function stringOf(v: ExactValue, what: string): string {
  if (typeof v !== "string") throw new AvroValueError(`expected ${what} string, got ${preview(v)}`);
  return v;
}

function preview(v: ExactValue | string): string {
  const s = typeof v === "string" ? v : exactJson(v);
  return s.length > 40 ? `${s.slice(0, 40)}…` : s;
}

const INTEGER = /^-?\d+$/;
const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;

/** An integer exactly (a BigInt past 2^53); 1.0 and 1e3 are integers too. */
function toLong(s: string): number | bigint {
  if (INTEGER.test(s)) {
    const n = Number(s);
    if (Number.isSafeInteger(n)) return n;
    const big = BigInt(s);
    if (big < INT64_MIN || big > INT64_MAX) throw new AvroValueError(`${preview(s)} is outside Avro long (64-bit)`);
    return big;
  }
  const exact = decimalParts(s);
  if (exact === undefined) throw new AvroValueError(`expected an integer, got ${preview(s)}`);
  const unscaled = scaleTo(exact, 0);
  if (unscaled === undefined) throw new AvroValueError(`expected an integer, got ${preview(s)}`);
  if (unscaled < INT64_MIN || unscaled > INT64_MAX) throw new AvroValueError(`${preview(s)} is outside Avro long (64-bit)`);
  return unscaled >= BigInt(Number.MIN_SAFE_INTEGER) && unscaled <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(unscaled) : unscaled;
}

interface DecimalParts {
  negative: boolean;
  digits: string;
  exponent: number;
}

function decimalParts(s: string): DecimalParts | undefined {
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(s);
  if (!m) return undefined;
  const fraction = m[3] ?? "";
  return { negative: m[1] === "-", digits: (m[2] ?? "") + fraction, exponent: Number(m[4] ?? 0) - fraction.length };
}

/** digits × 10^exponent as an integer count of 10^-scale; undefined when non-zero digits would be dropped. */
function scaleTo(p: DecimalParts, scale: number): bigint | undefined {
  const shift = p.exponent + scale;
  let digits = p.digits;
  if (shift < 0) {
    const dropped = digits.slice(Math.max(0, digits.length + shift));
    if (/[1-9]/.test(dropped)) return undefined;
    digits = digits.slice(0, Math.max(0, digits.length + shift));
  } else {
    digits += "0".repeat(shift);
  }
  const v = BigInt(digits === "" ? "0" : digits);
  return p.negative ? -v : v;
}

/** Avro decimal: the unscaled value as big-endian two's complement bytes. Exact, or an error (never rounded). */
function toDecimal(s: string, precision: number, scale: number): Buffer {
  const parts = decimalParts(s);
  if (parts === undefined) throw new AvroValueError(`expected a number, got ${preview(s)}`);
  const unscaled = scaleTo(parts, scale);
  if (unscaled === undefined) throw new AvroValueError(`${preview(s)} has more than ${scale} decimals (multipleOf in the SCHEMA); it is not rounded`);
  const limit = 10n ** BigInt(precision);
  if (unscaled >= limit || unscaled <= -limit) throw new AvroValueError(`${preview(s)} has more than ${precision} digits`);
  return twosComplement(unscaled);
}

export function twosComplement(v: bigint): Buffer {
  const bytes: number[] = [];
  let x = v;
  for (;;) {
    const byte = Number(x & 0xffn);
    bytes.unshift(byte);
    x >>= 8n;
    if ((x === 0n && (byte & 0x80) === 0) || (x === -1n && (byte & 0x80) !== 0)) break;
  }
  return Buffer.from(bytes);
}

const DATE_TIME = /^(-?\d{4,})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?\s*([Zz]|[+-]\d{2}(?::?\d{2})?)?$/;
const TIME = /^(\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?\s*([Zz]|[+-]\d{2}(?::?\d{2})?)?$/;
const DAY_MS = 86_400_000;

function offsetMinutes(zone: string | undefined): number {
  if (zone === undefined || zone === "Z" || zone === "z") return 0;
  const sign = zone.startsWith("-") ? -1 : 1;
  const digits = zone.slice(1).replace(":", "");
  return sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4) || "0"));
}

/** Microseconds of the first six fraction digits (further digits are cut: Avro timestamps hold micros). */
function fractionMicros(fraction: string | undefined): number {
  return fraction === undefined ? 0 : Number(fraction.slice(0, 6).padEnd(6, "0"));
}

/** UTC milliseconds of a calendar date and time, or undefined when the date does not exist (2023-02-30). */
function utcMillis(year: number, month: number, day: number, h: number, mi: number, sec: number): number | undefined {
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month) || h > 23 || mi > 59 || sec > 60) return undefined;
  // Date.UTC reads years 0–99 as 1900–1999: move those by 400 years (same calendar) and back.
  const shift = year >= 0 && year < 100 ? 400 : 0;
  return Date.UTC(year + shift, month - 1, day, h, mi, sec) - (shift === 0 ? 0 : YEARS_400_MS);
}

const YEARS_400_MS = 146_097 * 86_400_000;
const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysIn(year: number, month: number): number {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return month === 2 && leap ? 29 : DAYS[month - 1]!;
}

/** timestamp-micros: date-times with an offset are converted to UTC; without one they are read as UTC (SPEC §3). */
export function timestampMicros(s: string): number | bigint {
  const m = DATE_TIME.exec(s.trim());
  const ms = m ? utcMillis(Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0)) : undefined;
  if (!m || ms === undefined) throw new AvroValueError(`'${preview(s)}' is not a date-time`);
  const utcMs = ms - offsetMinutes(m[8]) * 60_000;
  const micros = fractionMicros(m[7]);
  const total = utcMs * 1000 + micros;
  return Number.isSafeInteger(total) ? total : BigInt(utcMs) * 1000n + BigInt(micros);
}

/** date: days since 1970-01-01 (a date-time in a date column gives its date, as written, before any offset). */
export function epochDays(s: string): number {
  const m = DATE_TIME.exec(s.trim());
  const ms = m ? utcMillis(Number(m[1]), Number(m[2]), Number(m[3]), 0, 0, 0) : undefined;
  if (!m || ms === undefined) throw new AvroValueError(`'${preview(s)}' is not a date (YYYY-MM-DD)`);
  return Math.floor(ms / DAY_MS);
}

/** time-micros: the wall-clock time; an offset is dropped, as for Parquet TIME (README "Types and fidelity"). */
export function timeMicros(s: string): number {
  const m = TIME.exec(s.trim());
  const h = Number(m?.[1]);
  const mi = Number(m?.[2]);
  const sec = Number(m?.[3] ?? 0);
  if (!m || h > 24 || mi > 59 || sec > 60) throw new AvroValueError(`'${preview(s)}' is not a time (HH:MM:SS)`);
  return ((h * 60 + mi) * 60 + sec) * 1_000_000 + fractionMicros(m[4]);
}
