import { configSchema } from "../../src/config/schema.js";
import { describe, it, expect } from "vitest";
import { ConfigError } from "../../src/errors.js";
import { NULL_CURSOR, parseCursor } from "../../src/s3/cursor-partition.js";
import {
  CURSOR_MACROS,
  DEFAULT_KEY_TEMPLATE,
  KeyTemplate,
  MACROS,
  STREAM_ID_NAMESPACE,
  streamId,
  streamRunId,
  uuidV5,
  validateDatePartitionFormat,
  type KeyContext,
} from "../../src/s3/key-template.js";
import { joinKey } from "../../src/s3/safe-key.js";

const CONNECTION = "f52c7268-2359-467a-a5e8-83c536cb4de8";
const RUN = "fad1983d-7446-45c4-bb46-4578affe02d5";
const STREAM_ID = "1982f96f-46ea-5052-bca3-07f9730a9def";
const STREAM_RUN_ID = "c6eed954-dbd3-5ac3-b227-8c5d5db98bc7";

function ctx(overrides: Partial<KeyContext> = {}): KeyContext {
  return {
    streamName: "sales_summary_daily",
    connectionId: CONNECTION,
    connectionRunId: RUN,
    runStart: new Date("2025-04-14T11:23:45Z"),
    timeZone: "UTC",
    extension: "csv.gz",
    part: 1,
    datePartitionFormat: "%Y%m%d",
    cursor: parseCursor("2025-04-14T11:23:45Z"),
    ...overrides,
  };
}

describe("every macro (run start and cursor 2025-04-14T11:23:45Z)", () => {
  // macro → [UTC, America/New_York, Asia/Kolkata]
  const table: Array<[string, string, string, string]> = [
    ["stream_name", "sales_summary_daily", "sales_summary_daily", "sales_summary_daily"],
    ["stream_id", STREAM_ID, STREAM_ID, STREAM_ID],
    ["stream_run_id", STREAM_RUN_ID, STREAM_RUN_ID, STREAM_RUN_ID],
    ["connection_id", CONNECTION, CONNECTION, CONNECTION],
    ["connection_run_id", RUN, RUN, RUN],
    ["extension", "csv.gz", "csv.gz", "csv.gz"],
    ["date_time", "2025_04_14_11_23_45", "2025_04_14_07_23_45", "2025_04_14_16_53_45"],
    ["timestamp", "2025_04_14_11_23_45", "2025_04_14_07_23_45", "2025_04_14_16_53_45"],
    ["iso_date_time", "2025-04-14T11:23:45Z", "2025-04-14T07:23:45-04:00", "2025-04-14T16:53:45+05:30"],
    ["date", "2025_04_14", "2025_04_14", "2025_04_14"],
    ["iso_date", "2025-04-14", "2025-04-14", "2025-04-14"],
    ["year", "2025", "2025", "2025"],
    ["month", "04", "04", "04"],
    ["day", "14", "14", "14"],
    ["hour", "11", "07", "16"],
    ["minute", "23", "23", "53"],
    ["second", "45", "45", "45"],
    ["part", "00001", "00001", "00001"],
    ["date_partition", "20250414", "20250414", "20250414"],
    ["cursor_year", "2025", "2025", "2025"],
    ["cursor_month", "04", "04", "04"],
    ["cursor_day", "14", "14", "14"],
    ["cursor_date_time", "2025_04_14_11_23_45", "2025_04_14_07_23_45", "2025_04_14_16_53_45"],
    ["cursor_iso_date_time", "2025-04-14T11:23:45Z", "2025-04-14T07:23:45-04:00", "2025-04-14T16:53:45+05:30"],
    ["cursor_singular_date_time", "2025-04-14-11-23-45", "2025-04-14-07-23-45", "2025-04-14-16-53-45"],
  ];

  it("covers every macro", () => {
    expect(table.map((r) => r[0]).sort()).toEqual([...MACROS].filter((m) => m !== "namespace").sort());
  });

  it.each(table)("{%s}", (macro, utc, ny, kolkata) => {
    const t = KeyTemplate.parse(`x/{${macro}}`);
    expect(t.render(ctx())).toBe(`x/${utc}`);
    expect(t.render(ctx({ timeZone: "America/New_York" }))).toBe(`x/${ny}`);
    expect(t.render(ctx({ timeZone: "Asia/Kolkata" }))).toBe(`x/${kolkata}`);
  });

  it("{namespace}: the namespace, or empty so its segment disappears", () => {
    const t = KeyTemplate.parse("{namespace}/{stream_name}/f");
    expect(t.render(ctx())).toBe("sales_summary_daily/f");
    expect(t.render(ctx({ namespace: "public" }))).toBe("public/sales_summary_daily/f");
    expect(t.render(ctx({ namespace: "../etc" }))).toBe("..~2Fetc/sales_summary_daily/f");
  });

  it("renders the seed's sample values for all load-time macros in one template", () => {
    const t = KeyTemplate.parse("{stream_name}/{date}/{stream_name}_{date_time}_{part}.{extension}");
    expect(t.render(ctx())).toBe("sales_summary_daily/2025_04_14/sales_summary_daily_2025_04_14_11_23_45_00001.csv.gz");
  });
});

describe("details", () => {
  it("{part} is zero-padded to 5 digits and grows beyond", () => {
    const t = KeyTemplate.parse("{part}");
    expect(t.render(ctx({ part: 7 }))).toBe("00007");
    expect(t.render(ctx({ part: 99999 }))).toBe("99999");
    expect(t.render(ctx({ part: 123456 }))).toBe("123456");
  });

  it("{date_partition}: empty when unset (segment disappears), folders from '/' in the format", () => {
    const t = KeyTemplate.parse("{stream_name}/{date_partition}/{part}.csv");
    expect(t.render(ctx({ datePartitionFormat: null }))).toBe("sales_summary_daily/00001.csv");
    expect(t.render(ctx({ datePartitionFormat: "%Y%m%dT%H" }))).toBe("sales_summary_daily/20250414T11/00001.csv");
    expect(t.render(ctx({ datePartitionFormat: "year=%Y/month=%m/day=%d" }))).toBe("sales_summary_daily/year=2025/month=04/day=14/00001.csv");
    expect(t.render(ctx({ datePartitionFormat: "%Y%m%d", timeZone: "Asia/Kolkata", runStart: new Date("2025-04-14T20:00:00Z") }))).toBe(
      "sales_summary_daily/20250415/00001.csv",
    );
    expect(t.render(ctx({ datePartitionFormat: "../%Y" }))).toBe("sales_summary_daily/~2E~2E/2025/00001.csv");
  });

  it("run-time values follow the context (memo is keyed by run start, zone and format)", () => {
    const t = KeyTemplate.parse("{date_time}/{date_partition}");
    expect(t.render(ctx())).toBe("2025_04_14_11_23_45/20250414");
    expect(t.render(ctx({ runStart: new Date("2026-01-02T03:04:05Z") }))).toBe("2026_01_02_03_04_05/20260102");
    expect(t.render(ctx({ runStart: new Date("2026-01-02T03:04:05Z"), datePartitionFormat: "%Y" }))).toBe("2026_01_02_03_04_05/2026");
    expect(t.render(ctx({ runStart: new Date("2026-01-02T03:04:05Z"), timeZone: "America/New_York", datePartitionFormat: "%Y" }))).toBe(
      "2026_01_01_22_04_05/2026",
    );
  });

  it("{{ and }} are literal braces", () => {
    const t = KeyTemplate.parse("{{stream_name}}/{{{stream_name}}}/a}}b{{c");
    expect(t.macros).toEqual(["stream_name"]);
    expect(t.render(ctx())).toBe("{stream_name}/{sales_summary_daily}/a}b{c");
  });

  it("macros and usesCursor", () => {
    const t = KeyTemplate.parse("{stream_name}/{cursor_year}/{stream_name}-{part}");
    expect(t.macros).toEqual(["stream_name", "cursor_year", "part"]);
    expect(t.usesCursor).toBe(true);
    expect(KeyTemplate.parse(DEFAULT_KEY_TEMPLATE).usesCursor).toBe(false);
    for (const m of CURSOR_MACROS) expect(KeyTemplate.parse(`{${m}}`).usesCursor).toBe(true);
  });

  it("empty segments and `.`/`..` produced by empty values are safe", () => {
    const t = KeyTemplate.parse("/{namespace}//.{namespace}./{stream_name}/");
    expect(t.render(ctx())).toBe("~2E~2E/sales_summary_daily");
  });

  it("the default template: folder per stream, date partition, unique file per run and part", () => {
    const t = KeyTemplate.parse(DEFAULT_KEY_TEMPLATE);
    expect(t.render(ctx())).toBe(`sales_summary_daily/20250414/sales_summary_daily-2025_04_14_11_23_45-${RUN}-00001.csv.gz`);
    expect(t.render(ctx({ datePartitionFormat: null, namespace: "public", part: 2 }))).toBe(
      `sales_summary_daily/sales_summary_daily-2025_04_14_11_23_45-${RUN}-00002.csv.gz`,
    );
  });

  it("is the default of the key_template setting", () => {
    expect(configSchema().properties["key_template"]?.default).toBe(DEFAULT_KEY_TEMPLATE);
  });
});

describe("hostile stream names stay in their folder", () => {
  const t = KeyTemplate.parse("{stream_name}/{part}.{extension}");
  const table: Array<[string, string]> = [
    ["../../x", "..~2F..~2Fx/00001.csv.gz"],
    ["/abs", "~2Fabs/00001.csv.gz"],
    ["a\u0001b", "a~01b/00001.csv.gz"],
    ["test:SpecialChars!in?attributes", "test~3ASpecialChars!in~3Fattributes/00001.csv.gz"],
    ["..", "~2E~2E/00001.csv.gz"],
    [".", "~2E/00001.csv.gz"],
    ["a/b", "a~2Fb/00001.csv.gz"],
    ["a\\b", "a~5Cb/00001.csv.gz"],
  ];
  it.each(table)("%j → %s", (name, expected) => {
    const rendered = t.render(ctx({ streamName: name }));
    expect(rendered).toBe(expected);
    expect(joinKey(["bucket-prefix", "object/key/path", rendered], name)).toBe(`bucket-prefix/object/key/path/${expected}`);
  });
});

describe("errors", () => {
  const allListed = (message: string): void => {
    for (const m of MACROS) expect(message).toContain(`{${m}}`);
  };

  it("unknown macro: named, with a suggestion and every valid macro", () => {
    try {
      KeyTemplate.parse("{stream_name}/{strem_name}/{foo}");
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      const err = e as ConfigError;
      expect(err.exitCode).toBe(2);
      expect(err.problems).toHaveLength(2);
      expect(err.problems[0]).toContain("unknown macro {strem_name}");
      expect(err.problems[0]).toContain("did you mean {stream_name}?");
      expect(err.problems[1]).toContain("unknown macro {foo}");
      allListed(err.problems[1] ?? "");
      allListed(err.message);
    }
  });

  const braceCases: Array<[string, string]> = [
    ["{stream_name", 'unbalanced "{" at position 0'],
    ["stream_name}", 'unbalanced "}" at position 11'],
    ["{a{stream_name}", 'unbalanced "{" at position 0'],
    ["{}", "unknown macro {}"],
    ["{Stream_Name}", "did you mean {stream_name}?"],
    ["{ part }", "unknown macro { part }"],
    ["{stream}/x.csv", "unknown macro {stream} at position 0 (did you mean {stream_name}?)"],
    ["{stream_name}.{ext}", "unknown macro {ext} at position 14 (did you mean {extension}?)"],
  ];
  it.each(braceCases)("%j", (template, expected) => {
    expect(() => KeyTemplate.parse(template)).toThrow(ConfigError);
    try {
      KeyTemplate.parse(template);
    } catch (e) {
      expect((e as ConfigError).problems.join("\n")).toContain(expected);
      allListed((e as Error).message);
    }
    expect(KeyTemplate.validate(template).join("\n")).toContain(expected);
  });

  it("literal text problems", () => {
    expect(KeyTemplate.validate("a/../{part}")[0]).toContain('".." path segment');
    expect(KeyTemplate.validate("./{part}")[0]).toContain('"." path segment');
    expect(KeyTemplate.validate("a\\{part}")[0]).toContain("backslash");
    expect(KeyTemplate.validate("a\u0001{part}")[0]).toContain("control character");
    expect(KeyTemplate.validate("//")[0]).toContain("empty");
    expect(KeyTemplate.validate("..x/{part}")).toEqual([]);
  });

  it("validateDatePartitionFormat", () => {
    expect(validateDatePartitionFormat("%Y%m%d")).toEqual([]);
    expect(validateDatePartitionFormat("%Q")[0]).toContain("date_partition_format");
    expect(validateDatePartitionFormat("%Y/../%m")[0]).toContain('".."');
  });
});

describe("stream ids", () => {
  it("uuidV5 matches the RFC test vector", () => {
    expect(uuidV5("www.example.com", "6ba7b810-9dad-11d1-80b4-00c04fd430c8")).toBe("2ed6657d-e927-568b-95e1-2665a8aea6a2");
    expect(() => uuidV5("x", "not-a-uuid")).toThrow(TypeError);
  });

  it("stream_id / stream_run_id follow the documented formula", () => {
    expect(STREAM_ID_NAMESPACE).toBe("6b2f8d61-21ab-4c97-a235-f6fb5654f7fb");
    expect(streamId(CONNECTION, undefined, "sales_summary_daily")).toBe(uuidV5(`${CONNECTION}//sales_summary_daily`, STREAM_ID_NAMESPACE));
    expect(streamId(CONNECTION, "public", "s")).toBe(uuidV5(`${CONNECTION}/public/s`, STREAM_ID_NAMESPACE));
    expect(streamRunId(RUN, undefined, "sales_summary_daily")).toBe(uuidV5(`${RUN}//sales_summary_daily`, STREAM_ID_NAMESPACE));
    expect(streamId(CONNECTION, undefined, "a")).not.toBe(streamId(CONNECTION, undefined, "b"));
    expect(streamId(CONNECTION, "x", "a")).not.toBe(streamId(CONNECTION, "y", "a"));
    expect(streamRunId("run-1", undefined, "a")).not.toBe(streamRunId("run-2", undefined, "a"));
    expect(streamId(CONNECTION, undefined, "a")).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it("null cursor renders __null__", () => {
    const t = KeyTemplate.parse("cursor_year={cursor_year}/{part}");
    expect(t.render(ctx({ cursor: NULL_CURSOR }))).toBe("cursor_year=__null__/00001");
  });
});
