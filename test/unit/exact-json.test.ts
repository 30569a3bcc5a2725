import { describe, expect, it } from "vitest";
import { parseExact } from "../../src/formats/exact-json.js";
import { LosslessNumber } from "../../src/schema/lossless-json.js";

/** mulberry32, so the property check is the same on every run. */
function prng(seed: number): (k: number) => number {
  let a = seed;
  return (k) => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * k);
  };
}

describe("parseExact", () => {
  it("every number's text survives, whichever parser it picks (100,000 random JSON number tokens)", () => {
    const rnd = prng(7);
    const digits = (k: number): string => Array.from({ length: k }, () => rnd(10)).join("");
    const lost: string[] = [];
    for (let i = 0; i < 100_000; i++) {
      const int = rnd(3) === 0 ? "0" : String(1 + rnd(9)) + digits(rnd(20));
      let t = (rnd(2) ? "-" : "") + int;
      if (rnd(2)) t += "." + (rnd(3) === 0 ? "0".repeat(rnd(9)) : "") + digits(1 + rnd(18));
      if (rnd(6) === 0) t += (rnd(2) ? "e" : "E") + (rnd(2) ? "-" : "") + rnd(30);
      const v = parseExact(`{"s":"x:${t}0,","a":${t},"b":[ ${t} ]}`) as { a: unknown; b: unknown[] };
      for (const x of [v.a, v.b[0]]) {
        const text = x instanceof LosslessNumber ? x.text : String(x);
        if (text !== t) lost.push(`${t} → ${text}`);
      }
    }
    expect(lost.slice(0, 5)).toEqual([]);
  });

  it("takes JSON.parse for plain numbers, even with number look-alikes inside strings", () => {
    const v = parseExact(`{"ua":"Firefox/127.0","at":"10:00:28.490560Z","n":302.28}`) as Record<string, unknown>;
    expect(v["n"]).toBe(302.28);
  });
});
