// Wide and deep SCHEMAs (issue 15 item 5): 10,000 properties validate; deep or self-referencing schemas get one
// sentence instead of "Maximum call stack size exceeded".
import { describe, expect, it } from "vitest";
import { parseCatalog } from "../../src/protocol/airbyte.js";
import { stableJson } from "../../src/pipeline/stream-plan.js";
import { checkSchemaLimits, jsonDepth, MAX_SCHEMA_DEPTH } from "../../src/schema/schema-limits.js";
import { compileValidator } from "../../src/schema/validator.js";
import { splitWideObjects, WIDE_CHUNK } from "../../src/schema/wide-schema.js";

/** A SaaS-shaped flat schema (nullable scalars, every type and format) and a record matching it. */
function wide(n: number): { schema: Record<string, unknown>; record: Record<string, unknown> } {
  const kinds = [
    [{ type: ["null", "string"] }, 'Acme "Corp"'],
    [{ type: ["null", "integer"] }, 9007199254740993],
    [{ type: ["null", "number"] }, 302.28],
    [{ type: ["null", "boolean"] }, true],
    [{ type: ["null", "string"], format: "date-time" }, "2024-01-01T10:00:00Z"],
  ] as const;
  const properties: Record<string, unknown> = {};
  const record: Record<string, unknown> = {};
  for (let i = 0; i < n; i++) {
    const [schema, value] = kinds[i % kinds.length]!;
    properties[`Field_${i}__c`] = schema;
    record[`Field_${i}__c`] = value;
  }
  return { schema: { type: "object", properties, additionalProperties: false, required: ["Field_0__c"] }, record };
}

/** A chain of `levels` nested objects `{a: {a: … "x"}}` and its schema, built without recursion. */
function deep(levels: number): { schema: Record<string, unknown>; record: unknown } {
  let schema: Record<string, unknown> = { type: ["null", "string"] };
  let record: unknown = "x";
  for (let i = 0; i < levels; i++) {
    schema = { type: ["null", "object"], properties: { a: schema } };
    record = { a: record };
  }
  return { schema, record };
}

describe("wide schemas validate", () => {
  it("1,800 and 10,000 properties compile and check records, naming the failing property as sent", () => {
    for (const n of [1_800, 10_000]) {
      const { schema, record } = wide(n);
      const check = compileValidator(schema);
      expect(check(record)).toBeUndefined();
      const last = `Field_${n - 1}__c`; // a date-time column in the last chunk
      expect(check({ ...record, [last]: "2024-02-30T10:00:00Z" })).toBe(
        `property '${last}' must match format "date-time" (schema rule 'format' at #/properties/${last}/format)`,
      );
      expect(check({ ...record, Field_1__c: 1.5 })).toMatch(
        /^property 'Field_1__c' must be null,integer \(schema rule 'type' at #\/properties\/Field_1__c\/type\)$/,
      );
      expect(check({ ...record, extra: 1 })).toMatch(/must NOT have additional properties/);
      const { Field_0__c: _dropped, ...missing } = record;
      expect(check(missing)).toMatch(/^required property 'Field_0__c' is missing/);
    }
  });

  it("a wide nested object is split too and keeps its rules (additionalProperties, patternProperties, required)", () => {
    const { schema: inner, record } = wide(3 * WIDE_CHUNK + 7);
    const schema = { type: "object", properties: { id: { type: "integer" }, account: { ...inner, patternProperties: { "^x_": { type: "integer" } } } } };
    const check = compileValidator(schema);
    expect(check({ id: 1, account: record })).toBeUndefined();
    expect(check({ id: 1, account: { ...record, x_1: 2 } })).toBeUndefined();
    expect(check({ id: 1, account: { ...record, x_1: "2" } })).toMatch(/^property 'account\.x_1' must be integer/);
    expect(check({ id: 1, account: { ...record, y: 2 } })).toMatch(/must NOT have additional properties/);
    expect(check({ id: 1, account: { ...record, Field_601__c: "no" } })).toBe(
      // ajv gives the rule's path inside the split-off chunk: relative to the object.
      "property 'account.Field_601__c' must be null,integer (schema rule 'type' at #/properties/Field_601__c/type)",
    );
  });

  it("splitting leaves narrow schemas alone and splits wide ones into chunks of WIDE_CHUNK", () => {
    const narrow = { type: "object", properties: { a: { type: "string" } } };
    expect(splitWideObjects(structuredClone(narrow))).toEqual(narrow);
    const split = splitWideObjects({ ...structuredClone(wide(WIDE_CHUNK + 1).schema), definitions: { "target-s3-wide-0": { type: "string" } } });
    expect(Object.keys(split["definitions"] as object)).toEqual(["target-s3-wide-0", "target-s3-wide-1", "target-s3-wide-2"]);
    expect(split["allOf"]).toEqual([{ $ref: "#/definitions/target-s3-wide-1" }, { $ref: "#/definitions/target-s3-wide-2" }]);
    expect(Object.keys(split["properties"] as object)).toHaveLength(WIDE_CHUNK + 1);
  });
});

describe("deep schemas", () => {
  it("stableJson handles a 5,000-level schema (it overflowed the stack)", () => {
    const { schema } = deep(5_000);
    let expected = '{"type":["null","string"]}';
    for (let i = 0; i < 5_000; i++) expected = `{"properties":{"a":${expected}},"type":["null","object"]}`;
    expect(stableJson(schema)).toBe(expected);
    expect(stableJson({ b: [1, { d: null, c: "x" }], a: undefined })).toBe('{"a":null,"b":[1,{"c":"x","d":null}]}');
  });

  it("measures JSON depth without recursion", () => {
    expect(jsonDepth(1)).toBe(0);
    expect(jsonDepth({})).toBe(1);
    expect(jsonDepth({ a: [{ b: [] }] })).toBe(4);
    expect(jsonDepth(deep(100_000).schema)).toBe(200_002);
  });

  it("refuses a schema deeper than the limit with one sentence, accepts one at the limit", () => {
    expect(() => checkSchemaLimits(deep(300).schema)).toThrow(/^it is nested 602 levels deep and at most 256 are supported/);
    expect(() => checkSchemaLimits(deep(5_000).schema)).toThrow(/levels deep/);
    const atLimit = { type: "object", properties: { a: deep(126).schema } };
    expect(jsonDepth(atLimit)).toBeLessThanOrEqual(MAX_SCHEMA_DEPTH);
    expect(() => checkSchemaLimits(atLimit)).not.toThrow();
  });
});

describe("$ref cycles", () => {
  const cases: Array<[string, Record<string, unknown>, string]> = [
    ["a definition referring to itself", { definitions: { a: { $ref: "#/definitions/a" } }, properties: { x: { $ref: "#/definitions/a" } } }, "property 'x'"],
    [
      "two definitions referring to each other",
      {
        definitions: { a: { $ref: "#/definitions/b" }, b: { $ref: "#/definitions/a" } },
        properties: { p: { type: "object", properties: { x: { $ref: "#/definitions/a" } } } },
      },
      "property 'p.x'",
    ],
    [
      "allOf containing itself",
      { $defs: { a: { allOf: [{ type: "object" }, { $ref: "#/$defs/a" }] } }, properties: { x: { $ref: "#/$defs/a" } } },
      "property 'x'",
    ],
    [
      "an array's items",
      { definitions: { a: { anyOf: [{ $ref: "#/definitions/a" }] } }, properties: { list: { type: "array", items: { $ref: "#/definitions/a" } } } },
      "property 'list.[]'",
    ],
    ["the root", { allOf: [{ $ref: "#" }], properties: { x: { type: "string" } } }, "the record schema"],
  ];
  it.each(cases)("%s is refused naming the property", (_name, schema, where) => {
    expect(() => checkSchemaLimits({ type: "object", ...schema })).toThrow(
      new RegExp(`^${where.replace(/[.[\]]/g, "\\$&")} refers to itself through .*\\(a \\$ref cycle\\)`),
    );
  });

  it("recursive structures that nest (a tree, a self-referencing root) are accepted and validate", () => {
    const tree = {
      type: "object",
      definitions: { node: { type: "object", properties: { v: { type: "integer" }, child: { $ref: "#/definitions/node" } } } },
      properties: { tree: { $ref: "#/definitions/node" } },
    };
    expect(() => checkSchemaLimits(tree)).not.toThrow();
    const check = compileValidator(tree);
    expect(check({ tree: { v: 1, child: { v: 2, child: {} } } })).toBeUndefined();
    expect(check({ tree: { v: 1, child: { v: "2" } } })).toMatch(/tree\.child\.v/);
    expect(() => checkSchemaLimits({ type: "object", properties: { x: { $ref: "#" } } })).not.toThrow();
    expect(() =>
      checkSchemaLimits({ type: "object", definitions: { loop: { $ref: "#/definitions/loop" } }, properties: { x: { type: "string" } } }),
    ).not.toThrow();
  });
});

describe("Airbyte catalogs", () => {
  it("a json_schema nested past the limit is a catalog problem, not a stack overflow in normalisation", () => {
    const catalog = { streams: [{ stream: { name: "tree", json_schema: deep(2_000).schema }, destination_sync_mode: "append" }] };
    expect(() => parseCatalog(catalog, "catalog.json")).toThrow(/streams\[0\]\.stream\.json_schema: is nested 4002 levels deep and at most 256 are supported/);
    const ok = {
      streams: [{ stream: { name: "tree", json_schema: { type: "object", properties: { a: deep(100).schema } } }, destination_sync_mode: "append" }],
    };
    expect(parseCatalog(ok, "catalog.json")).toHaveLength(1);
  });
});
