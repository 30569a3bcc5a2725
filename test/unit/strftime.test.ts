import { describe, it, expect } from "vitest";
import { ConfigError } from "../../src/errors.js";
import { daysFromCivil, fieldsFromLocalMs, newLocalFields } from "../../src/time/calendar.js";
import { strftime, validateStrftime } from "../../src/time/strftime.js";
import { dateParts, validateTimeZone, zoneOffsetMs } from "../../src/time/time-zones.js";

const CLOCK = new Date("2025-04-14T11:23:45.123Z");

describe("strftime directives", () => {
  // directive → [UTC, America/New_York, Asia/Kolkata]
  const table: Array<[string, string, string, string]> = [
    ["%Y", "2025", "2025", "2025"],
    ["%y", "25", "25", "25"],
    ["%m", "04", "04", "04"],
    ["%d", "14", "14", "14"],
    ["%e", "14", "14", "14"],
    ["%H", "11", "07", "16"],
    ["%I", "11", "07", "04"],
    ["%p", "AM", "AM", "PM"],
    ["%M", "23", "23", "53"],
    ["%S", "45", "45", "45"],
    ["%f", "123000", "123000", "123000"],
    ["%j", "104", "104", "104"],
    ["%a", "Mon", "Mon", "Mon"],
    ["%b", "Apr", "Apr", "Apr"],
    ["%z", "+0000", "-0400", "+0530"],
    ["%Z", "UTC", "EDT", "GMT+5:30"],
    ["%s", "1744629825", "1744629825", "1744629825"],
    ["%T", "11:23:45", "07:23:45", "16:53:45"],
    ["%F", "2025-04-14", "2025-04-14", "2025-04-14"],
    ["%%", "%", "%", "%"],
    ["%Y%m%d", "20250414", "20250414", "20250414"],
    ["%Y%m%dT%H", "20250414T11", "20250414T07", "20250414T16"],
    ["dt=%Y-%m-%d/hr=%H", "dt=2025-04-14/hr=11", "dt=2025-04-14/hr=07", "dt=2025-04-14/hr=16"],
    ["100%% %Y", "100% 2025", "100% 2025", "100% 2025"],
    ["no directives", "no directives", "no directives", "no directives"],
    ["", "", "", ""],
  ];
  it.each(table)("%s", (format, utc, ny, kolkata) => {
    expect(strftime(format, dateParts(CLOCK, "UTC"))).toBe(utc);
    expect(strftime(format, dateParts(CLOCK, "America/New_York"))).toBe(ny);
    expect(strftime(format, dateParts(CLOCK, "Asia/Kolkata"))).toBe(kolkata);
  });

  it("pads and edge cases", () => {
    const p = dateParts(new Date("2024-12-31T00:05:09Z"), "UTC");
    expect(strftime("%j %e %I %p", p)).toBe("366 31 12 AM");
    expect(strftime("%e", dateParts(new Date("2025-01-05T00:00:00Z"), "UTC"))).toBe(" 5");
    expect(strftime("%I %p", dateParts(new Date("2025-01-05T12:00:00Z"), "UTC"))).toBe("12 PM");
    expect(strftime("%Y %y", dateParts(new Date("0042-01-01T00:00:00Z"), "UTC"))).toBe("0042 42");
    expect(strftime("%j", dateParts(new Date("2025-03-01T00:00:00Z"), "UTC"))).toBe("060");
    expect(strftime("%j", dateParts(new Date("2024-03-01T00:00:00Z"), "UTC"))).toBe("061");
  });

  it("%s is the epoch in every zone", () => {
    for (const tz of ["UTC", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe", "Asia/Kathmandu"]) {
      for (const iso of ["1970-01-01T00:00:00Z", "2025-03-09T07:00:00Z", "2025-11-02T06:30:00Z", "2000-02-29T23:59:59Z"]) {
        expect(strftime("%s", dateParts(new Date(iso), tz))).toBe(String(Date.parse(iso) / 1000));
      }
    }
  });
});

describe("validateStrftime", () => {
  it("accepts every supported directive", () => {
    expect(validateStrftime("%Y%m%d%H%M%S%y%j%f%z%Z%%%b%a%e%I%p%s%T%F")).toEqual([]);
  });
  it("reports unknown directives and a trailing %", () => {
    const problems = validateStrftime("%Y-%q-%-d-%");
    expect(problems).toHaveLength(3);
    expect(problems[0]).toContain('"%q"');
    expect(problems[0]).toContain("supported: %Y");
    expect(problems[1]).toContain('"%-"');
    expect(problems[2]).toContain("lone");
  });
  it("strftime throws a ConfigError (exit 2) for an invalid format", () => {
    const p = dateParts(CLOCK, "UTC");
    expect(() => strftime("%Q", p)).toThrow(ConfigError);
    try {
      strftime("%Q", p);
    } catch (e) {
      expect((e as ConfigError).exitCode).toBe(2);
      expect((e as ConfigError).problems[0]).toContain("%Q");
    }
  });
});

describe("dateParts", () => {
  it("UTC fast path", () => {
    expect(dateParts(CLOCK, "UTC")).toEqual({
      year: 2025,
      month: 4,
      day: 14,
      hour: 11,
      minute: 23,
      second: 45,
      micro: 123000,
      weekday: 1,
      offsetMinutes: 0,
      zoneName: "UTC",
    });
    expect(dateParts(CLOCK, "Etc/UTC").zoneName).toBe("UTC");
  });

  it("non-UTC zones", () => {
    expect(dateParts(CLOCK, "America/New_York")).toEqual({
      year: 2025,
      month: 4,
      day: 14,
      hour: 7,
      minute: 23,
      second: 45,
      micro: 123000,
      weekday: 1,
      offsetMinutes: -240,
      zoneName: "EDT",
    });
    expect(dateParts(CLOCK, "Asia/Kolkata")).toMatchObject({ hour: 16, minute: 53, offsetMinutes: 330 });
    // Crossing midnight into the next / previous day.
    expect(dateParts(new Date("2025-04-14T20:00:00Z"), "Asia/Kolkata")).toMatchObject({ day: 15, hour: 1, minute: 30, weekday: 2 });
    expect(dateParts(new Date("2025-01-01T02:00:00Z"), "America/New_York")).toMatchObject({
      year: 2024,
      month: 12,
      day: 31,
      hour: 21,
      offsetMinutes: -300,
      zoneName: "EST",
      weekday: 2,
    });
  });

  it("DST transitions in New York", () => {
    expect(dateParts(new Date("2025-03-09T06:59:59Z"), "America/New_York")).toMatchObject({ hour: 1, minute: 59, offsetMinutes: -300 });
    expect(dateParts(new Date("2025-03-09T07:00:00Z"), "America/New_York")).toMatchObject({ hour: 3, minute: 0, offsetMinutes: -240 });
    expect(dateParts(new Date("2025-11-02T05:30:00Z"), "America/New_York")).toMatchObject({ hour: 1, minute: 30, offsetMinutes: -240 });
    expect(dateParts(new Date("2025-11-02T06:30:00Z"), "America/New_York")).toMatchObject({ hour: 1, minute: 30, offsetMinutes: -300 });
  });

  it("every minute around transitions matches Intl", () => {
    for (const [tz, iso] of [
      ["America/New_York", "2025-03-09T06:00:00Z"],
      ["America/New_York", "2025-11-02T05:00:00Z"],
      ["Australia/Lord_Howe", "2025-04-05T14:00:00Z"],
      ["Australia/Lord_Howe", "2025-10-04T15:00:00Z"],
    ] as const) {
      const fmt = new Intl.DateTimeFormat("en-US", { timeZone: tz, hourCycle: "h23", hour: "numeric", minute: "numeric" });
      const start = Date.parse(iso);
      for (let ms = start; ms < start + 3 * 3_600_000; ms += 60_000) {
        const parts = Object.fromEntries(fmt.formatToParts(ms).map((x) => [x.type, x.value]));
        const p = dateParts(new Date(ms), tz);
        expect([p.hour, p.minute]).toEqual([Number(parts.hour), Number(parts.minute)]);
      }
    }
  });

  it("historical offsets with seconds are truncated in %z", () => {
    const p = dateParts(new Date("1850-06-01T12:00:00Z"), "America/New_York");
    expect(strftime("%z", p)).toBe("-0456");
  });

  it("agrees with Intl for random instants (cache correctness)", () => {
    let seed = 12345;
    const rand = (): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (const tz of ["America/New_York", "Asia/Kolkata", "Europe/London", "Australia/Lord_Howe", "Asia/Kathmandu"]) {
      const fmt = new Intl.DateTimeFormat("en-US", {
        timeZone: tz,
        hourCycle: "h23",
        year: "numeric",
        month: "numeric",
        day: "numeric",
        hour: "numeric",
        minute: "numeric",
        second: "numeric",
      });
      for (let i = 0; i < 2000; i++) {
        // 1990–2040, with extra weight around transitions by sampling whole 15-minute steps.
        const ms = Date.UTC(1990, 0, 1) + Math.floor(rand() * 50 * 365.25 * 86400) * 1000;
        const parts = Object.fromEntries(fmt.formatToParts(ms).map((x) => [x.type, x.value]));
        const p = dateParts(new Date(ms), tz);
        expect([p.year, p.month, p.day, p.hour, p.minute, p.second]).toEqual(
          [parts.year, parts.month, parts.day, parts.hour, parts.minute, parts.second].map(Number),
        );
      }
    }
  });

  it("unknown zones are a ConfigError", () => {
    expect(() => dateParts(CLOCK, "Mars/Base")).toThrow(ConfigError);
    expect(validateTimeZone("Mars/Base")[0]).toContain("Mars/Base");
    expect(validateTimeZone("Asia/Kolkata")).toEqual([]);
    expect(validateTimeZone("UTC")).toEqual([]);
  });

  it("zoneOffsetMs", () => {
    expect(zoneOffsetMs(CLOCK.getTime(), "UTC")).toBe(0);
    expect(zoneOffsetMs(CLOCK.getTime(), "Asia/Kolkata")).toBe(330 * 60_000);
  });
});

describe("civil arithmetic", () => {
  it("round-trips against Date for many days", () => {
    const out = newLocalFields();
    for (let d = -800_000; d < 800_000; d += 997) {
      const ms = d * 86_400_000 + 3_723_456;
      const date = new Date(ms);
      fieldsFromLocalMs(ms, out);
      expect([out.year, out.month, out.day, out.hour, out.minute, out.second, out.millisecond, out.weekday]).toEqual([
        date.getUTCFullYear(),
        date.getUTCMonth() + 1,
        date.getUTCDate(),
        1,
        2,
        3,
        456,
        date.getUTCDay(),
      ]);
      expect(daysFromCivil(out.year, out.month, out.day)).toBe(d);
    }
  });
});
