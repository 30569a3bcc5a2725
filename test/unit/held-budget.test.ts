import { describe, expect, it } from "vitest";
import { fitHeldBudget, type HeldBatch, type OpenBatch } from "../../src/pipeline/held-budget.js";

const MiB = 1 << 20;

/** A batch holding `spool` releasable bytes and `part` bytes that only closing frees. */
function batch(name: string, lastLine: number, spool: number, part: number, events: string[]): OpenBatch<HeldBatch & { spool: number }> {
  const b = {
    lastLine,
    spool,
    get heldBytes() {
      return this.spool + part;
    },
    release() {
      events.push(`release ${name}`);
      this.spool = 0;
    },
  };
  return { batch: b, close: () => events.push(`close ${name}`) };
}

describe("fitHeldBudget", () => {
  it("does nothing within the budget", () => {
    const events: string[] = [];
    expect(fitHeldBudget([batch("a", 1, 2 * MiB, 0, events)], 10 * MiB, 10 * MiB)).toEqual({ released: 0, closed: 0 });
    expect(events).toEqual([]);
  });

  it("lets the least recently written release first and stops as soon as the rest fits", () => {
    const events: string[] = [];
    const open = [batch("new", 30, 2 * MiB, 0, events), batch("old", 10, 2 * MiB, 0, events), batch("mid", 20, 2 * MiB, 0, events)];
    // 3 × 2 MiB here plus 3 MiB in the batch being written: 9 MiB against 6.
    expect(fitHeldBudget(open, 9 * MiB, 6 * MiB)).toEqual({ released: 2, closed: 0 });
    expect(events).toEqual(["release old", "release mid"]);
  });

  it("closes in the same order when releasing is not enough", () => {
    const events: string[] = [];
    const open = [batch("b", 20, 2 * MiB, 8 * MiB, events), batch("a", 10, 2 * MiB, 8 * MiB, events), batch("c", 30, 0, 8 * MiB, events)];
    expect(fitHeldBudget(open, 30 * MiB + 5 * MiB, 16 * MiB)).toEqual({ released: 3, closed: 2 });
    expect(events).toEqual(["release a", "release b", "release c", "close a", "close b"]);
  });
});
