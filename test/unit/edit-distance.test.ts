import { describe, expect, it } from "vitest";
import { editDistance, nearest } from "../../src/edit-distance.js";

describe("editDistance / nearest", () => {
  it("counts insertions, deletions and substitutions", () => {
    expect(editDistance("", "")).toBe(0);
    expect(editDistance("file_typ", "file_type")).toBe(1);
    expect(editDistance("regoin", "region")).toBe(2);
    expect(editDistance("kitten", "sitting")).toBe(3);
    expect(editDistance("abc", "")).toBe(3);
  });

  it("finds the nearest candidate, the first on ties", () => {
    expect(nearest("strem_name", ["stream_id", "stream_name"])).toEqual({ candidate: "stream_name", distance: 1 });
    expect(nearest("ab", ["ax", "ay"])).toEqual({ candidate: "ax", distance: 1 });
    expect(nearest("x", [])).toBeUndefined();
  });
});
