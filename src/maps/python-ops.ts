/** Python's operators over PyValues: arithmetic, comparison, equality, membership. */
import type { BinOp, CmpOp } from "./expression-parser.js";
import { PyDateTime, PyDict, PyError, typeName, type PyValue } from "./py-value.js";

type Num = bigint | number;

function asNum(v: PyValue): Num | undefined {
  if (typeof v === "boolean") return v ? 1n : 0n;
  if (typeof v === "bigint" || typeof v === "number") return v;
  return undefined;
}

function unsupported(op: string, a: PyValue, b: PyValue): PyError {
  return new PyError("TypeError", `unsupported operand type(s) for ${op}: '${typeName(a)}' and '${typeName(b)}'`);
}

export function binary(op: BinOp, a: PyValue, b: PyValue): PyValue {
  const x = asNum(a);
  const y = asNum(b);
  if (x !== undefined && y !== undefined) return numeric(op, x, y);
  if (op === "+") {
    if (typeof a === "string" && typeof b === "string") return a + b;
    if (Array.isArray(a) && Array.isArray(b)) return [...a, ...b];
  }
  if (op === "*") {
    if (typeof a === "string" && typeof y === "bigint") return a.repeat(Math.max(0, Number(y)));
    if (typeof x === "bigint" && typeof b === "string") return b.repeat(Math.max(0, Number(x)));
  }
  if (op === "%" && typeof a === "string") throw new PyError("TypeError", "string formatting with % is not supported: use str() and +");
  throw unsupported(op, a, b);
}

function numeric(op: BinOp, x: Num, y: Num): PyValue {
  if (typeof x === "bigint" && typeof y === "bigint") {
    switch (op) {
      case "+":
        return x + y;
      case "-":
        return x - y;
      case "*":
        return x * y;
      case "/":
        if (y === 0n) throw new PyError("ZeroDivisionError", "division by zero");
        return Number(x) / Number(y);
      case "//": {
        if (y === 0n) throw new PyError("ZeroDivisionError", "integer division or modulo by zero");
        const q = x / y;
        return x % y !== 0n && x < 0n !== y < 0n ? q - 1n : q;
      }
      case "%": {
        if (y === 0n) throw new PyError("ZeroDivisionError", "integer division or modulo by zero");
        return ((x % y) + y) % y;
      }
      case "**":
        return y >= 0n ? x ** y : Number(x) ** Number(y);
    }
  }
  const a = Number(x);
  const b = Number(y);
  switch (op) {
    case "+":
      return a + b;
    case "-":
      return a - b;
    case "*":
      return a * b;
    case "/":
      if (b === 0) throw new PyError("ZeroDivisionError", "float division by zero");
      return a / b;
    case "//":
      if (b === 0) throw new PyError("ZeroDivisionError", "float floor division by zero");
      return Math.floor(a / b);
    case "%":
      if (b === 0) throw new PyError("ZeroDivisionError", "float modulo");
      return a - b * Math.floor(a / b);
    case "**":
      return a ** b;
  }
}

export function equals(a: PyValue, b: PyValue): boolean {
  const x = asNum(a);
  const y = asNum(b);
  if (x !== undefined && y !== undefined)
    return typeof x === typeof y ? x === y : Number(x) === Number(y) && (typeof x === "number" ? Number.isInteger(x) : Number.isInteger(y));
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => equals(v, b[i] ?? null));
  if (a instanceof PyDict && b instanceof PyDict) {
    if (a.map.size !== b.map.size) return false;
    for (const [k, v] of a.map) if (!b.map.has(k) || !equals(v, b.map.get(k) ?? null)) return false;
    return true;
  }
  if (a instanceof PyDateTime && b instanceof PyDateTime) return a.ms === b.ms && a.kind === b.kind;
  return a === b;
}

function order(op: string, a: PyValue, b: PyValue): number {
  const x = asNum(a);
  const y = asNum(b);
  if (x !== undefined && y !== undefined) {
    if (typeof x === "bigint" && typeof y === "bigint") return x < y ? -1 : x > y ? 1 : 0;
    const p = Number(x);
    const q = Number(y);
    return p < q ? -1 : p > q ? 1 : p === q ? 0 : NaN;
  }
  if (typeof a === "string" && typeof b === "string") return a < b ? -1 : a > b ? 1 : 0;
  if (a instanceof PyDateTime && b instanceof PyDateTime) return a.ms - b.ms;
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      if (!equals(a[i] ?? null, b[i] ?? null)) return order(op, a[i] ?? null, b[i] ?? null);
    }
    return a.length - b.length;
  }
  throw new PyError("TypeError", `'${op}' not supported between instances of '${typeName(a)}' and '${typeName(b)}'`);
}

export function contains(container: PyValue, item: PyValue): boolean {
  if (typeof container === "string") {
    if (typeof item !== "string") throw new PyError("TypeError", `'in <string>' requires string as left operand, not ${typeName(item)}`);
    return container.includes(item);
  }
  if (Array.isArray(container)) return container.some((v) => equals(v, item));
  if (container instanceof PyDict) return typeof item === "string" && container.map.has(item);
  throw new PyError("TypeError", `argument of type '${typeName(container)}' is not iterable`);
}

export function compare(op: CmpOp, a: PyValue, b: PyValue): boolean {
  switch (op) {
    case "==":
      return equals(a, b);
    case "!=":
      return !equals(a, b);
    case "is":
      return a === b || (a === null && b === null);
    case "is not":
      return !(a === b || (a === null && b === null));
    case "in":
      return contains(b, a);
    case "not in":
      return !contains(b, a);
    case "<":
      return order(op, a, b) < 0;
    case "<=":
      return order(op, a, b) <= 0;
    case ">":
      return order(op, a, b) > 0;
    case ">=":
      return order(op, a, b) >= 0;
  }
}
