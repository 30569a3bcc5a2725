import { describe, expect, it } from "vitest";
import { rawFieldText } from "../../src/protocol/raw-record.js";

describe("rawFieldText: the exact source text of a top-level field's value", () => {
  it("returns the value's text unchanged: big integers, decimals, escapes, whitespace inside", () => {
    const line = `{"type": "RECORD", "stream": "s", "record": {"id": 99999999999999999, "x": 1.10, "s": "a\\u0041\\"b"}}`;
    expect(rawFieldText(line, "record")).toBe(`{"id": 99999999999999999, "x": 1.10, "s": "a\\u0041\\"b"}`);
    expect(rawFieldText(line, "stream")).toBe(`"s"`);
    expect(rawFieldText(line, "type")).toBe(`"RECORD"`);
  });

  it("finds scalars, arrays, null, booleans and numbers", () => {
    const line = `{"a":[1,[2,{"b":"]"}]],"n":null,"t":true,"f":false,"x":-1.5e+300,"o":{}}`;
    expect(rawFieldText(line, "a")).toBe(`[1,[2,{"b":"]"}]]`);
    expect(rawFieldText(line, "n")).toBe("null");
    expect(rawFieldText(line, "t")).toBe("true");
    expect(rawFieldText(line, "f")).toBe("false");
    expect(rawFieldText(line, "x")).toBe("-1.5e+300");
    expect(rawFieldText(line, "o")).toBe("{}");
  });

  it("is not fooled by braces, quotes or the field name inside strings", () => {
    const line = `{"stream":"x\\"record\\": {","record":{"k":"}{][\\\\","q":"\\\\\\""},"value":1}`;
    expect(JSON.parse(line)).toBeTruthy();
    expect(rawFieldText(line, "record")).toBe(`{"k":"}{][\\\\","q":"\\\\\\""}`);
    expect(JSON.parse(rawFieldText(line, "record")!)).toEqual(JSON.parse(line).record);
    expect(rawFieldText(line, "value")).toBe("1");
  });

  it("does not look into nested objects: only top-level fields count", () => {
    const line = `{"record":{"value":5},"other":{"value":6}}`;
    expect(rawFieldText(line, "value")).toBeUndefined();
  });

  it("the last occurrence of a repeated field wins, as in JSON.parse", () => {
    const line = `{"value":1,"value":{"a":2}}`;
    expect(rawFieldText(line, "value")).toBe(`{"a":2}`);
    expect(JSON.parse(line).value).toEqual({ a: 2 });
  });

  it("matches field names written with escapes", () => {
    expect(rawFieldText(`{"re\\u0063ord":{"a":1}}`, "record")).toBe(`{"a":1}`);
  });

  it("handles whitespace anywhere JSON allows it (spaces, tabs, \\r, \\n)", () => {
    const line = ` \t{ "type" :\t"STATE" ,\r\n "value" : { "b" : 99999999999999999 } \n} `;
    expect(JSON.parse(line)).toBeTruthy();
    expect(rawFieldText(line, "value")).toBe(`{ "b" : 99999999999999999 }`);
    expect(rawFieldText(line, "type")).toBe(`"STATE"`);
  });

  it("a number directly followed by } or , ends there", () => {
    expect(rawFieldText(`{"value":12}`, "value")).toBe("12");
    expect(rawFieldText(`{"value":12,"x":1}`, "value")).toBe("12");
  });

  it("returns undefined when the field is absent or the text is not an object", () => {
    expect(rawFieldText(`{"a":1}`, "record")).toBeUndefined();
    expect(rawFieldText(`{}`, "record")).toBeUndefined();
    expect(rawFieldText(`[{"record":1}]`, "record")).toBeUndefined();
    expect(rawFieldText(`"record"`, "record")).toBeUndefined();
  });

  it("keeps non-ASCII text and raw control characters in strings as sent", () => {
    const line = `{"record":{"s":"日本 😀 \\u0000 é"}}`;
    expect(rawFieldText(line, "record")).toBe(`{"s":"日本 😀 \\u0000 é"}`);
  });

  it("agrees with JSON.parse on every field of real Singer lines", () => {
    const lines = [
      `{"type": "SCHEMA", "stream": "test:SpecialChars!in?attributes", "schema": {"type": "object", "properties": {"_id": {"type": "string"}}}, "key_properties": ["_id"]}`,
      `{"type": "RECORD", "stream": "t", "record": {"_id": "a2e98886", "d": {"env": "prod", "agent:type": "desktop"}}, "version": 1541199424491, "time_extracted": "2018-11-02T22:57:04.841020Z"}`,
      `{"type": "STATE", "value": {"bookmarks": {"t": {"since": "2020-01-01T00:00:00Z"}}}}`,
    ];
    for (const line of lines) {
      const parsed = JSON.parse(line) as Record<string, unknown>;
      for (const [k, v] of Object.entries(parsed)) expect(JSON.parse(rawFieldText(line, k)!)).toEqual(v);
    }
  });
});
