import { describe, it, expect } from "vitest";
import { NULL_CURSOR, NULL_PARTITION_ID, cursorPartitionId, parseCursor, type CursorValue } from "../../src/s3/cursor-partition.js";
import { CURSOR_MACROS, KeyTemplate, type KeyContext } from "../../src/s3/key-template.js";

const at = (iso: string): CursorValue => ({ kind: "instant", epochMs: Date.parse(iso) });

describe("parseCursor", () => {
  const table: Array<[string, unknown, CursorValue]> = [
    ["Z", "2025-04-14T11:23:45Z", at("2025-04-14T11:23:45Z")],
    ["lower-case z and t", "2025-04-14t11:23:45z", at("2025-04-14T11:23:45Z")],
    ["+05:30", "2025-04-14T11:23:45+05:30", at("2025-04-14T05:53:45Z")],
    ["-0400", "2025-04-14T11:23:45-0400", at("2025-04-14T15:23:45Z")],
    ["+05 hours only", "2025-04-14T11:23:45+05", at("2025-04-14T06:23:45Z")],
    ["no zone = UTC", "2025-04-14T11:23:45", at("2025-04-14T11:23:45Z")],
    ["space separator, no seconds", "2025-04-14 11:23", at("2025-04-14T11:23:00Z")],
    ["microseconds", "2025-04-14T11:23:45.123456Z", at("2025-04-14T11:23:45.123Z")],
    ["comma fraction", "2025-04-14T11:23:45,5Z", at("2025-04-14T11:23:45.500Z")],
    ["leap second", "2016-12-31T23:59:60Z", at("2016-12-31T23:59:59Z")],
    ["year 0001", "0001-01-01T00:00:00Z", at("0001-01-01T00:00:00Z")],
    ["date", "2025-04-14", { kind: "date", year: 2025, month: 4, day: 14 }],
    ["leap day", "2024-02-29", { kind: "date", year: 2024, month: 2, day: 29 }],
    ["Date", new Date("2025-04-14T11:23:45Z"), at("2025-04-14T11:23:45Z")],
    ["invalid Date", new Date("nope"), NULL_CURSOR],
    ["number (epoch or id: not guessed)", 1744629825, NULL_CURSOR],
    ["bigint", 1744629825n, NULL_CURSOR],
    ["null", null, NULL_CURSOR],
    ["undefined", undefined, NULL_CURSOR],
    ["boolean", true, NULL_CURSOR],
    ["object", { a: 1 }, NULL_CURSOR],
    ["empty string", "", NULL_CURSOR],
    ["words", "yesterday", NULL_CURSOR],
    ["Feb 30", "2025-02-30", NULL_CURSOR],
    ["not leap", "2025-02-29T00:00:00Z", NULL_CURSOR],
    ["hour 24", "2025-04-14T24:00:00Z", NULL_CURSOR],
    ["minute 60", "2025-04-14T11:60:00Z", NULL_CURSOR],
    ["month 13", "2025-13-01", NULL_CURSOR],
    ["bad offset", "2025-04-14T11:23:45+25:00", NULL_CURSOR],
    ["trailing junk", "2025-04-14T11:23:45Zjunk", NULL_CURSOR],
    ["compact", "20250414", NULL_CURSOR],
    ["numeric string", "1744629825", NULL_CURSOR],
  ];
  it.each(table)("%s", (_name, input, expected) => {
    expect(parseCursor(input)).toEqual(expected);
  });
});

const YMD = KeyTemplate.parse("cursor_year={cursor_year}/cursor_month={cursor_month}/cursor_day={cursor_day}/{part}.csv");

function ctx(cursor: CursorValue, timeZone = "UTC"): KeyContext {
  return {
    streamName: "orders",
    connectionId: "c",
    connectionRunId: "r",
    runStart: new Date("2025-04-14T11:23:45Z"),
    timeZone,
    extension: "csv",
    part: 1,
    datePartitionFormat: null,
    cursor,
  };
}

describe("cursorPartitionId", () => {
  it("a 3-day spread becomes 3 partitions with the right keys", () => {
    const values = [
      "2025-04-12T00:00:00Z",
      "2025-04-12T23:59:59Z",
      "2025-04-13T08:00:00Z",
      "2025-04-13T12:00:00+02:00",
      "2025-04-14T00:00:01Z",
      "2025-04-14",
      "2025-04-14T23:00:00Z",
    ];
    const groups = new Map<string, string[]>();
    for (const v of values) {
      const c = parseCursor(v);
      const id = cursorPartitionId(YMD.cursorNeeds, c, "UTC");
      groups.set(id, [...(groups.get(id) ?? []), v]);
    }
    expect(groups.size).toBe(3);
    const keys = [...groups.values()].map((vs) => YMD.render(ctx(parseCursor(vs[0]))));
    expect(keys).toEqual([
      "cursor_year=2025/cursor_month=04/cursor_day=12/00001.csv",
      "cursor_year=2025/cursor_month=04/cursor_day=13/00001.csv",
      "cursor_year=2025/cursor_month=04/cursor_day=14/00001.csv",
    ]);
    expect([...groups.values()].map((g) => g.length)).toEqual([2, 2, 3]);
  });

  it("offsets crossing midnight land on the right day in each zone", () => {
    const lateMinus2 = parseCursor("2025-04-14T23:30:00-02:00"); // 2025-04-15T01:30Z
    const earlyKolkata = parseCursor("2025-04-14T01:00:00+05:30"); // 2025-04-13T19:30Z
    const day = (c: CursorValue, tz: string): string => YMD.render(ctx(c, tz)).split("/")[2] ?? "";
    expect(day(lateMinus2, "UTC")).toBe("cursor_day=15");
    expect(day(lateMinus2, "America/New_York")).toBe("cursor_day=14");
    expect(day(lateMinus2, "Asia/Kolkata")).toBe("cursor_day=15");
    expect(day(earlyKolkata, "UTC")).toBe("cursor_day=13");
    expect(day(earlyKolkata, "Asia/Kolkata")).toBe("cursor_day=14");
    expect(cursorPartitionId(YMD.cursorNeeds, lateMinus2, "UTC")).not.toBe(cursorPartitionId(YMD.cursorNeeds, parseCursor("2025-04-14T12:00:00Z"), "UTC"));
    expect(cursorPartitionId(YMD.cursorNeeds, lateMinus2, "America/New_York")).toBe(
      cursorPartitionId(YMD.cursorNeeds, parseCursor("2025-04-14T12:00:00Z"), "America/New_York"),
    );
  });

  it("a date is not shifted by the zone", () => {
    const t = KeyTemplate.parse("{cursor_iso_date_time}/{cursor_day}");
    for (const tz of ["UTC", "America/New_York", "Asia/Kolkata"]) {
      expect(t.render(ctx(parseCursor("2025-04-14"), tz)).split("/")[1]).toBe("14");
    }
    expect(t.render(ctx(parseCursor("2025-04-14"), "America/New_York"))).toBe("2025-04-14T00:00:00-04:00/14");
    // A date and the instant of that local midnight render alike, so they share a partition.
    expect(cursorPartitionId(t.cursorNeeds, parseCursor("2025-04-14"), "America/New_York")).toBe(
      cursorPartitionId(t.cursorNeeds, parseCursor("2025-04-14T04:00:00Z"), "America/New_York"),
    );
    expect(cursorPartitionId(t.cursorNeeds, parseCursor("2025-04-14"), "UTC")).toBe(
      cursorPartitionId(t.cursorNeeds, parseCursor("2025-04-14T00:00:00Z"), "UTC"),
    );
  });

  it("null cursors go to the __null__ partition", () => {
    expect(cursorPartitionId(YMD.cursorNeeds, NULL_CURSOR, "UTC")).toBe(NULL_PARTITION_ID);
    expect(cursorPartitionId(YMD.cursorNeeds, parseCursor(null), "UTC")).toBe(cursorPartitionId(YMD.cursorNeeds, parseCursor("junk"), "UTC"));
    expect(YMD.render(ctx(NULL_CURSOR))).toBe("cursor_year=__null__/cursor_month=__null__/cursor_day=__null__/00001.csv");
    const all = KeyTemplate.parse(CURSOR_MACROS.map((m) => `{${m}}`).join("/"));
    expect(all.render(ctx(NULL_CURSOR))).toBe(Array(6).fill("__null__").join("/"));
  });

  it("only the cursor macros the template uses matter", () => {
    const none = KeyTemplate.parse("{stream_name}/{part}.csv");
    expect(cursorPartitionId(none.cursorNeeds, parseCursor("2025-04-14T11:23:45Z"), "UTC")).toBe("");
    expect(cursorPartitionId(none.cursorNeeds, NULL_CURSOR, "UTC")).toBe("");
    const month = KeyTemplate.parse("{cursor_month}/{part}");
    expect(cursorPartitionId(month.cursorNeeds, parseCursor("2024-04-01"), "UTC")).toBe(
      cursorPartitionId(month.cursorNeeds, parseCursor("2025-04-30T23:00:00Z"), "UTC"),
    );
    const seconds = KeyTemplate.parse("{cursor_date_time}");
    expect(cursorPartitionId(seconds.cursorNeeds, parseCursor("2025-04-14T11:23:45.001Z"), "UTC")).toBe(
      cursorPartitionId(seconds.cursorNeeds, parseCursor("2025-04-14T11:23:45.999Z"), "UTC"),
    );
    // Fall-back hour in New York: same wall-clock second, different instants.
    const a = parseCursor("2025-11-02T05:30:00Z");
    const b = parseCursor("2025-11-02T06:30:00Z");
    expect(cursorPartitionId(seconds.cursorNeeds, a, "America/New_York")).toBe(cursorPartitionId(seconds.cursorNeeds, b, "America/New_York"));
    const iso = KeyTemplate.parse("{cursor_iso_date_time}");
    expect(cursorPartitionId(iso.cursorNeeds, a, "America/New_York")).not.toBe(cursorPartitionId(iso.cursorNeeds, b, "America/New_York"));
  });

  it("ids are equal iff the rendered cursor macros are equal (random check)", () => {
    let seed = 99;
    const rand = (): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const pool: CursorValue[] = [NULL_CURSOR];
    for (let i = 0; i < 60; i++) {
      const ms = Date.UTC(2023, 11, 30) + Math.floor(rand() * 4 * 86400) * 1000 * (rand() < 0.5 ? 1 : 90);
      pool.push({ kind: "instant", epochMs: ms });
      pool.push({ kind: "instant", epochMs: ms - (ms % 1000) + 500 });
      const d = new Date(ms);
      pool.push({ kind: "date", year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() });
      pool.push({ kind: "instant", epochMs: Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()) });
    }
    const templates: KeyTemplate[] = [];
    for (let mask = 1; mask < 64; mask++) {
      const used = CURSOR_MACROS.filter((_, i) => mask & (1 << i));
      templates.push(KeyTemplate.parse(used.map((m) => `{${m}}`).join("/")));
    }
    for (const tz of ["UTC", "America/New_York", "Asia/Kolkata"]) {
      for (let i = 0; i < 3000; i++) {
        const t = templates[Math.floor(rand() * templates.length)] as KeyTemplate;
        const a = pool[Math.floor(rand() * pool.length)] as CursorValue;
        const b = pool[Math.floor(rand() * pool.length)] as CursorValue;
        const sameId = cursorPartitionId(t.cursorNeeds, a, tz) === cursorPartitionId(t.cursorNeeds, b, tz);
        const sameKey = t.render(ctx(a, tz)) === t.render(ctx(b, tz));
        expect(sameId, `${t.template} ${JSON.stringify(a)} ${JSON.stringify(b)} ${tz}`).toBe(sameKey);
      }
    }
  });

  it("is cheap per record", () => {
    const cursors = Array.from({ length: 1000 }, (_, i) => `2025-04-${String(10 + (i % 5)).padStart(2, "0")}T1${i % 10}:00:00+02:00`);
    const start = performance.now();
    let n = 0;
    for (let r = 0; r < 200; r++) {
      for (const c of cursors) n += cursorPartitionId(YMD.cursorNeeds, parseCursor(c), "America/New_York").length;
    }
    const perRecordUs = ((performance.now() - start) * 1000) / 200_000;
    expect(n).toBeGreaterThan(0);
    expect(perRecordUs).toBeLessThan(20);
  });
});
