/**
 * Wide objects, split for ajv. ajv compiles an object's properties into one function with one nested block per
 * property: past ~1,800 properties V8 overflows its stack parsing it ("Maximum call stack size exceeded" at the
 * first record, "cannot be compiled" at 3,000), and a function that size is never optimised anyway. Real
 * Salesforce, NetSuite and HubSpot schemas have 1,000–5,000 properties, so objects wider than WIDE_CHUNK are
 * rewritten into an `allOf` of `$ref`s to chunks of their properties (ajv compiles each referenced schema into its
 * own function when `inlineRefs` is off). The rewrite validates exactly the same records; ajv reports the
 * schemaPath of an error inside a chunk relative to the chunk (`#/properties/<name>/type`), which is the SCHEMA's
 * own path for a wide top-level object and relative to the object for a nested one.
 */
export const WIDE_CHUNK = 200;

/** Prefix of the chunk names added to the root's `definitions`. */
const CHUNK_PREFIX = "target-s3-wide-";

type Schema = Record<string, unknown>;
const isSchema = (x: unknown): x is Schema => typeof x === "object" && x !== null && !Array.isArray(x);

const SUB_LISTS = ["allOf", "anyOf", "oneOf", "prefixItems", "items"];
const SUB_MAPS = ["properties", "patternProperties", "definitions", "$defs", "dependentSchemas"];
const SUB_SINGLE = ["items", "additionalItems", "additionalProperties", "not", "if", "then", "else", "contains", "propertyNames"];

/** Splits (in place) every object with more than WIDE_CHUNK properties; `root` must be the caller's own copy. */
export function splitWideObjects(root: Schema): Schema {
  const wide: Schema[] = [];
  // Iterative walk (depth is bounded by schema-limits.ts, but a walk without recursion needs no such argument).
  const stack: Schema[] = [root];
  while (stack.length > 0) {
    const node = stack.pop()!;
    // A nested $id changes what "#/definitions/…" means below it: leave such parts as they are.
    if (node !== root && node["$id"] !== undefined) continue;
    const props = node["properties"];
    if (isSchema(props) && Object.keys(props).length > WIDE_CHUNK) wide.push(node);
    for (const key of SUB_MAPS) {
      const map = node[key];
      if (isSchema(map)) for (const s of Object.values(map)) if (isSchema(s)) stack.push(s);
    }
    for (const key of SUB_LISTS) {
      const list = node[key];
      if (Array.isArray(list)) for (const s of list) if (isSchema(s)) stack.push(s);
    }
    for (const key of SUB_SINGLE) if (isSchema(node[key])) stack.push(node[key]);
  }
  if (wide.length === 0) return root;
  const definitions = isSchema(root["definitions"]) ? root["definitions"] : (root["definitions"] = {});
  let next = 0;
  for (const node of wide) {
    const props = node["properties"] as Schema;
    const names = Object.keys(props);
    const refs: Schema[] = [];
    for (let start = 0; start < names.length; start += WIDE_CHUNK) {
      let name = `${CHUNK_PREFIX}${next++}`;
      while (name in definitions) name = `${CHUNK_PREFIX}${next++}`;
      const chunk: Schema = {};
      for (const n of names.slice(start, start + WIDE_CHUNK)) chunk[n] = props[n];
      definitions[name] = { properties: chunk };
      refs.push({ $ref: `#/definitions/${name}` });
    }
    // The names stay (as `true`) so additionalProperties/unevaluatedProperties still see them as declared.
    node["properties"] = Object.fromEntries(names.map((n) => [n, true]));
    node["allOf"] = [...(Array.isArray(node["allOf"]) ? (node["allOf"] as unknown[]) : []), ...refs];
  }
  return root;
}
