import { describe, expect, it } from "vitest";
import { CursorRange } from "../../src/pipeline/cursor-range.js";

describe("CursorRange", () => {
  it("orders date-times as instants whatever their offset, and reports the values as sent", () => {
    const r = new CursorRange();
    for (const v of ["2024-01-02T01:00:00+02:00", "2024-01-01T23:30:00Z", "2024-01-02 00:15:00", "2024-01-01T22:00:00.5-02:00"]) r.note(v);
    // In UTC: 23:00, 23:30, 00:15 (next day; no offset = UTC), 00:00:00.5 (next day).
    expect([r.min, r.max]).toEqual(["2024-01-02T01:00:00+02:00", "2024-01-02 00:15:00"]);
  });

  it("orders numbers numerically and dates by day; ignores what is not a cursor", () => {
    const n = new CursorRange();
    for (const v of [10, 9, 100, null, "not a time", undefined, { a: 1 }]) n.note(v);
    expect([n.min, n.max]).toEqual([9, 100]);
    const d = new CursorRange();
    for (const v of ["2024-03-10", "2024-02-29", "2024-12-01"]) d.note(v);
    expect([d.min, d.max]).toEqual(["2024-02-29", "2024-12-01"]);
    const none = new CursorRange();
    none.note(null);
    expect([none.min, none.max]).toEqual([null, null]);
  });
});
