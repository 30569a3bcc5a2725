// Stream maps as the Singer SDK applies them: SCHEMA derivation, record transforms, aliases, copies, filters,
// key properties, __else__, and the config problems found before any input is read.
import { describe, expect, it } from "vitest";
import { ConfigError, InputError } from "../../src/errors.js";
import { readMapsConfig, streamMatches } from "../../src/maps/map-config.js";
import { StreamMapper } from "../../src/maps/stream-mapper.js";
import type { SchemaMessage } from "../../src/protocol/singer.js";

const USERS: SchemaMessage = {
  type: "SCHEMA",
  stream: "users",
  schema: {
    type: "object",
    properties: {
      id: { type: "integer" },
      email: { type: ["null", "string"] },
      amount: { type: "number" },
      big: { type: "integer" },
      name: { type: "string" },
    },
    required: ["id", "email"],
  },
  keyProperties: ["id"],
  bookmarkProperties: ["amount"],
};
const RAW = '{"id":1,"email":"a@b.com","amount":12345678901234567.89,"big":99999999999999999,"name":"Ann"}';

function mapper(streamMaps: Record<string, unknown>, config: Record<string, unknown> = {}): StreamMapper {
  return new StreamMapper(readMapsConfig(streamMaps), config);
}
function mapRecord(m: StreamMapper, raw = RAW, stream = "users") {
  return m.record(stream, JSON.parse(raw) as Record<string, unknown>, () => raw, 7);
}

describe("stream maps: schema", () => {
  it("removes a property, types computed ones, keeps keys, required and bookmarks consistent", () => {
    const m = mapper({ users: { email: null, email_hash: "md5(email)", doubled: "amount * 2", is_big: "amount >= 10", n: "int(amount)", label: "'x'" } });
    const [out] = m.schema(USERS);
    expect(out?.stream).toBe("users");
    expect(Object.keys(out?.schema.properties ?? {})).toEqual(["id", "amount", "big", "name", "email_hash", "doubled", "is_big", "n", "label"]);
    expect(out?.schema.properties).toMatchObject({
      email_hash: { type: "string" },
      doubled: { type: "number" },
      is_big: { type: "boolean" },
      n: { type: "integer" },
      label: { type: "string" },
    });
    expect(out?.schema["required"]).toEqual(["id"]);
    expect(out?.keyProperties).toEqual(["id"]);
    expect(out?.bookmarkProperties).toEqual(["amount"]);
  });

  it("types a replaced property from the expression, else keeps its schema; unknown new ones are strings (SDK rule)", () => {
    const m = mapper({ users: { id: "str(id)", name: "name", other: "record.get('x', 1) if id else 2" } });
    const props = m.schema(USERS)[0]?.schema.properties;
    expect(props?.["id"]).toEqual({ type: "string" });
    expect(props?.["name"]).toEqual({ type: "string" });
    expect(props?.["other"]).toEqual({ type: "string" });
  });

  it("__else__: null keeps only key properties and mapped ones; __key_properties__ replaces the key", () => {
    const m = mapper({ users: { id: null, id_hash: "md5(str(id))", email: "email", __else__: null, __key_properties__: ["id_hash"] } });
    const [out] = m.schema(USERS);
    expect(Object.keys(out?.schema.properties ?? {})).toEqual(["id_hash", "email"]);
    expect(out?.keyProperties).toEqual(["id_hash"]);
    expect(out?.schema.properties["email"]).toEqual({ type: ["null", "string"] });
  });

  it("__alias__ renames; __source__ adds a copy; null removes a stream; top-level __else__ removes unnamed streams", () => {
    const m = mapper({ users: { __alias__: "people" }, users_pii: { __source__: "users", id: "id", email: "email", __else__: null }, orders: null });
    expect(m.schema(USERS).map((s) => s.stream)).toEqual(["people", "users_pii"]);
    expect(m.schema({ ...USERS, stream: "orders" })).toEqual([]);
    expect(m.schema({ ...USERS, stream: "other" }).map((s) => s.stream)).toEqual(["other"]);
    const only = mapper({ users: {}, __else__: null });
    expect(only.schema({ ...USERS, stream: "other" })).toEqual([]);
    expect(only.schema(USERS).map((s) => s.stream)).toEqual(["users"]);
  });

  it("matches stream names with globs as fnmatch does", () => {
    expect(streamMatches("public-users", "public-*")).toBe(true);
    expect(streamMatches("public-users", "public-use?s")).toBe(true);
    expect(streamMatches("public-users", "private-*")).toBe(false);
    expect(streamMatches("a.b", "a?b")).toBe(true);
    expect(streamMatches("axb", "a.b")).toBe(false);
    const m = mapper({ "user*": { email: null } });
    expect(Object.keys(m.schema(USERS)[0]?.schema.properties ?? {})).not.toContain("email");
  });

  it("refuses to remove a key property, or a key property missing from the mapped stream", () => {
    expect(() => mapper({ users: { id: null } }).schema(USERS)).toThrow(
      /removing key property 'id' of stream 'users' is not permitted: set __key_properties__/,
    );
    expect(() => mapper({ users: { __key_properties__: ["nope"] } }).schema(USERS)).toThrow(
      /key property 'nope' of stream 'users' is not in the mapped stream/,
    );
  });
});

describe("stream maps: records", () => {
  it("untouched properties keep their exact text; computed ones are added in order; removed ones are gone", () => {
    const m = mapper({ users: { email: null, email_hash: "md5(email)", amount: "amount", half: "big / 2", big1: "big + 1" } });
    m.schema(USERS);
    const [out] = mapRecord(m) ?? [];
    expect(out?.rawText).toBe(
      '{"id":1,"amount":12345678901234567.89,"big":99999999999999999,"name":"Ann","email_hash":"357a20e8c56e69d6f9734d23ef9517e8","half":5e+16,"big1":100000000000000000}',
    );
    expect(out?.record["email_hash"]).toBe("357a20e8c56e69d6f9734d23ef9517e8");
  });

  it("filters records, and copies a stream to several outputs", () => {
    const m = mapper({ users: { __filter__: "amount >= 10" }, small: { __source__: "users", __filter__: "amount < 10", name: "name.upper()" } });
    m.schema(USERS);
    const high = mapRecord(m) ?? [];
    expect(high.map((r) => r.stream)).toEqual(["users"]);
    expect(high[0]?.rawText).toBeUndefined(); // unchanged: the input text is used as is
    const low = mapRecord(m, '{"id":2,"email":null,"amount":9.99,"big":1,"name":"bo"}') ?? [];
    expect(low.map((r) => [r.stream, r.rawText])).toEqual([["small", '{"id":2,"email":null,"amount":9.99,"big":1,"name":"BO"}']]);
  });

  it("gives `config` from stream_map_config and `self` for the property's own value", () => {
    const m = mapper({ users: { email: "md5(config['seed'] + self)", name: "self.lower()" } }, { seed: "s" });
    m.schema(USERS);
    const [out] = mapRecord(m) ?? [];
    expect(out?.record).toMatchObject({ name: "ann" });
    expect(out?.record["email"]).toMatch(/^[0-9a-f]{32}$/);
  });

  it("a failing expression names the stream, the expression and the input line", () => {
    const m = mapper({ users: { x: "name + 1" } });
    m.schema(USERS);
    let error: unknown;
    try {
      mapRecord(m);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toBe(
      `line 7: stream_maps for stream 'users': expression "name + 1" failed on this record (TypeError: unsupported operand type(s) for +: 'str' and 'int'): fix the expression or the record`,
    );
  });

  it("a record of a stream without SCHEMA is left to the router", () => {
    expect(mapRecord(mapper({ users: { email: null } }))).toBeUndefined();
  });
});

describe("stream maps: configuration", () => {
  it("lists every problem at once, refusing what target-s3 does not support", () => {
    let error: unknown;
    try {
      readMapsConfig({
        users: { email_fake: "fake.email()", bad: "md5(", n: 5, __unknown__: "x", __filter__: 3 },
        __else__: "keep",
        orders: "something",
        rnd: { r: "rand()" },
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems).toEqual([
      "stream_maps.users.email_fake: expression \"fake.email()\": Faker-generated values ('fake') are not supported by target-s3: mask with md5()/sha256() or drop the property with null",
      'stream_maps.users.bad: cannot parse expression "md5(": unexpected end of expression at character 5',
      'stream_maps.users.n: must be an expression string, or null to remove the property (got 5; a constant is written as a string, e.g. "5" or "\'text\'")',
      "stream_maps.users.__unknown__: '__unknown__' is not a stream map option (the options are __alias__, __source__, __filter__, __key_properties__, __else__)",
      'stream_maps.users.__filter__: must be an expression string, e.g. "amount >= 10"',
      "stream_maps.__else__: only null is supported (remove every stream not named in stream_maps)",
      'stream_maps.orders: a stream\'s map must be an object of property rules, or null to remove the stream (got "something")',
      "stream_maps.rnd.r: expression \"rand()\": random numbers ('rand') are not supported by target-s3: a re-run must write the same values",
    ]);
  });

  it("accepts the SDK's __NULL__ spelling of null", () => {
    const m = mapper({ users: { email: "__NULL__" }, orders: "__NULL__" });
    expect(Object.keys(m.schema(USERS)[0]?.schema.properties ?? {})).not.toContain("email");
    expect(m.schema({ ...USERS, stream: "orders" })).toEqual([]);
  });
});
