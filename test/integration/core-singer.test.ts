// The core Singer target end to end: the built CLI spawned against the real local S3 server, every object read back
// and compared with the input record by record (after the documented mapping per format).
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { readParquetIndependently, readParquetMetadata } from "../helpers/read-back.js";
import { makeTempDir, REPO_ROOT, runCli, s3Config, writeConfig, type CliResult } from "../helpers/run-cli.js";
import { startS3Server, type S3TestServer } from "../helpers/s3-server.js";
import { parseJsonLines, readStreamObjects, rowsPerStream, type StreamObject } from "../helpers/stream-objects.js";

let s3: S3TestServer;
let bucket: string;
let duck: DuckDBConnection;
let duckDb: DuckDBInstance;

beforeAll(async () => {
  s3 = await startS3Server();
  const dir = makeTempDir("core-singer-duck-");
  duckDb = await DuckDBInstance.create(":memory:", {
    memory_limit: "256MB",
    temp_directory: join(dir, "tmp"),
    extension_directory: join(dir, "ext"),
    autoinstall_known_extensions: "false",
    autoload_known_extensions: "false",
  });
  duck = await duckDb.connect();
  await duck.run("SET TimeZone = 'UTC'");
});
afterAll(async () => {
  duck?.closeSync();
  duckDb?.closeSync();
  await s3?.close();
});
beforeEach(async () => {
  bucket = await s3.createBucket();
});

const hint = (r: CliResult): string => `exit ${r.code}\nstderr:\n${r.stderr.slice(-3000)}`;
const line = (m: unknown): string => JSON.stringify(m);

async function run(extra: Record<string, unknown>, input: string | Buffer, b = bucket): Promise<CliResult> {
  return runCli(["--config", writeConfig(s3Config(s3, b, extra))], { input, timeoutMs: 90_000 });
}

// ---------------------------------------------------------------------------------------------------------------
// Every JSON Schema type, two streams, every format.

const USERS_SCHEMA = {
  type: "object",
  properties: {
    id: { type: "integer" },
    big: { type: ["null", "integer"] },
    score: { type: "number" },
    active: { type: "boolean" },
    name: { type: "string" },
    created_at: { type: "string", format: "date-time" },
    birthday: { type: ["null", "string"], format: "date" },
    nick: { type: ["null", "string"] },
    address: { type: ["null", "object"], properties: { city: { type: "string" }, zip: { type: ["null", "string"] } } },
    tags: { type: ["null", "array"], items: { type: "string" } },
    either: { anyOf: [{ type: "integer" }, { type: "string" }, { type: "null" }] },
  },
};
const EVENTS_SCHEMA = {
  type: "object",
  properties: {
    event_id: { type: "string" },
    at: { type: "string", format: "date-time" },
    payload: { type: "object" },
    n: { type: ["null", "number"] },
  },
};

/** The raw text of each RECORD's record, per stream, in input order (what JSON formats must reproduce). */
const USERS: string[] = [
  `{"id": 1, "big": 99999999999999999, "score": 1.5, "active": true, "name": "Ann \\"quoted\\", comma", "created_at": "2024-01-02T03:04:05.123456+02:00", "birthday": "1990-02-28", "nick": "annie", "address": {"city": "Zürich", "zip": "8001"}, "tags": ["a", "b,c"], "either": 5}`,
  `{"id": 2, "big": -9223372036854775808, "score": -0.25, "active": false, "name": "Bob\\nnewline", "created_at": "2024-01-02T03:04:05-05:30", "birthday": null, "nick": null, "address": null, "tags": [], "either": "five"}`,
  `{"id": 3, "big": null, "score": 3, "active": true, "name": "日本語 😀", "created_at": "2024-06-30T23:59:59Z", "birthday": "2000-01-01", "address": {"city": "Oslo"}, "either": null}`,
  `{"id": 4, "score": 1e3, "active": false, "name": "", "created_at": "2024-03-01T12:00:00"}`,
  `{"id": 5, "score": 0.1, "active": true, "name": "tab\\there", "created_at": "2024-03-01 12:00:00.5"}`,
];
const EVENTS: string[] = [
  `{"event_id": "e1", "at": "2023-12-31T23:00:00.000001+01:00", "payload": {"k": [1, {"x": null}], "big": 99999999999999999}, "n": 2.5}`,
  `{"event_id": "e2", "at": "2023-12-31T23:00:00Z", "payload": {}}`,
];

function allTypesInput(): string {
  const lines = [
    line({ type: "SCHEMA", stream: "users", schema: USERS_SCHEMA, key_properties: ["id"] }),
    line({ type: "STATE", value: { step: 0 } }),
    line({ type: "SCHEMA", stream: "events", schema: EVENTS_SCHEMA, key_properties: [] }),
  ];
  const max = Math.max(USERS.length, EVENTS.length);
  for (let i = 0; i < max; i++) {
    if (USERS[i]) lines.push(`{"type": "RECORD", "stream": "users", "record": ${USERS[i]}}`);
    if (EVENTS[i]) lines.push(`{"type": "RECORD", "stream": "events", "record": ${EVENTS[i]}}`);
  }
  lines.push(line({ type: "STATE", value: { step: 1 } }));
  return lines.join("\n") + "\n";
}

/** ISO-8601 UTC with microseconds, as the CSV mapping writes date-times (zone-less input is UTC). */
function utcMicros(text: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(?:\.(\d{1,6}))?(Z|[+-]\d{2}:\d{2})?$/.exec(text);
  if (!m) throw new Error(`unexpected date-time ${text}`);
  const [, date, clock, frac = "", zone = "Z"] = m;
  const ms = Date.parse(`${date}T${clock}${zone === "Z" ? "Z" : zone}`);
  const iso = new Date(ms).toISOString().slice(0, 19);
  return `${iso}.${frac.padEnd(6, "0")}Z`;
}
/** Microseconds since the epoch of a date-time (zone-less is UTC). */
function epochMicros(text: string): bigint {
  const iso = utcMicros(text);
  return BigInt(Date.parse(iso.slice(0, 19) + "Z")) * 1000n + BigInt(iso.slice(20, 26));
}

type Row = Record<string, unknown>;
const SCHEMAS: Record<string, { properties: Record<string, Record<string, unknown>> }> = { users: USERS_SCHEMA, events: EVENTS_SCHEMA };

function kindOf(prop: Record<string, unknown>): string {
  const types = ([] as unknown[]).concat(prop["type"] ?? []).filter((t) => t !== "null");
  if (prop["anyOf"]) return "json";
  if (types[0] === "string" && prop["format"] === "date-time") return "date-time";
  if (types[0] === "string" && prop["format"] === "date") return "date";
  return String(types[0]);
}

/** Big integers compared as text: parse the raw record with big numbers quoted. */
function parseExact(raw: string): Row {
  return JSON.parse(raw.replace(/(:\s*|\[\s*|,\s*)(-?\d{16,})(?=\s*[,}\]])/g, '$1"$2"')) as Row;
}

function expectCsvRow(stream: string, row: Row, raw: string): void {
  const record = parseExact(raw);
  const props = SCHEMAS[stream]!.properties;
  expect(Object.keys(row)).toEqual(Object.keys(props));
  for (const [name, prop] of Object.entries(props)) {
    const sent = record[name];
    const cell = row[name];
    const where = `${stream}.${name} of ${raw}`;
    if (sent === undefined || sent === null) {
      expect(cell, where).toBeNull();
      continue;
    }
    switch (kindOf(prop)) {
      case "integer":
        expect(cell, where).toBe(String(sent));
        break;
      case "number":
        expect(Number(cell), where).toBe(Number(sent));
        break;
      case "boolean":
        expect(cell, where).toBe(String(sent));
        break;
      case "date-time":
        expect(cell, where).toBe(utcMicros(String(sent)));
        break;
      case "string":
      case "date":
        expect(cell, where).toBe(sent);
        break;
      default:
        // object, array, anyOf: JSON text (big integers inside keep their digits).
        expect(parseExact(String(cell)), where).toEqual(sent);
    }
  }
}

async function parquetRows(object: StreamObject): Promise<{ duck: Row[]; micros: Record<string, (string | null)[]> }> {
  const dir = makeTempDir("core-parquet-");
  const path = join(dir, "o.parquet");
  writeFileSync(path, object.body);
  const timestampCols = Object.entries(SCHEMAS[object.stream]!.properties)
    .filter(([, p]) => kindOf(p) === "date-time")
    .map(([n]) => n);
  const sel = timestampCols.map((c) => `CAST(epoch_us("${c}") AS VARCHAR) AS "${c}"`).join(", ");
  const reader = await duck.runAndReadAll(`SELECT ${sel} FROM read_parquet('${path}')`);
  const micros: Record<string, (string | null)[]> = {};
  for (const c of timestampCols) micros[c] = [];
  for (const r of reader.getRowObjectsJson() as Row[]) for (const c of timestampCols) micros[c]!.push(r[c] === null ? null : String(r[c]));
  return { duck: object.rows, micros };
}

describe("every JSON Schema type, two streams", () => {
  const FORMATS: Array<[string, Record<string, unknown>]> = [
    ["csv", { file_type: "csv" }],
    ["csv+gzip", { file_type: "csv", compression: "gzip" }],
    ["parquet", { file_type: "parquet" }],
    ["jsonl", { file_type: "jsonl" }],
    ["jsonl+gzip", { file_type: "jsonl", compression: "gzip" }],
    ["json", { file_type: "json" }],
    ["json+gzip", { file_type: "json", compression: "gzip" }],
  ];
  it.each(FORMATS)("%s: every record reads back as sent (after the documented mapping)", async (name, extra) => {
    const result = await run(extra, allTypesInput());
    expect(result.code, hint(result)).toBe(0);
    expect(result.stateLines.at(-1)).toEqual({ step: 1 });
    const objects = await readStreamObjects(s3, bucket);
    expect(rowsPerStream(objects)).toEqual({ users: USERS.length, events: EVENTS.length });
    const ext = { csv: ".csv", "csv+gzip": ".csv.gz", parquet: ".parquet", jsonl: ".jsonl", "jsonl+gzip": ".jsonl.gz", json: ".json", "json+gzip": ".json.gz" }[
      name
    ]!;
    for (const o of objects) expect(o.key.endsWith(ext), o.key).toBe(true);
    const sent: Record<string, string[]> = { users: USERS, events: EVENTS };

    for (const object of objects) {
      const raws = sent[object.stream]!;
      if (name.startsWith("jsonl")) {
        // Records as sent: byte for byte, one per line.
        expect(object.body.toString("utf8")).toBe(raws.map((r) => r + "\n").join(""));
      } else if (name.startsWith("json")) {
        const text = object.body.toString("utf8");
        expect(JSON.parse(text)).toEqual(raws.map((r) => JSON.parse(r)));
        for (const r of raws) expect(text).toContain(r);
      } else if (name.startsWith("csv")) {
        object.rows.forEach((row, i) => expectCsvRow(object.stream, row, raws[i]!));
      } else {
        await expectParquet(object, raws);
      }
    }
  });

  async function expectParquet(object: StreamObject, raws: string[]): Promise<void> {
    const props = SCHEMAS[object.stream]!.properties;
    const independent = await readParquetIndependently(object.body);
    const meta = readParquetMetadata(object.body);
    const { micros } = await parquetRows(object);
    expect(independent).toHaveLength(raws.length);
    raws.forEach((raw, i) => {
      const record = parseExact(raw);
      const row = independent[i]!;
      expect(Object.keys(row)).toEqual(Object.keys(props));
      for (const [name, prop] of Object.entries(props)) {
        const sent = record[name];
        const got = row[name];
        const where = `${object.stream}.${name} of ${raw}`;
        if (sent === undefined || sent === null) {
          expect(got ?? null, where).toBeNull();
          continue;
        }
        switch (kindOf(prop)) {
          case "integer":
            expect(got, where).toBe(BigInt(String(sent)));
            break;
          case "number":
            expect(got, where).toBe(Number(sent));
            break;
          case "boolean":
          case "string":
            expect(got, where).toBe(sent);
            break;
          case "date":
            expect((got as Date).toISOString().slice(0, 10), where).toBe(sent);
            break;
          case "date-time":
            expect(micros[name]![i], where).toBe(String(epochMicros(String(sent))));
            break;
          default:
            // Typed objects are STRUCTs, typed arrays LISTs, loose objects and unions JSON.
            expect(
              JSON.stringify(got, (_k, v: unknown) => (typeof v === "bigint" ? Number(v) : v)),
              where,
            ).toBe(JSON.stringify(normalizeNested(JSON.parse(raw)[name], prop)));
        }
      }
    });
    // Logical types: TIMESTAMP (UTC, micros) for date-times, DATE, INT64, JSON for loose values.
    const leaf = (n: string) => meta.schema.find((s) => s.name === n);
    for (const [name, prop] of Object.entries(props)) {
      const el = leaf(name);
      if (kindOf(prop) === "date-time") {
        expect(el?.logical_type, name).toMatchObject({ type: "TIMESTAMP", isAdjustedToUTC: true, unit: "MICROS" });
      }
      if (kindOf(prop) === "date") expect(el?.logical_type?.type ?? el?.converted_type, name).toMatch(/DATE/);
      if (kindOf(prop) === "integer") expect(el?.type, name).toBe("INT64");
      if (kindOf(prop) === "number") expect(el?.type, name).toBe("DOUBLE");
    }
  }

  /** A STRUCT reads back with every declared field (null when missing); JSON values read back as sent. */
  function normalizeNested(value: unknown, prop: Record<string, unknown>): unknown {
    const props = prop["properties"] as Record<string, Record<string, unknown>> | undefined;
    if (value !== null && typeof value === "object" && !Array.isArray(value) && props && Object.keys(props).length > 0) {
      const out: Record<string, unknown> = {};
      for (const [k, p] of Object.entries(props)) out[k] = normalizeNested((value as Record<string, unknown>)[k] ?? null, p);
      return out;
    }
    return value;
  }
});

// ---------------------------------------------------------------------------------------------------------------

const SIMPLE = { type: "object", properties: { id: { type: "integer" }, v: { type: ["null", "string"] } } };
const schemaLine = (stream: string, schema: unknown = SIMPLE, keys: string[] = ["id"]): string =>
  line({ type: "SCHEMA", stream, schema, key_properties: keys });
const recordLine = (stream: string, record: unknown): string => line({ type: "RECORD", stream, record });
const stateLine = (value: unknown): string => line({ type: "STATE", value });

describe("batches and schema versions", () => {
  it("batch_size_rows splits a stream into several files, every row exactly once", async () => {
    const lines = [schemaLine("s")];
    for (let i = 1; i <= 10; i++) lines.push(recordLine("s", { id: i, v: `v${i}` }));
    const result = await run({ file_type: "csv", batch_size_rows: 3 }, lines.join("\n"));
    expect(result.code, hint(result)).toBe(0);
    const objects = await readStreamObjects(s3, bucket);
    expect(objects.map((o) => o.rows.length).sort()).toEqual([1, 3, 3, 3]);
    const ids = objects.flatMap((o) => o.rows.map((r) => Number(r["id"])));
    expect(ids.sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(new Set(objects.map((o) => o.key)).size).toBe(4);
  });

  it("a changed SCHEMA closes the file; an identical SCHEMA (even with keys reordered) does not", async () => {
    const reordered = { properties: { v: { type: ["null", "string"] }, id: { type: "integer" } }, type: "object" };
    const changed = { type: "object", properties: { id: { type: "integer" }, v: { type: ["null", "string"] }, w: { type: "boolean" } } };
    const input = [
      schemaLine("s"),
      recordLine("s", { id: 1, v: "a" }),
      recordLine("s", { id: 2, v: "b" }),
      schemaLine("s", reordered),
      recordLine("s", { id: 3, v: "c" }),
      schemaLine("s", changed),
      recordLine("s", { id: 4, v: "d", w: true }),
      schemaLine("s", changed),
      recordLine("s", { id: 5, w: false }),
    ].join("\n");
    const result = await run({ file_type: "parquet" }, input);
    expect(result.code, hint(result)).toBe(0);
    const objects = await readStreamObjects(s3, bucket);
    expect(objects).toHaveLength(2);
    const byCols = new Map(objects.map((o) => [Object.keys(o.rows[0]!).join(","), o.rows]));
    expect(byCols.get("id,v")?.map((r) => [r["id"], r["v"]])).toEqual([
      ["1", "a"],
      ["2", "b"],
      ["3", "c"],
    ]);
    expect(byCols.get("id,v,w")?.map((r) => [r["id"], r["v"], r["w"]])).toEqual([
      ["4", "d", true],
      ["5", null, false],
    ]);
  });

  it("columns come from the schema, not the first record: a missing field is null, never a shifted column", async () => {
    const schema = { type: "object", properties: { a: { type: ["null", "string"] }, b: { type: ["null", "string"] }, c: { type: ["null", "string"] } } };
    const input = [
      schemaLine("s", schema, []),
      recordLine("s", { c: "C1" }),
      recordLine("s", { b: "B2", a: "A2", c: "C2" }),
      recordLine("s", { a: "A3" }),
    ].join("\n");
    for (const extra of [{ file_type: "csv" }, { file_type: "parquet" }]) {
      const b = await s3.createBucket();
      const result = await run(extra, input, b);
      expect(result.code, hint(result)).toBe(0);
      const [object] = await readStreamObjects(s3, b);
      expect(object!.rows).toEqual([
        { a: null, b: null, c: "C1" },
        { a: "A2", b: "B2", c: "C2" },
        { a: "A3", b: null, c: null },
      ]);
      if (extra.file_type === "csv") expect(object!.body.toString("utf8").split("\n")[0]).toBe("a,b,c");
    }
  });
});

describe("input framing", () => {
  it("CRLF line ends, a last line without newline, and a multi-MB line", async () => {
    const big = "x".repeat(3 * 1024 * 1024) + 'é"\\end';
    const records = [
      { id: 1, v: "first" },
      { id: 2, v: big },
      { id: 3, v: "last" },
    ];
    const input = [schemaLine("s"), ...records.map((r) => recordLine("s", r)), stateLine({ done: true })].join("\r\n"); // no final newline
    for (const extra of [{ file_type: "jsonl" }, { file_type: "csv" }, { file_type: "parquet" }]) {
      const b = await s3.createBucket();
      const result = await run(extra, input, b);
      expect(result.code, hint(result)).toBe(0);
      expect(result.stateLines).toEqual([{ done: true }]);
      // DuckDB's read_csv stops at 2 MB lines: the CSV is read with the helper's RFC 4180 reader.
      const [object] = await readStreamObjects(s3, b, "", { csvReader: "rfc4180" });
      expect(object!.rows.map((r) => [String(r["id"]), r["v"]])).toEqual(records.map((r) => [String(r.id), r.v]));
    }
  });
});

describe("object keys", () => {
  it("bucket s3://bucket/some/prefix and object_key_path both go in front of the key", async () => {
    const input = [schemaLine("users"), recordLine("users", { id: 1 })].join("\n");
    const result = await run({ bucket: `s3://${bucket}/some/prefix`, object_key_path: "/team/raw/" }, input);
    expect(result.code, hint(result)).toBe(0);
    const keys = (await s3.listObjects(bucket)).map((o) => o.key);
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatch(/^some\/prefix\/team\/raw\/users\/[^/]+\.csv$/);
    expect(keys[0]).not.toContain("//");
  });

  it("two runs with the default template never overwrite each other", async () => {
    const input = [schemaLine("s"), recordLine("s", { id: 1 })].join("\n");
    for (let i = 0; i < 2; i++) expect((await run({}, input)).code).toBe(0);
    expect(await s3.listObjects(bucket)).toHaveLength(2);
  });
});

describe("column_header_format", () => {
  it("upper renames the header; data stays in place", async () => {
    const schema = { type: "object", properties: { userId: { type: "integer" }, Name: { type: "string" } } };
    const result = await run({ column_header_format: "upper" }, [schemaLine("s", schema, ["userId"]), recordLine("s", { Name: "n", userId: 7 })].join("\n"));
    expect(result.code, hint(result)).toBe(0);
    const [object] = await readStreamObjects(s3, bucket);
    expect(object!.rows).toEqual([{ USERID: "7", NAME: "n" }]);
  });

  it("two properties that collide after casing are an error naming both and the line", async () => {
    const schema = { type: "object", properties: { user_id: { type: "integer" }, USER_ID: { type: "integer" } } };
    const result = await run({ column_header_format: "upper" }, [stateLine({}), schemaLine("s", schema, [])].join("\n"));
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/line 2: .*'user_id' and 'USER_ID' both become column 'USER_ID'/);
    expect(await s3.listObjects(bucket)).toEqual([]);
  });
});

describe("configuration", () => {
  it("--config twice: the later file wins", async () => {
    const other = await s3.createBucket();
    const first = writeConfig(s3Config(s3, "no-such-bucket", { file_type: "csv", batch_size_rows: 1 }));
    const second = writeConfig({ bucket: other, file_type: "jsonl" });
    const input = [schemaLine("s"), recordLine("s", { id: 1 }), recordLine("s", { id: 2 })].join("\n");
    const result = await runCli(["--config", first, "--config", second], { input });
    expect(result.code, hint(result)).toBe(0);
    const objects = await readStreamObjects(s3, other);
    // file_type from the second, batch_size_rows (not overridden) from the first.
    expect(objects.map((o) => o.key.endsWith(".jsonl"))).toEqual([true, true]);
  });

  it("config errors exit 2 with every problem listed, before any input is read", async () => {
    const config = writeConfig({ file_type: "orc", batch_size_rows: -1, compression: "zip" });
    const result = await runCli(["--config", config], { input: "THIS IS NOT JSON\n" });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/bucket/);
    expect(result.stderr).toMatch(/file_type/);
    expect(result.stderr).toMatch(/batch_size_rows/);
    expect(result.stderr).toMatch(/compression/);
    expect(result.stderr).not.toMatch(/not valid JSON/);
    expect(result.stdout).toBe("");
  });

  it("a missing config file and no --config are usage errors (exit 2)", async () => {
    expect((await runCli(["--config", join(makeTempDir(), "nope.json")])).code).toBe(2);
    expect((await runCli([])).code).toBe(2);
  });
});

describe("--about and --version", () => {
  const version = (JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { version: string }).version;

  it("--version prints target-s3 vX.Y.Z, as Singer SDK plugins do", async () => {
    const result = await runCli(["--version"]);
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe(`target-s3 v${version}`);
  });

  it("--about --format json lists name, version, capabilities and every setting", async () => {
    const result = await runCli(["--about", "--format", "json"]);
    expect(result.code).toBe(0);
    const about = JSON.parse(result.stdout) as { name: string; version: string; capabilities: string[]; settings: { properties: Record<string, unknown> } };
    expect(about.name).toBe("target-s3");
    expect(about.version).toBe(version);
    expect(about.capabilities).toContain("about");
    const declared = (JSON.parse(readFileSync(join(REPO_ROOT, "schemas", "config.schema.json"), "utf8")) as { properties: Record<string, unknown> }).properties;
    expect(Object.keys(about.settings.properties).sort()).toEqual(Object.keys(declared).sort());
  });

  it("--about --format markdown is a markdown document naming the settings", async () => {
    const result = await runCli(["--about", "--format", "markdown"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^# `target-s3`/);
    for (const s of ["bucket", "file_type", "batch_size_rows"]) expect(result.stdout).toContain(s);
  });

  it("--about --format of an unknown kind is a usage error", async () => {
    expect((await runCli(["--about", "--format", "yaml"])).code).toBe(2);
  });
});

describe("STATE", () => {
  it("values are printed byte-exact (big integers, decimals, escapes kept as sent)", async () => {
    const value = `{"bookmark": 99999999999999999, "price": 1.10, "s": "\\u00e9\\n", "nested": {"a": [1, 2.50]}}`;
    const input = [schemaLine("s"), recordLine("s", { id: 1 }), `{"type": "STATE", "value": ${value}}`].join("\n");
    const result = await run({}, input);
    expect(result.code, hint(result)).toBe(0);
    expect(result.stdout).toBe(value + "\n");
  });

  it("come out in input order, each at most once, the last one last; nothing else on stdout", async () => {
    const lines = [stateLine({ n: 0 }), schemaLine("a"), schemaLine("b")];
    let n = 1;
    for (let i = 1; i <= 12; i++) {
      lines.push(recordLine(i % 2 ? "a" : "b", { id: i }));
      if (i % 3 === 0) lines.push(stateLine({ n: n++ }));
    }
    lines.push(stateLine({ n: n }));
    const result = await run({ batch_size_rows: 2 }, lines.join("\n"));
    expect(result.code, hint(result)).toBe(0);
    expect(result.invalidStdoutLines).toEqual([]);
    const printed = result.stateLines.map((s) => (s as { n: number }).n);
    expect(printed.length).toBeGreaterThan(0);
    for (let i = 1; i < printed.length; i++) expect(printed[i]!).toBeGreaterThan(printed[i - 1]!);
    expect(printed.at(-1)).toBe(n);
    expect(rowsPerStream(await readStreamObjects(s3, bucket))).toEqual({ a: 6, b: 6 });
  });

  it("a STATE after a record that fails validation is never printed", async () => {
    const input = [schemaLine("s"), recordLine("s", { id: 1 }), stateLine({ ok: 1 }), recordLine("s", { id: "not a number" }), stateLine({ ok: 2 })].join("\n");
    const result = await run({}, input);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/line 4: /);
    expect(result.stateLines).not.toContainEqual({ ok: 2 });
  });

  it("an input with only STATE prints the last one and writes nothing", async () => {
    const result = await run({}, [stateLine({ a: 1 }), stateLine({ a: 2 })].join("\n"));
    expect(result.code, hint(result)).toBe(0);
    expect(result.stateLines.at(-1)).toEqual({ a: 2 });
    expect(await s3.listObjects(bucket)).toEqual([]);
  });
});

describe("messages", () => {
  it("ACTIVATE_VERSION before the stream's SCHEMA and unknown types are skipped without failing (warned and counted)", async () => {
    const input = [
      line({ type: "ACTIVATE_VERSION", stream: "s", version: 1 }),
      line({ type: "LOG_MESSAGE", stream: "s" }),
      schemaLine("s"),
      recordLine("s", { id: 1 }),
      line({ type: "ACTIVATE_VERSION", stream: "s", version: 2 }),
    ].join("\n");
    const result = await run({ file_type: "jsonl" }, input);
    expect(result.code, hint(result)).toBe(0);
    const objects = await readStreamObjects(s3, bucket);
    expect(objects.flatMap((o) => o.rows)).toEqual([{ id: 1 }]);
    expect(result.stderr).toMatch(/skipping messages of unknown type 'LOG_MESSAGE'/);
    expect(result.stderr).toMatch(/METRIC: \{"type":"counter","metric":"skipped_message_count","value":1,"tags":\{"message_type":"LOG_MESSAGE","pid":\d+\}\}/);
  });

  it("date-times the validator accepts are written (lower-case t/z, no seconds) in csv and parquet", async () => {
    const schema = { type: "object", properties: { at: { type: "string", format: "date-time" } } };
    const input = [schemaLine("s", schema, []), recordLine("s", { at: "2024-01-02t03:04:05z" }), recordLine("s", { at: "2024-01-02T03:04+01:00" })].join("\n");
    for (const extra of [{ file_type: "csv" }, { file_type: "parquet" }]) {
      const b = await s3.createBucket();
      const result = await run(extra, input, b);
      expect(result.code, hint(result)).toBe(0);
      const [object] = await readStreamObjects(s3, b, "", { parquetReader: "hyparquet" });
      expect(object!.rows.map((r) => r["at"])).toEqual(
        extra.file_type === "csv" ? ["2024-01-02T03:04:05.000000Z", "2024-01-02T02:04:00.000000Z"] : ["2024-01-02T03:04:05.000Z", "2024-01-02T02:04:00.000Z"],
      );
    }
  });

  it("jsonl objects hold the records only (no envelope)", async () => {
    const result = await run({ file_type: "jsonl" }, [schemaLine("s"), recordLine("s", { id: 1, v: "x" })].join("\n"));
    expect(result.code, hint(result)).toBe(0);
    const [object] = await readStreamObjects(s3, bucket);
    expect(parseJsonLines(object!.body.toString("utf8"))).toEqual([{ id: 1, v: "x" }]);
  });
});
