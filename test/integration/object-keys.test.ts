// Object keys end to end (issue #3, SPEC §5): the built CLI spawned against the real local S3 server, every object
// listed and read back. Per-record cursor partitioning (3 cursor days → 3 objects with every row once, the __null__
// fallback, offsets across midnight in UTC and America/New_York, cursor_field over bookmark_properties and "*"),
// template errors at start, hostile stream names kept under the prefix, the default template, {stream_id} /
// {stream_run_id}, and every load-time macro in a real key.
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { readObjectRows } from "../helpers/read-back.js";
import { runCli, s3Config, writeConfig, type CliResult } from "../helpers/run-cli.js";
import type { S3TestServer } from "../helpers/s3-server.js";
import { useS3 } from "../helpers/s3-fixture.js";

let s3: S3TestServer;
let bucket: string;

useS3((f) => ({ s3, bucket } = f));

const hint = (r: CliResult): string => `exit ${r.code}\nstderr:\n${r.stderr.slice(-3000)}`;
const line = (m: unknown): string => JSON.stringify(m);

/** Every key setting below writes under s3://bucket/pre + object_key_path "okp/sub". */
const PREFIX = "pre/okp/sub/";

async function run(extra: Record<string, unknown>, input: string): Promise<CliResult> {
  const config = s3Config(s3, `s3://${bucket}/pre`, { object_key_path: "/okp/sub/", ...extra });
  return runCli(["--config", writeConfig(config)], { input, timeoutMs: 90_000 });
}

async function keys(): Promise<string[]> {
  return (await s3.listObjects(bucket)).map((o) => o.key);
}

/** key (without PREFIX) → the ids of its rows, read back with DuckDB. */
async function idsByKey(): Promise<Map<string, number[]>> {
  const out = new Map<string, number[]>();
  for (const key of await keys()) {
    expect(key.startsWith(PREFIX), key).toBe(true);
    const rows = await readObjectRows(s3, bucket, key);
    out.set(
      key.slice(PREFIX.length),
      rows.map((r) => Number(r["id"])).sort((a, b) => a - b),
    );
  }
  return out;
}

function singer(stream: string, records: Record<string, unknown>[], opts: { bookmark?: string[]; properties?: Record<string, unknown> } = {}): string[] {
  const properties = opts.properties ?? { id: { type: "integer" }, updated_at: { type: ["null", "string"], format: "date-time" } };
  return [
    line({
      type: "SCHEMA",
      stream,
      schema: { type: "object", properties },
      key_properties: ["id"],
      ...(opts.bookmark ? { bookmark_properties: opts.bookmark } : {}),
    }),
    ...records.map((record) => line({ type: "RECORD", stream, record })),
  ];
}

const input = (...parts: string[][]): string => [...parts.flat(), line({ type: "STATE", value: { done: true } })].join("\n") + "\n";

const DAY_TEMPLATE = "{stream_name}/year={cursor_year}/month={cursor_month}/day={cursor_day}/{stream_name}-{part}.{extension}";

// ---------------------------------------------------------------------------------------------------------------

describe("cursor partitioning", () => {
  // 30 records over three days, interleaved so that every day's file is open at the same time.
  const days = ["2025-04-13", "2025-04-14", "2025-04-15"];
  const records = Array.from({ length: 30 }, (_, i) => ({ id: i + 1, updated_at: `${days[i % 3]}T${String(i % 24).padStart(2, "0")}:15:00Z` }));
  const expected = (day: number): number[] => records.filter((_, i) => i % 3 === day).map((r) => r.id);

  for (const fileType of ["parquet", "jsonl"] as const) {
    it(`a batch spanning 3 cursor days becomes exactly 3 objects with every row once (${fileType})`, async () => {
      const r = await run({ file_type: fileType, key_template: DAY_TEMPLATE }, input(singer("orders", records, { bookmark: ["updated_at"] })));
      expect(r.code, hint(r)).toBe(0);
      expect(r.stateLines).toEqual([{ done: true }]);
      const got = await idsByKey();
      expect(new Map([...got].map(([k, v]) => [k.replace(/-0000[1-3]\./, "-N."), v]))).toEqual(
        new Map([
          [`orders/year=2025/month=04/day=13/orders-N.${fileType}`, expected(0)],
          [`orders/year=2025/month=04/day=14/orders-N.${fileType}`, expected(1)],
          [`orders/year=2025/month=04/day=15/orders-N.${fileType}`, expected(2)],
        ]),
      );
      // Part numbers count the stream's files in the order they were opened (the first record is on the 13th).
      expect([...got.keys()].sort()).toEqual([
        `orders/year=2025/month=04/day=13/orders-00001.${fileType}`,
        `orders/year=2025/month=04/day=14/orders-00002.${fileType}`,
        `orders/year=2025/month=04/day=15/orders-00003.${fileType}`,
      ]);
    });
  }

  it("records with a null, missing or unusable cursor go to the __null__ partition", async () => {
    const properties = { id: { type: "integer" }, updated_at: { type: ["null", "string"] } };
    const recs = [
      { id: 1, updated_at: "2025-04-14T10:00:00Z" },
      { id: 2, updated_at: null },
      { id: 3 },
      { id: 4, updated_at: "yesterday" },
      { id: 5, updated_at: "2025-02-30T00:00:00Z" },
      { id: 6, updated_at: "2025-04-14" },
    ];
    const r = await run({ file_type: "jsonl", key_template: DAY_TEMPLATE }, input(singer("orders", recs, { bookmark: ["updated_at"], properties })));
    expect(r.code, hint(r)).toBe(0);
    const got = await idsByKey();
    expect(new Map([...got].map(([k, v]) => [k.replace(/-\d{5}\./, "-N."), v]))).toEqual(
      new Map([
        ["orders/year=2025/month=04/day=14/orders-N.jsonl", [1, 6]],
        ["orders/year=__null__/month=__null__/day=__null__/orders-N.jsonl", [2, 3, 4, 5]],
      ]),
    );
  });

  // Instants whose offsets cross midnight: UTC days and New York (EDT, -04:00) days differ; a bare date is a
  // calendar date and is never shifted by the zone.
  const crossing = [
    { id: 1, updated_at: "2025-04-14T23:30:00-02:00" }, // 04-15 01:30Z, NY 04-14 21:30
    { id: 2, updated_at: "2025-04-15T02:00:00+05:00" }, // 04-14 21:00Z, NY 04-14 17:00
    { id: 3, updated_at: "2025-04-15T03:30:00Z" }, //      04-15 03:30Z, NY 04-14 23:30
    { id: 4, updated_at: "2025-04-15T05:00:00Z" }, //      04-15 05:00Z, NY 04-15 01:00
    { id: 5, updated_at: "2025-04-16" }, //                a date: the 16th in every zone
    { id: 6, updated_at: "2025-04-14T23:59:59.999" }, //   no zone = UTC: 04-14 23:59Z, NY 04-14 19:59
  ];
  const crossingInput = input(
    singer("orders", crossing, { bookmark: ["updated_at"], properties: { id: { type: "integer" }, updated_at: { type: "string" } } }),
  );
  const dayOf = (got: Map<string, number[]>): Map<string, number[]> => new Map([...got].map(([k, v]) => [/day=(\w+)/.exec(k)?.[1] ?? k, v]));

  it("cursor offsets crossing midnight land on the UTC day", async () => {
    const r = await run({ file_type: "jsonl", key_template: DAY_TEMPLATE }, crossingInput);
    expect(r.code, hint(r)).toBe(0);
    expect(dayOf(await idsByKey())).toEqual(
      new Map([
        ["14", [2, 6]],
        ["15", [1, 3, 4]],
        ["16", [5]],
      ]),
    );
  });

  it("with timezone America/New_York they land on the local day", async () => {
    const r = await run({ file_type: "jsonl", key_template: DAY_TEMPLATE, timezone: "America/New_York" }, crossingInput);
    expect(r.code, hint(r)).toBe(0);
    expect(dayOf(await idsByKey())).toEqual(
      new Map([
        ["14", [1, 2, 3, 6]],
        ["15", [4]],
        ["16", [5]],
      ]),
    );
  });

  it("every cursor macro renders the record's cursor (UTC and America/New_York)", async () => {
    const template =
      "{stream_name}/{cursor_year}/{cursor_month}/{cursor_day}/{cursor_date_time}/{cursor_iso_date_time}/{cursor_singular_date_time}-{part}.{extension}";
    const recs = [{ id: 1, updated_at: "2025-04-14T01:02:03.456Z" }];
    const one = input(singer("orders", recs, { bookmark: ["updated_at"] }));
    let r = await run({ file_type: "jsonl", key_template: template }, one);
    expect(r.code, hint(r)).toBe(0);
    expect(await keys()).toEqual([`${PREFIX}orders/2025/04/14/2025_04_14_01_02_03/2025-04-14T01:02:03Z/2025-04-14-01-02-03-00001.jsonl`]);
    bucket = await s3.createBucket();
    r = await run({ file_type: "jsonl", key_template: template, timezone: "America/New_York" }, one);
    expect(r.code, hint(r)).toBe(0);
    expect(await keys()).toEqual([`${PREFIX}orders/2025/04/13/2025_04_13_21_02_03/2025-04-13T21:02:03-04:00/2025-04-13-21-02-03-00001.jsonl`]);
  });

  it('the cursor_field setting overrides bookmark_properties, and "*" applies to every other stream', async () => {
    const properties = { id: { type: "integer" }, created_at: { type: "string" }, updated_at: { type: "string" }, ts: { type: "string" } };
    const rec = (id: number, created: string, updated: string, ts: string): Record<string, unknown> => ({
      id,
      created_at: `2025-01-${created}T12:00:00Z`,
      updated_at: `2025-02-${updated}T12:00:00Z`,
      ts: `2025-03-${ts}T12:00:00Z`,
    });
    const r = await run(
      { file_type: "jsonl", key_template: DAY_TEMPLATE, cursor_field: { orders: "updated_at", "*": "ts" } },
      input(
        // orders: its own setting beats both its bookmark_properties and "*".
        singer("orders", [rec(1, "01", "10", "20"), rec(2, "02", "11", "20")], { bookmark: ["created_at"], properties }),
        // users: "*" beats bookmark_properties.
        singer("users", [rec(3, "01", "10", "21"), rec(4, "01", "10", "22")], { bookmark: ["created_at"], properties }),
        // items: no bookmark_properties at all; "*" gives it a cursor.
        singer("items", [rec(5, "01", "10", "23")], { properties }),
      ),
    );
    expect(r.code, hint(r)).toBe(0);
    const got = await idsByKey();
    expect(new Map([...got].map(([k, v]) => [k.replace(/\/[^/]+$/, ""), v]))).toEqual(
      new Map([
        ["items/year=2025/month=03/day=23", [5]],
        ["orders/year=2025/month=02/day=10", [1]],
        ["orders/year=2025/month=02/day=11", [2]],
        ["users/year=2025/month=03/day=21", [3]],
        ["users/year=2025/month=03/day=22", [4]],
      ]),
    );
  });

  it("cursor macros for a stream without any cursor fail, naming the stream and what to set", async () => {
    const r = await run(
      { file_type: "jsonl", key_template: DAY_TEMPLATE },
      input(singer("orders", [{ id: 1, updated_at: "2025-04-14T10:00:00Z" }], { bookmark: ["updated_at"] }), singer("no_cursor_stream", [{ id: 2 }])),
    );
    expect(r.code, hint(r)).toBe(1);
    expect(r.stderr).toContain("no_cursor_stream");
    expect(r.stderr).toContain("cursor_field");
    expect(r.stderr).toContain("bookmark_properties");
    expect(r.stateLines).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------------------------

describe("template errors at start", () => {
  for (const [name, template, expectedText] of [
    ["an unknown macro", "{stream_name}/{strem_id}-{part}.{extension}", "{strem_id}"],
    ["an unbalanced brace", "{stream_name}/{part.{extension}", 'unbalanced "{"'],
    ["an unbalanced closing brace", "{stream_name}/part}.{extension}", 'unbalanced "}"'],
  ] as const) {
    it(`${name} is exit 2 listing the valid macros, before any input is read`, async () => {
      // The input is not JSON: had it been read, the error would be about line 1.
      const r = await run({ file_type: "jsonl", key_template: template }, "this is not a Singer message\n");
      expect(r.code, hint(r)).toBe(2);
      expect(r.stderr).toContain("key_template");
      expect(r.stderr).toContain(expectedText);
      expect(r.stderr).toContain("{stream_name} {stream_id} {stream_run_id}");
      expect(r.stderr).toContain("{cursor_singular_date_time}");
      expect(r.stderr).not.toMatch(/line 1|not JSON|not valid JSON/i);
      expect(r.stdout).toBe("");
      expect(await keys()).toEqual([]);
    });
  }
});

describe("keys that could collide are refused at start", () => {
  const fiveRecords = input(
    singer(
      "orders",
      [1, 2, 3, 4, 5].map((id) => ({ id, updated_at: "2025-04-14T10:00:00Z" })),
      { bookmark: ["updated_at"] },
    ),
    singer("users", [{ id: 6, updated_at: "2025-04-14T10:00:00Z" }], { bookmark: ["updated_at"] }),
  );

  // Found by this file: "{stream_name}.{extension}" with batch_size_rows 2 wrote three files to one key, exit 0 and
  // the STATE printed, with only the last two records left in the bucket.
  for (const template of ["{stream_name}.{extension}", "{stream_name}/{cursor_day}.{extension}", "{stream_name}-{connection_run_id}.{extension}"]) {
    it(`a template without {part} (${template}) is exit 2 before any object is written`, async () => {
      const r = await run({ file_type: "jsonl", batch_size_rows: 2, key_template: template }, fiveRecords);
      expect(r.code, hint(r)).toBe(2);
      expect(r.stderr).toContain("{part}");
      expect(r.stateLines).toEqual([]);
      expect(await keys()).toEqual([]);
    });
  }

  it("a template without {stream_name}, {stream_id} or {stream_run_id} is exit 2 (two streams would share keys)", async () => {
    const r = await run({ file_type: "jsonl", key_template: "data/{connection_run_id}-{part}.{extension}" }, fiveRecords);
    expect(r.code, hint(r)).toBe(2);
    expect(r.stderr).toContain("{stream_name}");
    expect(r.stateLines).toEqual([]);
    expect(await keys()).toEqual([]);
  });

  // Found by this file: s3://bucket/a/../b and object_key_path "../up" were silently written as "a/~2E~2E/b/~2E~2E/up/…".
  it("a bucket URI prefix or object_key_path with a .. segment, a control character or a backslash is exit 2 listing each", async () => {
    const config = s3Config(s3, `s3://${bucket}/a/../b`, { file_type: "jsonl", object_key_path: "../up\\x\u0007" });
    const r = await runCli(["--config", writeConfig(config)], { input: "not read\n", timeoutMs: 60_000 });
    expect(r.code, hint(r)).toBe(2);
    expect(r.stderr).toMatch(/bucket: .*"\.\." path segment/);
    expect(r.stderr).toMatch(/object_key_path: .*"\.\." path segment/);
    expect(r.stderr).toMatch(/object_key_path: .*backslash/);
    expect(r.stderr).toMatch(/object_key_path: .*control character/);
    expect(await keys()).toEqual([]);
  });

  it('an invalid date_partition_format is exit 2 naming the directive (once, not "date_partition_format: date_partition_format:")', async () => {
    const r = await run({ file_type: "jsonl", date_partition_format: "%Y/%Q" }, "not read\n");
    expect(r.code, hint(r)).toBe(2);
    expect(r.stderr).toContain('date_partition_format: "%Y/%Q": unknown directive "%Q"');
    expect(r.stderr).not.toContain("date_partition_format: date_partition_format");
  });
});

// ---------------------------------------------------------------------------------------------------------------

describe("hostile stream names", () => {
  const hostile = ["../../x", "/abs", "a\u0001b", "test:SpecialChars!in?attributes", "a/b", "..", ".", "a~2Fb", "a b", "日本"];
  const hostileInput = input(...hostile.map((stream, i) => singer(stream, [{ id: i + 1, updated_at: "2025-04-14T10:00:00Z" }], { bookmark: ["updated_at"] })));

  function checkKeys(all: string[]): void {
    for (const key of all) {
      expect(key.startsWith(PREFIX), key).toBe(true);
      expect(key.split("/"), key).not.toContain("..");
      expect(key.split("/"), key).not.toContain(".");
      expect(key, key).not.toContain("//");
      expect(key, key).not.toMatch(/^\//);

      expect(key, key).not.toMatch(/[\u0000-\u001f\u007f\\]/);
    }
  }

  for (const [label, template] of [
    ["the default template", undefined],
    ["a template with the name twice and cursor folders", "{stream_name}/{cursor_year}/{stream_name}-{part}.{extension}"],
    ["a template with the name only in the file name", "{stream_name}-{part}.{extension}"],
  ] as const) {
    it(`all stay under the configured prefix, safe and apart (${label})`, async () => {
      const r = await run({ file_type: "jsonl", ...(template ? { key_template: template } : {}) }, hostileInput);
      expect(r.code, hint(r)).toBe(0);
      const all = await keys();
      expect(all).toHaveLength(hostile.length);
      checkKeys(all);
      // Every stream's only record came back from its own object: no two streams share a key.
      const got = await idsByKey();
      expect([...got.values()].flat().sort((a, b) => a - b)).toEqual(hostile.map((_, i) => i + 1));
      for (const ids of got.values()) expect(ids).toHaveLength(1);
    });
  }

  it("map to the documented safe forms", async () => {
    const r = await run({ file_type: "jsonl", key_template: "{stream_name}-{part}.{extension}" }, hostileInput);
    expect(r.code, hint(r)).toBe(0);
    const byId = new Map([...(await idsByKey())].map(([k, ids]) => [ids[0], k]));
    expect(hostile.map((_, i) => byId.get(i + 1))).toEqual([
      "..~2F..~2Fx-00001.jsonl",
      "~2Fabs-00001.jsonl",
      "a~01b-00001.jsonl",
      "test~3ASpecialChars!in~3Fattributes-00001.jsonl",
      "a~2Fb-00001.jsonl",
      "~2E~2E-00001.jsonl",
      "~2E-00001.jsonl",
      "a~7E2Fb-00001.jsonl",
      "a~20b-00001.jsonl",
      "日本-00001.jsonl",
    ]);
  });

  it("a stream name alone as a segment is escaped, never a . or .. folder", async () => {
    const r = await run({ file_type: "jsonl", key_template: "{stream_name}/f{part}.{extension}" }, hostileInput);
    expect(r.code, hint(r)).toBe(0);
    const all = await keys();
    checkKeys(all);
    expect(all).toContain(`${PREFIX}~2E~2E/f00001.jsonl`);
    expect(all).toContain(`${PREFIX}~2E/f00001.jsonl`);
    expect(all).toContain(`${PREFIX}..~2F..~2Fx/f00001.jsonl`);
    expect(all).toHaveLength(hostile.length);
  });
});

// ---------------------------------------------------------------------------------------------------------------

const UUID_V4_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** RFC 9562 UUIDv5, written here independently of src/s3/key-template.ts. */
function uuid5(name: string, namespace: string): string {
  const h = createHash("sha1")
    .update(Buffer.from(namespace.replaceAll("-", ""), "hex"))
    .update(name, "utf8")
    .digest();
  const b = Buffer.from(h.subarray(0, 16));
  b[6] = (b[6]! & 0x0f) | 0x50;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const x = b.toString("hex");
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}
/** The documented namespace of {stream_id} / {stream_run_id} (README "Object keys"). */
const STREAM_ID_NAMESPACE = "6b2f8d61-21ab-4c97-a235-f6fb5654f7fb";

describe("the default template", () => {
  const twoStreams = input(singer("orders", [{ id: 1 }, { id: 2 }]), singer("users", [{ id: 3 }]));
  const DEFAULT_NAME = /^(orders|users)-(\d{4})_(\d{2})_(\d{2})_(\d{2})_(\d{2})_(\d{2})-([0-9a-f-]{36})-(\d{5})\.jsonl$/;

  it("puts each stream in its own folder, and two runs into the same prefix overwrite nothing", async () => {
    const r1 = await run({ file_type: "jsonl" }, twoStreams);
    expect(r1.code, hint(r1)).toBe(0);
    const r2 = await run({ file_type: "jsonl" }, twoStreams);
    expect(r2.code, hint(r2)).toBe(0);
    const got = await idsByKey();
    expect(got.size).toBe(4);
    const runIds = new Set<string>();
    for (const [key, ids] of got) {
      const [folder, name, ...rest] = key.split("/");
      expect(rest, key).toEqual([]);
      const m = DEFAULT_NAME.exec(name ?? "");
      expect(m, key).not.toBeNull();
      expect(m?.[1]).toBe(folder);
      expect(m?.[8]).toMatch(UUID_V4_RE);
      expect(m?.[9]).toBe("00001");
      runIds.add(m?.[8] ?? "");
      expect(ids).toEqual(folder === "orders" ? [1, 2] : [3]);
    }
    expect(runIds.size).toBe(2);
  });

  it("adds the date partition folder when date_partition_format is set", async () => {
    const before = new Date();
    const r = await run({ file_type: "jsonl", date_partition_format: "%Y/%m/%d" }, twoStreams);
    const after = new Date();
    expect(r.code, hint(r)).toBe(0);
    const dates = new Set([before, after].map((d) => d.toISOString().slice(0, 10).replaceAll("-", "/")));
    const got = await idsByKey();
    expect(got.size).toBe(2);
    for (const key of got.keys()) {
      const m = /^(orders|users)\/(\d{4}\/\d{2}\/\d{2})\/([^/]+)$/.exec(key);
      expect(m, key).not.toBeNull();
      expect(dates, key).toContain(m?.[2]);
      const name = DEFAULT_NAME.exec(m?.[3] ?? "");
      expect(name, key).not.toBeNull();
      // The date folder and the file name's {timestamp} come from the same run start.
      expect(`${name?.[2]}/${name?.[3]}/${name?.[4]}`).toBe(m?.[2]);
    }
  });
});

describe("load-time macros in a real key", () => {
  it("{stream_id} and {stream_run_id} render the documented UUIDv5 values", async () => {
    const r = await run(
      {
        file_type: "jsonl",
        connection_id: "crm-prod",
        connection_run_id: "nightly-42",
        key_template: "{stream_id}/{stream_run_id}/{stream_name}-{part}.{extension}",
      },
      input(singer("orders", [{ id: 1 }]), singer("users", [{ id: 2 }])),
    );
    expect(r.code, hint(r)).toBe(0);
    const expected = ["orders", "users"].map(
      (s) => `${PREFIX}${uuid5(`crm-prod//${s}`, STREAM_ID_NAMESPACE)}/${uuid5(`nightly-42//${s}`, STREAM_ID_NAMESPACE)}/${s}-00001.jsonl`,
    );
    expect((await keys()).sort()).toEqual(expected.sort());
    for (const key of expected) expect(key.split("/")[3]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it("every load-time macro renders (fixed connection_run_id)", async () => {
    const template =
      "{stream_name}/{namespace}/{stream_id}/{stream_run_id}/{connection_id}/{connection_run_id}/{extension}/{date_time}/{timestamp}/" +
      "{iso_date_time}/{date}/{iso_date}/{year}/{month}/{day}/{hour}/{minute}/{second}/{part}/{date_partition}/f.{extension}";
    const before = Math.floor(Date.now() / 1000) * 1000;
    const r = await run(
      {
        file_type: "jsonl",
        compression: "gzip",
        connection_id: "crm prod",
        connection_run_id: "run:7",
        date_partition_format: "dp=%Y%m%d",
        key_template: template,
      },
      input(singer("orders", [{ id: 1 }])),
    );
    const after = Date.now();
    expect(r.code, hint(r)).toBe(0);
    const all = await keys();
    expect(all).toHaveLength(1);
    const segs = (all[0] ?? "").slice(PREFIX.length).split("/");
    // {namespace} is empty in Singer mode: its segment disappears.
    const [stream, sid, srid, cid, crid, ext, dateTime, timestamp, iso, date, isoDate, y, mo, d, h, mi, s, part, dp, file] = segs;
    expect(segs).toHaveLength(20);
    expect(stream).toBe("orders");
    expect(sid).toBe(uuid5("crm prod//orders", STREAM_ID_NAMESPACE));
    expect(srid).toBe(uuid5("run:7//orders", STREAM_ID_NAMESPACE));
    expect(cid).toBe("crm~20prod");
    expect(crid).toBe("run~3A7");
    expect(ext).toBe("jsonl.gz");
    expect(file).toBe("f.jsonl.gz");
    expect(part).toBe("00001");
    // All the clock macros show the same run start, which lies between before and after.
    const start = Date.parse(iso ?? "");
    expect(start).toBeGreaterThanOrEqual(before);
    expect(start).toBeLessThanOrEqual(after);
    const t = new Date(start);
    const p2 = (n: number): string => String(n).padStart(2, "0");
    const [Y, M, D, H, MI, S] = [
      String(t.getUTCFullYear()),
      p2(t.getUTCMonth() + 1),
      p2(t.getUTCDate()),
      p2(t.getUTCHours()),
      p2(t.getUTCMinutes()),
      p2(t.getUTCSeconds()),
    ];
    expect(iso).toBe(`${Y}-${M}-${D}T${H}:${MI}:${S}Z`);
    expect(dateTime).toBe(`${Y}_${M}_${D}_${H}_${MI}_${S}`);
    expect(timestamp).toBe(dateTime);
    expect(date).toBe(`${Y}_${M}_${D}`);
    expect(isoDate).toBe(`${Y}-${M}-${D}`);
    expect([y, mo, d, h, mi, s]).toEqual([Y, M, D, H, MI, S]);
    expect(dp).toBe(`dp=${Y}${M}${D}`);
    // The object itself is the record.
    expect((await readObjectRows(s3, bucket, all[0] ?? "")).map((row) => Number(row["id"]))).toEqual([1]);
  });

  it("clock macros use the run start in timezone (America/New_York)", async () => {
    const before = Math.floor(Date.now() / 1000) * 1000;
    const r = await run(
      { file_type: "jsonl", timezone: "America/New_York", key_template: "{iso_date_time}/{date_time}/{hour}/{stream_name}-{part}.{extension}" },
      input(singer("orders", [{ id: 1 }])),
    );
    const after = Date.now();
    expect(r.code, hint(r)).toBe(0);
    const [iso, dateTime, hour] = ((await keys())[0] ?? "").slice(PREFIX.length).split("/");
    const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(-0[45]:00)$/.exec(iso ?? "");
    expect(m, iso).not.toBeNull();
    const start = Date.parse(iso ?? "");
    expect(start).toBeGreaterThanOrEqual(before);
    expect(start).toBeLessThanOrEqual(after);
    const local = new Date(start + (m?.[7] === "-04:00" ? -4 : -5) * 3_600_000);
    expect(hour).toBe(String(local.getUTCHours()).padStart(2, "0"));
    expect(dateTime).toBe(`${m?.[1]}_${m?.[2]}_${m?.[3]}_${m?.[4]}_${m?.[5]}_${m?.[6]}`);
  });
});
