import { describe, expect, it } from "vitest";
import { skipValue } from "../../src/protocol/json-scan.js";

const tricky = [
  `{}`,
  `[]`,
  `{"a":"}","b":"{[","c":["]",{"d":"\\\\"}],"e":"\\"}"}`,
  `[1,-2.5e3,true,false,null,"x\\\\\\"]",{"y":[[],{}]}]`,
  `{"k\\"{":"v\\\\","nested":{"deeper":{"deepest":[{"s":"\\u007d"}]}}}`,
  `{ "spaced" : [ 1 , { "o" : "}" } ] }`,
  `{"unicode":"é日本🙂","esc":"\\n\\t\\/"}`,
];

describe("skipValue over objects and arrays", () => {
  it("ends right after the value, whatever brackets and quotes its strings hold", () => {
    for (const value of tricky) {
      expect(JSON.parse(value)).toBeDefined();
      const text = `{"before":1,"v":${value},"after":"]}"}`;
      const start = text.indexOf(value);
      expect(skipValue(text, start), value).toBe(start + value.length);
    }
  });

  it("gives the same answer inside long texts, and for huge values", () => {
    const pad = "z".repeat(70_000);
    for (const value of tricky) {
      const long = value.startsWith("{")
        ? `{"pad":"${pad}",${value.slice(1) === "}" ? `"x":0}` : value.slice(1)}`
        : `["${pad}",${value.slice(1) === "]" ? "0]" : value.slice(1)}`;
      expect(JSON.parse(long)).toBeDefined();
      const text = `${long},"after":"}"`;
      expect(skipValue(text, 0)).toBe(long.length);
    }
    // A million strings in one array (a regex skipping them in one match would overflow its backtracking stack).
    const huge = `[${Array.from({ length: 1_000_000 }, (_, i) => `"s${i}"`).join(",")}]`;
    expect(skipValue(huge + ",1", 0)).toBe(huge.length);
  });
});
