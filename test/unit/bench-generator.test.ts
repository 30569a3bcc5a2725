import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { STATE_EVERY, STREAMS, generateSinger, streamCounts } from "../../bench/generate.js";

function generate(records: number, seed?: number, chunkChars?: number) {
  const chunks: string[] = [];
  const options = { ...(seed !== undefined ? { seed } : {}), ...(chunkChars !== undefined ? { chunkChars } : {}) };
  const summary = generateSinger(records, (c) => chunks.push(c), options);
  const text = chunks.join("");
  return { summary, chunks, text, lines: text.split("\n").slice(0, -1) };
}

const sha = (s: string) => createHash("sha256").update(s).digest("hex");

describe("bench generator", () => {
  it("is deterministic: same seed and count give the same bytes, another seed differs", () => {
    const a = generate(25_003);
    const b = generate(25_003);
    expect(sha(a.text)).toBe(sha(b.text));
    const c = generate(25_003, 7);
    expect(sha(c.text)).not.toBe(sha(a.text));
    expect(sha(generate(25_003, 7).text)).toBe(sha(c.text));
  });

  it("does not depend on the chunk size, and streams in bounded chunks", () => {
    const big = generate(3_000);
    const small = generate(3_000, undefined, 1_000);
    expect(small.text).toBe(big.text);
    expect(small.chunks.length).toBeGreaterThan(100);
    // A chunk ends on a line boundary and is at most the limit plus one line.
    for (const chunk of small.chunks) {
      expect(chunk.endsWith("\n")).toBe(true);
      expect(chunk.length).toBeLessThan(1_000 + 4_000);
    }
  });

  it("emits one valid JSON object per line and reports bytes and lines", () => {
    const { lines, summary, text } = generate(2_500);
    expect(summary.lines).toBe(lines.length);
    expect(summary.bytes).toBe(Buffer.byteLength(text, "utf8"));
    for (const line of lines) {
      expect(line).not.toBe("");
      const msg = JSON.parse(line) as { type?: unknown };
      expect(["SCHEMA", "RECORD", "STATE"]).toContain(msg.type);
    }
  });

  it("emits the right number of records per stream", () => {
    for (const n of [0, 1, 9, 10, 11, 12_345, 30_000]) {
      const { lines, summary } = generate(n);
      const counted: Record<string, number> = { orders: 0, customers: 0, events: 0 };
      for (const line of lines) {
        const msg = JSON.parse(line) as { type: string; stream?: string };
        if (msg.type === "RECORD") counted[msg.stream as string] = (counted[msg.stream as string] ?? 0) + 1;
      }
      const expected = streamCounts(n);
      expect(counted).toEqual(expected);
      expect(summary.perStream).toEqual(expected);
      expect(summary.records).toBe(n);
      expect(expected.orders + expected.customers + expected.events).toBe(n);
    }
    expect(streamCounts(1_000_000)).toEqual({ orders: 400_000, customers: 200_000, events: 400_000 });
  });

  it("emits a STATE after every 10k records (and a final one), with bookmarks per stream", () => {
    const { lines, summary } = generate(35_000);
    let records = 0;
    const stateAfter: number[] = [];
    let last: { bookmarks: Record<string, Record<string, unknown>> } | undefined;
    const latest: Record<string, unknown> = {};
    for (const line of lines) {
      const msg = JSON.parse(line) as {
        type: string;
        stream: string;
        record: Record<string, unknown>;
        value: { bookmarks: Record<string, Record<string, unknown>> };
      };
      if (msg.type === "RECORD") {
        records++;
        latest[msg.stream] = msg.record[msg.stream === "events" ? "occurred_at" : "updated_at"];
      } else if (msg.type === "STATE") {
        stateAfter.push(records);
        last = msg.value;
        // The bookmark is the replication value of the stream's latest record.
        for (const s of STREAMS) {
          const key = s === "events" ? "occurred_at" : "updated_at";
          expect(msg.value.bookmarks[s]?.[key]).toBe(latest[s]);
        }
      }
    }
    expect(stateAfter).toEqual([STATE_EVERY, 2 * STATE_EVERY, 3 * STATE_EVERY, 35_000]);
    expect(summary.states).toBe(4);
    expect(Object.keys(last?.bookmarks ?? {}).sort()).toEqual([...STREAMS].sort());
    // An exact multiple of 10k ends on its periodic STATE, with no extra one.
    expect(generate(20_000).summary.states).toBe(2);
  });

  it("sends each SCHEMA (with key and bookmark properties) before any record", () => {
    const { lines } = generate(1_000);
    const seen = new Set<string>();
    let firstRecord = -1;
    lines.forEach((line, i) => {
      const msg = JSON.parse(line) as {
        type: string;
        stream: string;
        schema?: { properties: object };
        key_properties?: string[];
        bookmark_properties?: string[];
        time_extracted?: string;
      };
      if (msg.type === "SCHEMA") {
        expect(msg.key_properties).toEqual(["id"]);
        expect(msg.bookmark_properties?.length).toBe(1);
        expect(Object.keys(msg.schema?.properties ?? {}).length).toBeGreaterThanOrEqual(12);
        seen.add(msg.stream);
      } else if (msg.type === "RECORD") {
        if (firstRecord < 0) firstRecord = i;
        expect(seen.has(msg.stream)).toBe(true);
        expect(msg.time_extracted).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      }
    });
    expect(firstRecord).toBe(STREAMS.length);
    expect([...seen].sort()).toEqual([...STREAMS].sort());
  });

  it("produces realistic values: interleaving, offsets, nulls, unicode, nested objects, int64", () => {
    const { lines } = generate(20_000);
    const records = lines.map((l) => JSON.parse(l) as { type: string; stream: string; record: Record<string, unknown> });
    const recs = records.filter((m) => m.type === "RECORD");
    // Interleaved: the stream changes often.
    let switches = 0;
    for (let i = 1; i < recs.length; i++) if (recs[i]?.stream !== recs[i - 1]?.stream) switches++;
    expect(switches).toBeGreaterThan(recs.length / 3);
    const orders = recs.filter((m) => m.stream === "orders").map((m) => m.record);
    expect(orders.some((o) => o.note === null)).toBe(true);
    expect(orders.some((o) => typeof o.note === "string" && /["\n\u0080-\uffff]/.test(o.note))).toBe(true);
    expect(orders.some((o) => typeof o.shipping === "object" && o.shipping !== null)).toBe(true);
    expect(orders.some((o) => Array.isArray(o.tags))).toBe(true);
    expect(orders.every((o) => typeof o.updated_at === "string" && /(Z|[+-]\d\d:\d\d)$/.test(o.updated_at))).toBe(true);
    expect(orders.some((o) => typeof o.updated_at === "string" && /[+-]0[1-9]:\d\d$/.test(o.updated_at))).toBe(true);
    // Integers beyond 2^53 appear in the raw text, and none exceed int64.
    const bigs = lines.join("\n").match(/"external_id":\d{16,}/g) ?? [];
    expect(bigs.length).toBeGreaterThan(0);
    for (const b of bigs) expect(BigInt(b.slice('"external_id":'.length)) <= 9223372036854775807n).toBe(true);
    // Dates are valid instants.
    for (const o of orders.slice(0, 500)) expect(Number.isNaN(Date.parse(o.created_at as string))).toBe(false);
  });
});

describe("generateSinger decimalAmounts (amounts with multipleOf, as tap-postgres declares NUMERIC)", () => {
  it("declares multipleOf on the amounts, and every record passes validation on its digits", async () => {
    const { compileRecordChecker } = await import("../../src/schema/validator.js");
    const { rawFieldText } = await import("../../src/protocol/raw-record.js");
    let text = "";
    generateSinger(3000, (chunk) => void (text += chunk), { decimalAmounts: true });
    const checks = new Map<string, ReturnType<typeof compileRecordChecker>>();
    let records = 0;
    for (const line of text.trim().split("\n")) {
      const m = JSON.parse(line) as { type: string; stream: string; schema?: Record<string, unknown>; record?: Record<string, unknown> };
      if (m.type === "SCHEMA") checks.set(m.stream, compileRecordChecker(m.schema!));
      if (m.type !== "RECORD") continue;
      records++;
      const raw = rawFieldText(line, "record");
      expect(checks.get(m.stream)!(m.record!, raw), line).toBeUndefined();
    }
    expect(records).toBe(3000);
    expect(text).toContain('"multipleOf":0.01');
    expect(text).toContain('"multipleOf":0.000001');
  });
});
