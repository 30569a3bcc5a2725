import { describe, expect, it } from "vitest";
import { columnsOf, ColumnCollisionError } from "../../src/schema/columns.js";
import { recordShaper } from "../../src/schema/shape-record.js";
import { jsonEncoder, type IncomingRecord } from "../../src/pipeline/record-encoder.js";
import { entryText } from "../../src/pipeline/spool-entry.js";

const props = {
  id: { type: "integer" },
  user: { type: "object", properties: { name: { type: "string" }, geo: { type: "object", properties: { lat: { type: "number" } } } } },
  tags: { type: "array", items: { type: "string" } },
};

function incoming(raw: string): IncomingRecord {
  return { record: JSON.parse(raw) as Record<string, unknown>, rawText: raw, timeExtracted: undefined, version: undefined };
}

describe("recordShaper (JSON formats with flattening or casing)", () => {
  it("flattens by path from the source text: big integers and decimals keep every digit", () => {
    const columns = columnsOf(props, { flatten: true, flattenMaxDepth: 3, nestedTypes: "json", headerFormat: null });
    expect(columns.map((c) => c.name)).toEqual(["id", "user__name", "user__geo__lat", "tags"]);
    const raw = `{"tags":["a"],"id":99999999999999999,"user":{"geo":{"lat":0.1000000000000000055511151231257827},"name":"\\u00e9\\n"}}`;
    const members = recordShaper(columns)(JSON.parse(raw), raw);
    expect(members).toEqual([
      ["id", "99999999999999999"],
      ["user__name", `"\\u00e9\\n"`],
      ["user__geo__lat", "0.1000000000000000055511151231257827"],
      ["tags", `["a"]`],
    ]);
  });

  it("leaves out missing values and children of a null parent", () => {
    const columns = columnsOf(props, { flatten: true, flattenMaxDepth: 3, nestedTypes: "json", headerFormat: null });
    const raw = `{"id":1,"user":null}`;
    expect(recordShaper(columns)(JSON.parse(raw), raw)).toEqual([["id", "1"]]);
  });

  it("keeps deeper levels as JSON text beyond flattening_max_depth", () => {
    const columns = columnsOf(props, { flatten: true, flattenMaxDepth: 1, nestedTypes: "json", headerFormat: null });
    expect(columns.map((c) => c.name)).toEqual(["id", "user__name", "user__geo", "tags"]);
    const raw = `{"id":1,"user":{"name":"n","geo":{"lat":12345678901234567890}}}`;
    expect(recordShaper(columns)(JSON.parse(raw), raw)).toContainEqual(["user__geo", `{"lat":12345678901234567890}`]);
  });

  it("renames with header casing", () => {
    const columns = columnsOf(
      { Id: { type: "integer" }, name: { type: "string" } },
      { flatten: false, flattenMaxDepth: 0, nestedTypes: "json", headerFormat: "upper" },
    );
    const raw = `{"name":"x","Id":18446744073709551616}`;
    expect(recordShaper(columns)(JSON.parse(raw), raw)).toEqual([
      ["ID", "18446744073709551616"],
      ["NAME", `"x"`],
    ]);
  });

  it("a collision after flattening names both paths", () => {
    expect(() =>
      columnsOf(
        { a__b: { type: "string" }, a: { type: "object", properties: { b: { type: "string" } } } },
        { flatten: true, flattenMaxDepth: 3, nestedTypes: "json", headerFormat: null },
      ),
    ).toThrow(ColumnCollisionError);
    expect(() =>
      columnsOf(
        { a__b: { type: "string" }, a: { type: "object", properties: { b: { type: "string" } } } },
        { flatten: true, flattenMaxDepth: 3, nestedTypes: "json", headerFormat: null },
      ),
    ).toThrow(/'a__b' and 'a.b'/);
  });

  it("the JSON encoder writes shaped records with metadata and keeps the tap's _sdc_deleted_at", () => {
    const columns = columnsOf(props, { flatten: true, flattenMaxDepth: 3, nestedTypes: "json", headerFormat: null });
    const raw = `{"id":99999999999999999,"user":{"name":"n"},"_sdc_deleted_at":"2020-01-01T00:00:00+02:00"}`;
    const line = entryText(jsonEncoder(true)({ ...incoming(raw), version: 7 }, 42, "2024-01-01T00:00:00.000Z", recordShaper(columns)));
    expect(line.endsWith("\n")).toBe(true);
    expect(line).toContain(`"id":99999999999999999`);
    expect(line).toContain(`"user__name":"n"`);
    expect(line).toContain(`"_sdc_deleted_at":"2020-01-01T00:00:00+02:00"`);
    expect(line).toContain(`"_sdc_sequence":42`);
    expect(line).toContain(`"_sdc_table_version":7`);
    expect(line).toContain(`"_sdc_batched_at":"2024-01-01T00:00:00.000Z"`);
  });

  it("the JSON encoder replaces a tap's own _sdc_sequence without re-serialising the record", () => {
    const raw = `{"_sdc_sequence":1,"v":99999999999999999,"d":1.10}`;
    const line = entryText(jsonEncoder(true)(incoming(raw), 5, "2024-01-01T00:00:00.000Z", undefined));
    expect(line).toContain(`"v":99999999999999999`);
    expect(line).toContain(`"d":1.10`);
    expect(line).toContain(`"_sdc_sequence":5`);
    expect(line.match(/_sdc_sequence/g)).toHaveLength(1);
    expect(line).toContain(`"_sdc_deleted_at":null`);
  });
});
