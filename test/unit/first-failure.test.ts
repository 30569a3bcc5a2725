import { describe, expect, it } from "vitest";
import { FirstFailure } from "../../src/pipeline/first-failure.js";

describe("FirstFailure", () => {
  it("keeps only the first error and rethrows it", async () => {
    const f = new FirstFailure();
    expect(f.happened).toBe(false);
    expect(() => f.throwIfAny()).not.toThrow();
    const first = new Error("first");
    expect(f.record(first)).toBe(true);
    expect(f.record(new Error("second"))).toBe(false);
    expect(f.happened).toBe(true);
    expect(f.error).toBe(first);
    expect(() => f.throwIfAny()).toThrow(first);
    await expect(f.rejection()).rejects.toBe(first);
  });

  it("counts a thrown undefined as a failure", () => {
    const f = new FirstFailure();
    expect(f.record(undefined)).toBe(true);
    expect(f.happened).toBe(true);
    expect(f.record(new Error("later"))).toBe(false);
  });
});
