import { describe, expect, it } from "vitest";
import { airbyteChanges, changesJson, changesOf, nullifyText } from "../../src/schema/record-changes.js";

describe("nullify: the offending fields written as null, every other byte kept", () => {
  it("replaces values at top level, nested, in arrays, and ignores absent ones", () => {
    const text = `{"id":99999999999999999,"price":1.001,"items":[{"amount":12345678901234567.89},{"amount":"x"}],"name":"a"}`;
    expect(nullifyText(text, [["price"], ["items", "1", "amount"], ["missing"]])).toBe(
      `{"id":99999999999999999,"price":null,"items":[{"amount":12345678901234567.89},{"amount":null}],"name":"a"}`,
    );
  });

  it("takes the last of a repeated name and keys spelled with escapes, and covers paths inside a nulled value", () => {
    expect(nullifyText(`{"a":1, "a" : 2 ,"b":3}`, [["a"]])).toBe(`{"a":1, "a" : null ,"b":3}`);
    expect(nullifyText(`{"pr\\u0069ce":1.001}`, [["price"]])).toBe(`{"pr\\u0069ce":null}`);
    expect(nullifyText(`{"o":{"x":1,"y":2}}`, [["o"], ["o", "x"]])).toBe(`{"o":null}`);
  });

  it("records each change for _sdc_changes and in Airbyte's _airbyte_meta.changes shape", () => {
    const changes = changesOf([
      { path: ["price"], property: "price", rule: "multipleOf", kind: "constraint", message: "" },
      { path: ["items", "0", "at"], property: "items[].at", rule: "format", kind: "type", message: "" },
    ]);
    expect(JSON.parse(changesJson(changes))).toEqual([
      { field: "price", change: "NULLED", rule: "multipleOf", kind: "constraint" },
      { field: "items.0.at", change: "NULLED", rule: "format", kind: "type" },
    ]);
    expect(airbyteChanges(changes)).toEqual([
      { field: "price", change: "NULLED", reason: "DESTINATION_SERIALIZATION_ERROR" },
      { field: "items.0.at", change: "NULLED", reason: "DESTINATION_TYPECAST_ERROR" },
    ]);
  });
});
