/**
 * The JSON Schema of a computed property. First the Singer SDK's text rules (an expression that starts with
 * `float(`, `int(`, `str(`, `bool(`, a quoted literal, or is `record`); then what the expression's syntax tree
 * says for sure (md5() is a string, a comparison a boolean, integer + integer an integer, a property its own
 * schema); last the SDK's fallback: the property's existing schema, else string.
 */
import type { JsonSchema } from "../protocol/singer.js";
import type { Node } from "./expression-parser.js";
import { PyDict, type PyValue } from "./py-value.js";

export interface TypeContext {
  /** The source stream's properties. */
  properties: Record<string, JsonSchema>;
  rawSchema: JsonSchema;
  /** The schema the mapped property has now (transformed, else source), if any. */
  existing: JsonSchema | undefined;
  config: PyValue;
}

const STRING = { type: "string" };

export function expressionSchema(text: string, node: Node, ctx: TypeContext): JsonSchema {
  const expr = text.trim();
  if (expr === "record") return structuredClone(ctx.rawSchema);
  if (expr.startsWith("float(")) return { type: "number" };
  if (expr.startsWith("int(")) return { type: "integer" };
  if (expr.startsWith("str(")) return { ...STRING };
  if (expr.startsWith("bool(")) return { type: "boolean" };
  if (/^'.*'$/s.test(expr)) return { ...STRING };
  return infer(node, ctx) ?? (ctx.existing ? structuredClone(ctx.existing) : (propertyNamed(expr, ctx) ?? { ...STRING }));
}

function propertyNamed(name: string, ctx: TypeContext): JsonSchema | undefined {
  const schema = Object.hasOwn(ctx.properties, name) ? ctx.properties[name] : undefined;
  return schema === undefined ? undefined : structuredClone(schema);
}

function valueSchema(v: PyValue | undefined): JsonSchema | undefined {
  if (v === undefined) return undefined;
  if (v === null) return { type: "null" };
  if (typeof v === "boolean") return { type: "boolean" };
  if (typeof v === "string") return { ...STRING };
  if (typeof v === "bigint") return { type: "integer" };
  if (typeof v === "number") return { type: "number" };
  if (Array.isArray(v)) return { type: "array" };
  if (v instanceof PyDict) return { type: "object" };
  return undefined;
}

/** The one non-null JSON type of a schema, if it has one. */
function baseType(schema: JsonSchema | undefined): string | undefined {
  const t = schema?.["type"];
  const types = (Array.isArray(t) ? t : [t]).filter((x) => x !== "null");
  return types.length === 1 && typeof types[0] === "string" ? types[0] : undefined;
}

const STRING_RESULT = new Set(["lower", "upper", "strip", "lstrip", "rstrip", "replace", "title", "capitalize", "join", "zfill", "isoformat"]);

function infer(node: Node, ctx: TypeContext): JsonSchema | undefined {
  switch (node.k) {
    case "lit":
      return valueSchema(node.v);
    case "name":
      if (node.id === "self") return ctx.existing ? structuredClone(ctx.existing) : undefined;
      if (node.id === "record" || node.id === "_") return structuredClone(ctx.rawSchema);
      return propertyNamed(node.id, ctx);
    case "index":
    case "attr": {
      const key = node.k === "attr" ? node.name : node.index.k === "lit" && typeof node.index.v === "string" ? node.index.v : undefined;
      if (key === undefined || node.obj.k !== "name") return undefined;
      if (node.obj.id === "record" || node.obj.id === "_") return propertyNamed(key, ctx);
      if (node.obj.id === "config" && ctx.config instanceof PyDict) return valueSchema(ctx.config.map.get(key));
      return undefined;
    }
    case "call":
      return callSchema(node, ctx);
    case "unary": {
      const t = baseType(infer(node.x, ctx));
      return t === "integer" || t === "number" ? { type: t } : t === "boolean" ? { type: "integer" } : undefined;
    }
    case "not":
    case "cmp":
      return { type: "boolean" };
    case "bin": {
      const l = baseType(infer(node.l, ctx));
      const r = baseType(infer(node.r, ctx));
      const numeric = (t: string | undefined): boolean => t === "integer" || t === "number" || t === "boolean";
      if (numeric(l) && numeric(r)) {
        if (node.op === "/") return { type: "number" };
        return l === "number" || r === "number" ? { type: "number" } : { type: "integer" };
      }
      if (node.op === "+" && l === "string" && r === "string") return { ...STRING };
      return undefined;
    }
    case "bool":
      return union(infer(node.l, ctx), infer(node.r, ctx));
    case "cond":
      return union(infer(node.then, ctx), infer(node.else, ctx));
    case "list":
      return { type: "array" };
    case "dict":
      return { type: "object" };
    case "slice":
      return baseType(infer(node.obj, ctx)) === "string" ? { ...STRING } : undefined;
  }
}

function callSchema(node: Extract<Node, { k: "call" }>, ctx: TypeContext): JsonSchema | undefined {
  const fn = node.fn;
  if (fn.k === "name") {
    const byName: Record<string, JsonSchema> = {
      int: { type: "integer" },
      float: { type: "number" },
      str: STRING,
      bool: { type: "boolean" },
      len: { type: "integer" },
      md5: STRING,
      sha256: STRING,
    };
    const s = byName[fn.id];
    return s ? { ...s } : undefined;
  }
  if (fn.k !== "attr") return undefined;
  const path = dotted(fn);
  if (path === "datetime.datetime.now" || path === "datetime.datetime.utcnow" || path === "datetime.datetime.fromisoformat")
    return { type: "string", format: "date-time" };
  if (path === "datetime.date.today" || path === "datetime.date.fromisoformat") return { type: "string", format: "date" };
  if (path === "json.dumps") return { ...STRING };
  if (STRING_RESULT.has(fn.name)) return { ...STRING };
  if (fn.name === "split") return { type: "array", items: { type: "string" } };
  if (fn.name === "find" || fn.name === "count") return { type: "integer" };
  if (fn.name === "startswith" || fn.name === "endswith" || fn.name === "isdigit") return { type: "boolean" };
  if (fn.name === "timestamp") return { type: "number" };
  if (fn.name === "get" && fn.obj.k === "name" && (fn.obj.id === "record" || fn.obj.id === "_")) {
    const key = node.args[0];
    if (key?.k === "lit" && typeof key.v === "string") {
      const s = propertyNamed(key.v, ctx);
      return s ? union(s, { type: "null" }) : undefined;
    }
  }
  return undefined;
}

function dotted(node: Node): string | undefined {
  if (node.k === "name") return node.id;
  if (node.k === "attr") {
    const base = dotted(node.obj);
    return base === undefined ? undefined : `${base}.${node.name}`;
  }
  return undefined;
}

/** Two simple schemas as one: their JSON types together (a nested or formatted schema only when both are equal). */
function union(a: JsonSchema | undefined, b: JsonSchema | undefined): JsonSchema | undefined {
  if (!a || !b) return undefined;
  if (JSON.stringify(a) === JSON.stringify(b)) return a;
  const types = (s: JsonSchema): unknown[] => (Array.isArray(s["type"]) ? (s["type"] as unknown[]) : [s["type"]]);
  const all = [...new Set([...types(a), ...types(b)])];
  if (all.some((t) => typeof t !== "string")) return undefined;
  const simple = (s: JsonSchema): boolean => Object.keys(s).every((k) => k === "type");
  if (simple(a) && simple(b)) return { type: all };
  // A nullable version of one schema (e.g. a property or None).
  const [base, other] = simple(a) ? [b, a] : [a, b];
  if (simple(other) && types(other).every((t) => t === "null" || types(base).includes(t))) return { ...base, type: all };
  return undefined;
}
