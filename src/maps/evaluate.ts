/** Evaluates a parsed stream map expression against one record's names. */
import { callCallable, FUNCTIONS, getAttribute, MODULES } from "./builtins.js";
import type { Node } from "./expression-parser.js";
import { binary, compare } from "./python-ops.js";
import { PyCallable, PyDict, PyError, PyNamespace, truthy, typeName, type PyValue } from "./py-value.js";

/** Names visible to an expression: the record's properties, `record`, `_`, `config`, `self`. */
export interface Names {
  has(name: string): boolean;
  get(name: string): PyValue | undefined;
}

export function evaluate(node: Node, names: Names): PyValue {
  switch (node.k) {
    case "lit":
      return node.v;
    case "name":
      return lookup(node.id, names);
    case "list":
      return node.items.map((n) => evaluate(n, names));
    case "dict": {
      const map = new Map<string, PyValue>();
      for (const [k, v] of node.entries) {
        const key = evaluate(k, names);
        if (typeof key !== "string") throw new PyError("TypeError", `dict keys must be strings here, not ${typeName(key)}`);
        map.set(key, evaluate(v, names));
      }
      return new PyDict(map);
    }
    case "attr":
      return getAttribute(evaluate(node.obj, names), node.name);
    case "index":
      return index(evaluate(node.obj, names), evaluate(node.index, names));
    case "slice":
      return slice(node, names);
    case "call": {
      const fn = evaluate(node.fn, names);
      return callCallable(
        fn,
        node.args.map((a) => evaluate(a, names)),
      );
    }
    case "unary": {
      const x = evaluate(node.x, names);
      return node.op === "-" ? binary("-", 0n, x) : binary("+", 0n, x);
    }
    case "not":
      return !truthy(evaluate(node.x, names));
    case "bin":
      return binary(node.op, evaluate(node.l, names), evaluate(node.r, names));
    case "bool": {
      const l = evaluate(node.l, names);
      if (node.op === "and") return truthy(l) ? evaluate(node.r, names) : l;
      return truthy(l) ? l : evaluate(node.r, names);
    }
    case "cmp": {
      let left = evaluate(node.first, names);
      for (const { op, r } of node.rest) {
        const right = evaluate(r, names);
        if (!compare(op, left, right)) return false;
        left = right;
      }
      return true;
    }
    case "cond":
      return truthy(evaluate(node.test, names)) ? evaluate(node.then, names) : evaluate(node.else, names);
  }
}

function lookup(id: string, names: Names): PyValue {
  if (names.has(id)) return names.get(id) ?? null;
  if (FUNCTIONS.has(id)) return new PyCallable(id);
  if (MODULES.has(id)) return new PyNamespace(id);
  throw new PyError("NameError", `name '${id}' is not defined (a property the record does not have? use record.get('${id}'))`);
}

function position(len: number, i: PyValue): number {
  if (typeof i !== "bigint" && typeof i !== "boolean") throw new PyError("TypeError", `indices must be integers, not ${typeName(i)}`);
  const n = Number(i);
  return n < 0 ? len + n : n;
}

function index(obj: PyValue, key: PyValue): PyValue {
  if (obj instanceof PyDict) {
    if (typeof key !== "string" || !obj.map.has(key)) throw new PyError("KeyError", typeof key === "string" ? `'${key}'` : String(key));
    return obj.map.get(key) ?? null;
  }
  if (typeof obj === "string" || Array.isArray(obj)) {
    const items = typeof obj === "string" ? [...obj] : obj;
    const at = position(items.length, key);
    if (at < 0 || at >= items.length) throw new PyError("IndexError", `${typeName(obj)} index out of range`);
    return items[at] ?? null;
  }
  throw new PyError("TypeError", `'${typeName(obj)}' object is not subscriptable`);
}

function slice(node: Extract<Node, { k: "slice" }>, names: Names): PyValue {
  const obj = evaluate(node.obj, names);
  if (typeof obj !== "string" && !Array.isArray(obj)) throw new PyError("TypeError", `'${typeName(obj)}' object is not subscriptable`);
  const items = typeof obj === "string" ? [...obj] : obj;
  const len = items.length;
  const step = node.step ? Number(evaluate(node.step, names)) : 1;
  if (step === 0) throw new PyError("ValueError", "slice step cannot be zero");
  const bound = (n: Node | undefined, dflt: number): number => {
    if (!n) return dflt;
    const v = evaluate(n, names);
    if (v === null) return dflt;
    const p = position(len, v);
    return step > 0 ? Math.min(Math.max(p, 0), len) : Math.min(Math.max(p, -1), len - 1);
  };
  const lo = bound(node.lo, step > 0 ? 0 : len - 1);
  const hi = bound(node.hi, step > 0 ? len : -1);
  const out: PyValue[] = [];
  for (let i = lo; step > 0 ? i < hi : i > hi; i += step) out.push(items[i] ?? null);
  return typeof obj === "string" ? out.join("") : out;
}
