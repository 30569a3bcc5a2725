/**
 * Checks a stream's SCHEMA can be used at all, before anything walks it recursively (hashing, columns, ajv):
 * its nesting depth and `$ref` cycles that never reach a value. Both are measured without recursion, so a
 * hostile SCHEMA gets one sentence instead of a stack overflow.
 */

/**
 * JSON nesting levels of a SCHEMA (objects and arrays). 256 levels allow 127 levels of nested object properties
 * (each is a `properties` map and a schema); DuckDB's Parquet conversion fails past ~150 (max_expression_depth),
 * and no tap sends anything near it.
 */
export const MAX_SCHEMA_DEPTH = 256;

/** The JSON nesting depth of a value (a scalar is 0, `{}` is 1), without recursion. */
export function jsonDepth(value: unknown): number {
  let deepest = 0;
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (typeof node !== "object" || node === null) continue;
    const level = depth + 1;
    if (level > deepest) deepest = level;
    for (const child of Array.isArray(node) ? node : Object.values(node)) if (typeof child === "object" && child !== null) stack.push([child, level]);
  }
  return deepest;
}

/** Applicators that apply a subschema to the same value: a `$ref` loop through only these never ends. */
const IN_PLACE_LISTS = ["allOf", "anyOf", "oneOf"];
const IN_PLACE_SINGLE = ["not", "if", "then", "else"];
/** Applicators that move to a member or item of the value, with how the property path changes. */
const NAMED_MAPS = ["properties"];
const OTHER_MAPS = ["patternProperties", "dependentSchemas"];
const ITEM_KEYS = ["items", "prefixItems", "additionalItems", "contains", "unevaluatedItems"];
const MEMBER_KEYS = ["additionalProperties", "unevaluatedProperties", "propertyNames"];

type Schema = Record<string, unknown>;
const isSchema = (x: unknown): x is Schema => typeof x === "object" && x !== null && !Array.isArray(x);

/** The schema a local `$ref` ("#", "#/definitions/a") points to; undefined for remote or unresolvable ones. */
function resolveRef(root: Schema, ref: string): Schema | undefined {
  if (ref === "#") return root;
  if (!ref.startsWith("#/")) return undefined;
  let at: unknown = root;
  for (const raw of ref.slice(2).split("/")) {
    let part: string;
    try {
      part = decodeURIComponent(raw).replace(/~1/g, "/").replace(/~0/g, "~");
    } catch {
      return undefined;
    }
    if (typeof at !== "object" || at === null) return undefined;
    at = (at as Record<string, unknown>)[part];
  }
  return isSchema(at) ? at : undefined;
}

function inPlaceChildren(root: Schema, node: Schema): Array<{ schema: Schema; via: string }> {
  const out: Array<{ schema: Schema; via: string }> = [];
  const ref = node["$ref"];
  if (typeof ref === "string") {
    const target = resolveRef(root, ref);
    if (target) out.push({ schema: target, via: `$ref '${ref}'` });
  }
  for (const key of IN_PLACE_LISTS) {
    const list = node[key];
    if (Array.isArray(list)) for (const s of list) if (isSchema(s)) out.push({ schema: s, via: key });
  }
  for (const key of IN_PLACE_SINGLE) if (isSchema(node[key])) out.push({ schema: node[key], via: key });
  return out;
}

/** The `$ref` that closes a loop of in-place applicators starting at `start`, if there is one. */
function inPlaceLoop(root: Schema, start: Schema): string | undefined {
  // Iterative depth-first search with an on-path set: a node met again while still on the path closes a loop.
  const onPath = new Set<Schema>();
  const done = new Set<Schema>();
  const stack: Array<{ node: Schema; children: Array<{ schema: Schema; via: string }>; next: number }> = [];
  const enter = (node: Schema): void => {
    onPath.add(node);
    stack.push({ node, children: inPlaceChildren(root, node), next: 0 });
  };
  enter(start);
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const child = top.children[top.next++];
    if (!child) {
      onPath.delete(top.node);
      done.add(top.node);
      stack.pop();
      continue;
    }
    if (onPath.has(child.schema)) return child.via;
    if (!done.has(child.schema)) enter(child.schema);
  }
  return undefined;
}

/** Every subschema reachable from the root (following local `$ref`s), each with the property path that reaches it. */
function* reachable(root: Schema): Generator<{ schema: Schema; path: string }> {
  const seen = new Set<Schema>();
  const queue: Array<{ schema: Schema; path: string }> = [{ schema: root, path: "" }];
  const join = (path: string, name: string): string => (path ? `${path}.${name}` : name);
  for (let i = 0; i < queue.length; i++) {
    const { schema, path } = queue[i]!;
    if (seen.has(schema)) continue;
    seen.add(schema);
    yield { schema, path };
    for (const { schema: s } of inPlaceChildren(root, schema)) queue.push({ schema: s, path });
    for (const key of NAMED_MAPS) {
      const map = schema[key];
      if (isSchema(map)) for (const [name, s] of Object.entries(map)) if (isSchema(s)) queue.push({ schema: s, path: join(path, name) });
    }
    for (const key of OTHER_MAPS) {
      const map = schema[key];
      if (isSchema(map)) for (const s of Object.values(map)) if (isSchema(s)) queue.push({ schema: s, path });
    }
    for (const key of [...ITEM_KEYS, ...MEMBER_KEYS]) {
      const sub = schema[key];
      const list = Array.isArray(sub) ? sub : [sub];
      for (const s of list) if (isSchema(s)) queue.push({ schema: s, path: ITEM_KEYS.includes(key) ? join(path, "[]") : path });
    }
  }
}

/** Throws one sentence when the SCHEMA is nested too deeply or has a `$ref` loop that never reaches a value. */
export function checkSchemaLimits(schema: unknown): void {
  const depth = jsonDepth(schema);
  if (depth > MAX_SCHEMA_DEPTH) {
    throw new Error(
      `it is nested ${depth} levels deep and at most ${MAX_SCHEMA_DEPTH} are supported (about ${(MAX_SCHEMA_DEPTH >> 1) - 1} levels of nested objects): ` +
        'declare the deep part as a plain "object" without properties, which is kept as JSON',
    );
  }
  if (!isSchema(schema)) return;
  for (const { schema: node, path } of reachable(schema)) {
    const via = inPlaceLoop(schema, node);
    if (via === undefined) continue;
    const where = path ? `property '${path}'` : "the record schema";
    throw new Error(
      `${where} refers to itself through ${via} without describing any value (a $ref cycle): point the reference at a schema that describes the value`,
    );
  }
}
