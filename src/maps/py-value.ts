/**
 * Values of stream map expressions with Python's semantics: ints are exact (bigint), floats are doubles, dicts are
 * string-keyed, datetimes are UTC instants. Conversions from a record's lossless JSON and back to JSON text.
 */
import { LosslessNumber, type LosslessValue } from "../schema/lossless-json.js";

export class PyDict {
  constructor(readonly map: Map<string, PyValue>) {}
}
/** A datetime.datetime (or date) value; `aware` when it came with a UTC offset. */
export class PyDateTime {
  constructor(
    readonly ms: number,
    readonly kind: "datetime" | "date",
    readonly aware: boolean,
  ) {}
}
/** A module or class the expressions may reach: datetime, datetime.datetime, datetime.date, json. */
export class PyNamespace {
  constructor(readonly name: string) {}
}
/** A built-in function (md5, int, …) or a bound method, by name. */
export class PyCallable {
  constructor(
    readonly name: string,
    readonly self?: PyValue,
  ) {}
}
export type PyValue = null | boolean | string | bigint | number | PyValue[] | PyDict | PyDateTime | PyNamespace | PyCallable;

/** An evaluation error with Python's exception name (TypeError, ValueError, NameError, …). */
export class PyError extends Error {
  constructor(kind: string, message: string) {
    super(`${kind}: ${message}`);
  }
}

export function fromLossless(value: LosslessValue): PyValue {
  if (value instanceof LosslessNumber) return /^-?\d+$/.test(value.text) ? BigInt(value.text) : Number(value.text);
  if (Array.isArray(value)) return value.map(fromLossless);
  if (value !== null && typeof value === "object") {
    const map = new Map<string, PyValue>();
    for (const [k, v] of Object.entries(value)) map.set(k, fromLossless(v));
    return new PyDict(map);
  }
  return value;
}

/** Plain JSON (stream_map_config): integral numbers are ints. */
export function fromJson(value: unknown): PyValue {
  if (typeof value === "number") return Number.isInteger(value) ? BigInt(value) : value;
  if (Array.isArray(value)) return value.map(fromJson);
  if (value !== null && typeof value === "object") {
    const map = new Map<string, PyValue>();
    for (const [k, v] of Object.entries(value)) map.set(k, fromJson(v));
    return new PyDict(map);
  }
  if (typeof value === "string" || typeof value === "boolean" || value === null) return value;
  return null;
}

export function typeName(v: PyValue): string {
  if (v === null) return "NoneType";
  if (typeof v === "boolean") return "bool";
  if (typeof v === "string") return "str";
  if (typeof v === "bigint") return "int";
  if (typeof v === "number") return "float";
  if (Array.isArray(v)) return "list";
  if (v instanceof PyDict) return "dict";
  if (v instanceof PyDateTime) return v.kind;
  if (v instanceof PyNamespace) return "module";
  return "function";
}

export function truthy(v: PyValue): boolean {
  if (v === null || v === false) return false;
  if (v === true) return true;
  if (typeof v === "string") return v.length > 0;
  if (typeof v === "bigint") return v !== 0n;
  if (typeof v === "number") return v !== 0 && !Number.isNaN(v);
  if (Array.isArray(v)) return v.length > 0;
  if (v instanceof PyDict) return v.map.size > 0;
  return true;
}

/** Python's repr of a float: shortest round-trip digits, `.0` on integral values, two-digit exponents. */
export function floatRepr(x: number): string {
  if (Number.isNaN(x)) return "nan";
  if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf";
  const abs = Math.abs(x);
  if (abs !== 0 && (abs >= 1e16 || abs < 1e-4)) {
    const [mantissa, exp] = x.toExponential().split("e") as [string, string];
    const sign = exp.startsWith("-") ? "-" : "+";
    const digits = exp.replace(/^[+-]/, "");
    return `${mantissa}e${sign}${digits.padStart(2, "0")}`;
  }
  const text = String(x);
  return Number.isInteger(x) ? `${text}.0` : text;
}

/** Python's str() of a value. */
export function pyStr(v: PyValue): string {
  if (v === null) return "None";
  if (v === true) return "True";
  if (v === false) return "False";
  if (typeof v === "string") return v;
  if (typeof v === "bigint") return v.toString();
  if (typeof v === "number") return floatRepr(v);
  if (v instanceof PyDateTime) return isoformat(v, " ");
  return pyRepr(v);
}

export function pyRepr(v: PyValue): string {
  if (typeof v === "string") return `'${v.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(", ")}]`;
  if (v instanceof PyDict) return `{${[...v.map].map(([k, x]) => `${pyRepr(k)}: ${pyRepr(x)}`).join(", ")}}`;
  if (v instanceof PyNamespace) return `<${v.name}>`;
  if (v instanceof PyCallable) return `<function ${v.name}>`;
  return pyStr(v);
}

/** datetime.isoformat(): microseconds only when non-zero, +00:00 only for aware values. */
export function isoformat(v: PyDateTime, sep = "T"): string {
  const iso = new Date(v.ms).toISOString(); // YYYY-MM-DDTHH:MM:SS.mmmZ
  if (v.kind === "date") return iso.slice(0, 10);
  const millis = iso.slice(20, 23);
  const fraction = millis === "000" ? "" : `.${millis}000`;
  return `${iso.slice(0, 10)}${sep}${iso.slice(11, 19)}${fraction}${v.aware ? "+00:00" : ""}`;
}

/**
 * The JSON text of a computed value. Ints are written exactly; floats as Python's json.dumps writes them
 * (shortest round-trip digits, `3.0` for an integral float); datetimes as their isoformat string (what the
 * SDK's serializer writes). NaN and infinities have no JSON form and are an error.
 */
export function toJsonText(v: PyValue): string {
  if (v === null) return "null";
  if (typeof v === "boolean") return v ? "true" : "false";
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v === "bigint") return v.toString();
  if (typeof v === "number") {
    if (!Number.isFinite(v)) throw new PyError("ValueError", `${floatRepr(v)} cannot be written as JSON`);
    return floatRepr(v);
  }
  if (Array.isArray(v)) return `[${v.map(toJsonText).join(",")}]`;
  if (v instanceof PyDict) return `{${[...v.map].map(([k, x]) => `${JSON.stringify(k)}:${toJsonText(x)}`).join(",")}}`;
  if (v instanceof PyDateTime) return JSON.stringify(isoformat(v));
  throw new PyError("TypeError", `a ${typeName(v)} cannot be written as a record value`);
}
