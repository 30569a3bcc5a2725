/**
 * The functions, methods and modules stream map expressions may call: the Singer SDK's set (int, float, str,
 * bool, md5, datetime, json) plus len and sha256, and the common str / dict / datetime methods.
 */
import { createHash } from "node:crypto";
import { PyCallable, PyDateTime, PyDict, PyError, PyNamespace, fromJson, isoformat, pyStr, toJsonText, truthy, typeName, type PyValue } from "./py-value.js";

export const FUNCTIONS = new Set(["int", "float", "str", "bool", "len", "md5", "sha256"]);
export const MODULES = new Set(["datetime", "json"]);

/** What the SDK offers that this target refuses, with the sentence said when an expression uses it. */
export const REFUSED: Record<string, string> = {
  fake: "Faker-generated values ('fake') are not supported by target-s3: mask with md5()/sha256() or drop the property with null",
  Faker: "Faker ('Faker') is not supported by target-s3: mask with md5()/sha256() or drop the property with null",
  rand: "random numbers ('rand') are not supported by target-s3: a re-run must write the same values",
  randint: "random numbers ('randint') are not supported by target-s3: a re-run must write the same values",
};

export function callFunction(name: string, args: PyValue[]): PyValue {
  const arg = (i: number): PyValue => {
    if (i >= args.length) throw new PyError("TypeError", `${name}() takes at least ${i + 1} argument(s)`);
    return args[i] ?? null;
  };
  switch (name) {
    case "int":
      return toInt(arg(0));
    case "float":
      return toFloat(arg(0));
    case "str":
      return args.length === 0 ? "" : pyStr(arg(0));
    case "bool":
      return args.length === 0 ? false : truthy(arg(0));
    case "len":
      return BigInt(length(arg(0)));
    case "md5":
    case "sha256": {
      const s = arg(0);
      if (typeof s !== "string") throw new PyError("TypeError", `${name}() takes a string, not ${typeName(s)} (wrap the value in str())`);
      return createHash(name).update(s, "utf8").digest("hex");
    }
  }
  throw new PyError("NameError", `function '${name}' is not available`);
}

function toInt(v: PyValue): bigint {
  if (typeof v === "bigint") return v;
  if (typeof v === "boolean") return v ? 1n : 0n;
  if (typeof v === "number") {
    if (!Number.isFinite(v)) throw new PyError("ValueError", `cannot convert float ${v} to integer`);
    return BigInt(Math.trunc(v));
  }
  if (typeof v === "string") {
    const t = v.trim().replace(/(\d)_(?=\d)/g, "$1");
    if (!/^[+-]?\d+$/.test(t)) throw new PyError("ValueError", `invalid literal for int() with base 10: '${v}'`);
    return BigInt(t);
  }
  throw new PyError("TypeError", `int() argument must be a string or a number, not '${typeName(v)}'`);
}

function toFloat(v: PyValue): number {
  if (typeof v === "number") return v;
  if (typeof v === "bigint") return Number(v);
  if (typeof v === "boolean") return v ? 1 : 0;
  if (typeof v === "string") {
    const t = v.trim().toLowerCase();
    if (/^[+-]?(inf|infinity)$/.test(t)) return t.startsWith("-") ? -Infinity : Infinity;
    if (/^[+-]?nan$/.test(t)) return NaN;
    if (!/^[+-]?(\d[\d_]*\.?[\d_]*|\.\d[\d_]*)(e[+-]?\d+)?$/.test(t)) throw new PyError("ValueError", `could not convert string to float: '${v}'`);
    return Number(t.replace(/_/g, ""));
  }
  throw new PyError("TypeError", `float() argument must be a string or a number, not '${typeName(v)}'`);
}

function length(v: PyValue): number {
  if (typeof v === "string") return [...v].length;
  if (Array.isArray(v)) return v.length;
  if (v instanceof PyDict) return v.map.size;
  throw new PyError("TypeError", `object of type '${typeName(v)}' has no len()`);
}

/** `obj.name` without a call: dict keys (as simpleeval allows), datetime fields, module members. */
export function getAttribute(obj: PyValue, name: string): PyValue {
  if (name.startsWith("_")) throw new PyError("AttributeError", `access to '${name}' is not allowed`);
  if (obj instanceof PyDict && obj.map.has(name)) return obj.map.get(name) ?? null;
  if (obj instanceof PyNamespace) {
    const member = `${obj.name}.${name}`;
    if (["datetime.datetime", "datetime.date"].includes(member)) return new PyNamespace(member);
    if (
      [
        "datetime.datetime.now",
        "datetime.datetime.utcnow",
        "datetime.datetime.fromisoformat",
        "datetime.date.today",
        "datetime.date.fromisoformat",
        "json.dumps",
        "json.loads",
      ].includes(member)
    ) {
      return new PyCallable(member);
    }
    throw new PyError("AttributeError", `'${obj.name}' has no attribute '${name}' available in stream maps`);
  }
  if (obj instanceof PyDateTime) {
    const d = new Date(obj.ms);
    const fields: Record<string, number> = { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
    if (obj.kind === "datetime") Object.assign(fields, { hour: d.getUTCHours(), minute: d.getUTCMinutes(), second: d.getUTCSeconds() });
    if (name in fields) return BigInt(fields[name] ?? 0);
  }
  if (methodsOf(obj).has(name)) return new PyCallable(name, obj);
  throw new PyError("AttributeError", `'${typeName(obj)}' object has no attribute '${name}'`);
}

const STR_METHODS = new Set([
  "lower",
  "upper",
  "strip",
  "lstrip",
  "rstrip",
  "split",
  "replace",
  "startswith",
  "endswith",
  "title",
  "capitalize",
  "find",
  "count",
  "join",
  "isdigit",
  "zfill",
]);
const DICT_METHODS = new Set(["get", "keys", "values", "items"]);
const DATETIME_METHODS = new Set(["isoformat", "date", "timestamp"]);

function methodsOf(obj: PyValue): Set<string> {
  if (typeof obj === "string") return STR_METHODS;
  if (obj instanceof PyDict) return DICT_METHODS;
  if (obj instanceof PyDateTime) return DATETIME_METHODS;
  return new Set();
}

export function callCallable(fn: PyValue, args: PyValue[]): PyValue {
  if (!(fn instanceof PyCallable)) throw new PyError("TypeError", `'${typeName(fn)}' object is not callable`);
  if (fn.self === undefined) return fn.name.includes(".") ? callModule(fn.name, args) : callFunction(fn.name, args);
  const self = fn.self;
  if (typeof self === "string") return strMethod(self, fn.name, args);
  if (self instanceof PyDict) return dictMethod(self, fn.name, args);
  if (self instanceof PyDateTime) return dateTimeMethod(self, fn.name);
  throw new PyError("AttributeError", `'${typeName(self)}' object has no attribute '${fn.name}'`);
}

function str(v: PyValue | undefined, method: string): string {
  if (typeof v !== "string") throw new PyError("TypeError", `${method}() argument must be str, not ${typeName(v ?? null)}`);
  return v;
}

function strip(s: string, chars: PyValue | undefined, left: boolean, right: boolean): string {
  const set = chars === undefined || chars === null ? " \t\n\r\f\v" : str(chars, "strip");
  let a = 0;
  let b = s.length;
  while (left && a < b && set.includes(s[a] ?? "")) a++;
  while (right && b > a && set.includes(s[b - 1] ?? "")) b--;
  return s.slice(a, b);
}

function strMethod(s: string, name: string, args: PyValue[]): PyValue {
  const [a, b] = args;
  switch (name) {
    case "lower":
      return s.toLowerCase();
    case "upper":
      return s.toUpperCase();
    case "strip":
      return strip(s, a, true, true);
    case "lstrip":
      return strip(s, a, true, false);
    case "rstrip":
      return strip(s, a, false, true);
    case "split": {
      const max = typeof b === "bigint" ? Number(b) : -1;
      if (a === undefined || a === null) {
        const parts = s
          .trim()
          .split(/\s+/)
          .filter((p) => p !== "");
        return max < 0 || parts.length <= max + 1 ? parts : [...parts.slice(0, max), s.trim().split(/\s+/).slice(max).join(" ")];
      }
      const sep = str(a, "split");
      if (sep === "") throw new PyError("ValueError", "empty separator");
      const parts = s.split(sep);
      return max < 0 || parts.length <= max + 1 ? parts : [...parts.slice(0, max), parts.slice(max).join(sep)];
    }
    case "replace":
      return s.split(str(a, "replace")).join(str(b, "replace"));
    case "startswith":
    case "endswith": {
      const options = Array.isArray(a) ? a : [a];
      return options.some((o) => (name === "startswith" ? s.startsWith(str(o, name)) : s.endsWith(str(o, name))));
    }
    case "title":
      return s.toLowerCase().replace(/(^|[^A-Za-z])([a-z])/g, (_m, p: string, c: string) => p + c.toUpperCase());
    case "capitalize":
      return s.charAt(0).toUpperCase() + s.slice(1).toLowerCase();
    case "find":
      return BigInt(s.indexOf(str(a, "find")));
    case "count": {
      const sub = str(a, "count");
      return BigInt(sub === "" ? s.length + 1 : s.split(sub).length - 1);
    }
    case "join": {
      if (!Array.isArray(a)) throw new PyError("TypeError", "join() takes a list of strings");
      return a.map((x) => str(x, "join")).join(s);
    }
    case "isdigit":
      return s.length > 0 && /^\d+$/.test(s);
    case "zfill": {
      const width = typeof a === "bigint" ? Number(a) : 0;
      const sign = /^[+-]/.test(s) ? s[0] : "";
      return sign + s.slice(sign ? 1 : 0).padStart(width - (sign ? 1 : 0), "0");
    }
  }
  throw new PyError("AttributeError", `'str' object has no attribute '${name}'`);
}

function dictMethod(d: PyDict, name: string, args: PyValue[]): PyValue {
  switch (name) {
    case "get": {
      const key = args[0];
      return typeof key === "string" && d.map.has(key) ? (d.map.get(key) ?? null) : (args[1] ?? null);
    }
    case "keys":
      return [...d.map.keys()];
    case "values":
      return [...d.map.values()];
    case "items":
      return [...d.map].map(([k, v]) => [k, v]);
  }
  throw new PyError("AttributeError", `'dict' object has no attribute '${name}'`);
}

function dateTimeMethod(v: PyDateTime, name: string): PyValue {
  switch (name) {
    case "isoformat":
      return isoformat(v);
    case "date":
      return new PyDateTime(v.ms - (((v.ms % 86_400_000) + 86_400_000) % 86_400_000), "date", false);
    case "timestamp":
      return v.ms / 1000;
  }
  throw new PyError("AttributeError", `'${v.kind}' object has no attribute '${name}'`);
}

function callModule(name: string, args: PyValue[]): PyValue {
  switch (name) {
    case "datetime.datetime.now":
    case "datetime.datetime.utcnow":
      return new PyDateTime(Date.now(), "datetime", false);
    case "datetime.date.today": {
      const now = Date.now();
      return new PyDateTime(now - (now % 86_400_000), "date", false);
    }
    case "datetime.datetime.fromisoformat":
    case "datetime.date.fromisoformat":
      return parseIso(str(args[0], "fromisoformat"), name === "datetime.date.fromisoformat" ? "date" : "datetime");
    case "json.dumps":
      return toJsonText(args[0] ?? null).replace(/","|":"|",|":|,"/g, (m) => m.replace(",", ", ").replace(":", ": "));
    case "json.loads":
      try {
        return fromJson(JSON.parse(str(args[0], "loads")));
      } catch (error) {
        if (error instanceof PyError) throw error;
        throw new PyError("ValueError", `json.loads: ${(error as Error).message}`);
      }
  }
  throw new PyError("NameError", `'${name}' is not available`);
}

function parseIso(text: string, kind: "datetime" | "date"): PyDateTime {
  const m = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?)(Z|[+-]\d{2}:?\d{2})?)?$/.exec(text.trim());
  if (!m || (kind === "date" && m[2] !== undefined)) throw new PyError("ValueError", `Invalid isoformat string: '${text}'`);
  const zone = m[3] === undefined ? "Z" : m[3];
  const ms = Date.parse(`${m[1]}T${m[2] ?? "00:00:00"}${zone}`);
  if (Number.isNaN(ms)) throw new PyError("ValueError", `Invalid isoformat string: '${text}'`);
  return new PyDateTime(ms, kind, m[3] !== undefined);
}
