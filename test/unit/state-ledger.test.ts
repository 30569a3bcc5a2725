import { describe, expect, it } from "vitest";
import { StateLedger } from "../../src/pipeline/state-ledger.js";

function ledger(): { l: StateLedger<string>; out: string[] } {
  const out: string[] = [];
  return { l: new StateLedger<string>((v) => out.push(v)), out };
}

describe("StateLedger", () => {
  it("emits a STATE at once when nothing is unstored", () => {
    const { l, out } = ledger();
    l.state(1, "a");
    expect(out).toEqual(["a"]);
    expect(l.emittedCount).toBe(1);
    expect(l.pendingCount).toBe(0);
  });

  it("holds a STATE until every unit with an earlier first record is settled", () => {
    const { l, out } = ledger();
    const u1 = l.register(2);
    const u2 = l.register(3);
    l.state(4, "s4");
    expect(out).toEqual([]);
    l.settle(u2);
    expect(out).toEqual([]);
    l.settle(u1);
    expect(out).toEqual(["s4"]);
  });

  it("a unit whose first record comes after the STATE does not hold it", () => {
    const { l, out } = ledger();
    l.register(10);
    l.state(5, "s5");
    expect(out).toEqual(["s5"]);
  });

  it("a STATE before an open unit leaves, the one after waits", () => {
    const { l, out } = ledger();
    l.state(1, "s1");
    const u = l.register(2);
    l.state(3, "s3");
    expect(out).toEqual(["s1"]);
    l.settle(u);
    expect(out).toEqual(["s1", "s3"]);
  });

  it("when several STATEs become releasable at once only the latest is emitted, each at most once", () => {
    const { l, out } = ledger();
    const u = l.register(1);
    l.state(2, "s2");
    l.state(3, "s3");
    l.state(4, "s4");
    expect(out).toEqual([]);
    expect(l.pendingCount).toBe(3);
    l.settle(u);
    expect(out).toEqual(["s4"]);
    l.settle(u); // settling twice changes nothing
    l.state(5, "s5");
    expect(out).toEqual(["s4", "s5"]);
  });

  it("releases in order: a later STATE never overtakes an earlier held one", () => {
    const { l, out } = ledger();
    const early = l.register(1);
    l.state(2, "s2");
    const late = l.register(3);
    l.state(4, "s4");
    l.settle(late); // s4 still waits for `early` (first record 1 < 4)
    expect(out).toEqual([]);
    l.settle(early);
    expect(out).toEqual(["s4"]);
  });

  it("releases partially: STATEs before the oldest open unit go, later ones wait", () => {
    const { l, out } = ledger();
    const a = l.register(1);
    l.state(2, "s2");
    const b = l.register(3);
    l.state(4, "s4");
    l.settle(a);
    expect(out).toEqual(["s2"]);
    expect(l.pendingCount).toBe(1);
    l.settle(b);
    expect(out).toEqual(["s2", "s4"]);
  });

  it("passes values through unchanged (the exact text of the STATE)", () => {
    const { l, out } = ledger();
    const text = `{"bookmark": 99999999999999999, "s":"\\u00e9"}`;
    l.state(1, text);
    expect(out[0]).toBe(text);
  });

  it("after fail() nothing is ever emitted, and pending STATEs are dropped", () => {
    const { l, out } = ledger();
    const u = l.register(1);
    l.state(2, "s2");
    l.fail();
    expect(l.pendingCount).toBe(0);
    l.settle(u);
    l.state(3, "s3");
    expect(out).toEqual([]);
    expect(l.emittedCount).toBe(0);
  });

  it("register returns distinct unit ids", () => {
    const { l } = ledger();
    const ids = new Set([l.register(1), l.register(1), l.register(2)]);
    expect(ids.size).toBe(3);
  });
});
