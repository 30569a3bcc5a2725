// Fidelity: every ../shared/conformance file that a target must accept is run through the built CLI in every format
// (csv, csv.gz, parquet, jsonl, json) with add_record_metadata on, and every object is read back and compared value
// by value with the input record it came from (matched by `_sdc_sequence`, the input line), after the documented type
// mapping (README "Types and fidelity"): JSON formats must hold the record exactly as sent (same members, same order,
// same number text); CSV cells and Parquet values must equal the input after the column's type (DuckDB for every
// format, and hyparquet, an independent reader, for Parquet).
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { columnsOf, type Column, type TypeNode } from "../../src/schema/columns.js";
import { canonicalDecimal, LosslessNumber, objectFields, parseLossless, stringifyLossless, type LosslessValue } from "../../src/schema/lossless-json.js";
import { readFileRows, readParquetIndependently } from "../helpers/read-back.js";
import { makeTempDir, REPO_ROOT, runCli, s3Config, writeConfig } from "../helpers/run-cli.js";
import { startS3Server, type S3TestServer } from "../helpers/s3-server.js";
import { limiter, streamOfKey } from "../helpers/stream-objects.js";

const CONFORMANCE_DIR = resolve(REPO_ROOT, "..", "shared", "conformance");
const EXPECTED_PATH = join(CONFORMANCE_DIR, "expected.json");
const present = existsSync(EXPECTED_PATH);
if (!present) console.warn(`fidelity: ${CONFORMANCE_DIR} does not exist, so the fidelity suite is skipped`);
const expectedOutcomes: Record<string, { outcome: string }> = present ? JSON.parse(readFileSync(EXPECTED_PATH, "utf8")) : {};
const OK_FILES = Object.keys(expectedOutcomes)
  .filter((f) => expectedOutcomes[f]!.outcome === "ok")
  .sort();

/**
 * All OK files as one input (one CLI run per format instead of one per file and format): each message's stream is
 * renamed `f<i>_<stream>` so files never share a stream; every other member keeps its exact source text. `fileOf`
 * maps a combined line number back to the conformance file.
 */
function combinedInput(): { path: string; fileOf: (line: number) => string | undefined } {
  const starts: Array<{ first: number; file: string }> = [];
  const out: string[] = [];
  OK_FILES.forEach((file, i) => {
    starts.push({ first: out.length + 1, file });
    for (const raw of readFileSync(join(CONFORMANCE_DIR, file), "utf8").split("\n")) {
      const line = raw.replace(/\r$/, "");
      if (line.trim() === "") continue;
      const members = objectFields(line);
      const stream = members?.find(([k]) => k === "stream");
      out.push(
        members && stream
          ? `{${members.map(([k, v]) => `${JSON.stringify(k)}:${k === "stream" ? JSON.stringify(`f${i}_${JSON.parse(v) as string}`) : v}`).join(",")}}`
          : line,
      );
    }
  });
  const path = join(makeTempDir("target-s3-fidelity-input-"), "all.singer");
  writeFileSync(path, out.join("\n") + "\n");
  return {
    path,
    fileOf: (line) => {
      let found: string | undefined;
      for (const s of starts) if (s.first <= line) found = s.file;
      return found;
    },
  };
}

const FORMATS = {
  csv: { file_type: "csv" },
  "csv.gz": { file_type: "csv", compression: "gzip" },
  parquet: { file_type: "parquet" },
  jsonl: { file_type: "jsonl" },
  json: { file_type: "json" },
} as const;
type FormatName = keyof typeof FORMATS;

interface InputRecord {
  line: number;
  stream: string;
  /** The record as sent, parsed losslessly. */
  record: { [key: string]: LosslessValue };
  columns: Column[];
  version: LosslessValue | undefined;
  timeExtracted: string | undefined;
}

/** Each RECORD of a file with the columns of the schema in force for its stream, by input line. */
function inputRecords(path: string, nested: "struct" | "json"): Map<number, InputRecord> {
  const out = new Map<number, InputRecord>();
  const schemas = new Map<string, Column[]>();
  const versions = new Map<string, LosslessValue>();
  readFileSync(path, "utf8")
    .split("\n")
    .forEach((text, i) => {
      if (text.trim() === "") return;
      const m = parseLossless(text) as { [key: string]: LosslessValue };
      const stream = m["stream"] as string;
      if (m["type"] === "SCHEMA") {
        const schema = JSON.parse(text).schema as { properties: Record<string, unknown> };
        schemas.set(stream, columnsOf(schema.properties, { flatten: false, flattenMaxDepth: 0, nestedTypes: nested, headerFormat: null }));
      } else if (m["type"] === "ACTIVATE_VERSION") {
        versions.set(stream, m["version"] ?? null);
      } else if (m["type"] === "RECORD") {
        out.set(i + 1, {
          line: i + 1,
          stream,
          record: m["record"] as { [key: string]: LosslessValue },
          columns: schemas.get(stream) ?? [],
          version: m["version"] ?? versions.get(stream),
          timeExtracted: typeof m["time_extracted"] === "string" ? m["time_extracted"] : undefined,
        });
      }
    });
  return out;
}

// ---- canonical forms: both sides of a comparison go through the same function of the column kind ----

/** Microseconds since the epoch of an ISO-8601 date-time; no offset means UTC. */
export function instantMicros(text: string): bigint {
  const m = /^(\d{4})-(\d\d)-(\d\d)[Tt ](\d\d):(\d\d)(?::(\d\d)(?:\.(\d{1,9}))?)?\s*([Zz]|[+-]\d\d(?::?\d\d)?)?$/.exec(text.trim());
  if (!m) throw new Error(`not a date-time: ${text}`);
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s ?? 0));
  let offsetMin = 0;
  if (zone && zone.toUpperCase() !== "Z") {
    const sign = zone.startsWith("-") ? -1 : 1;
    const digits = zone.slice(1).replace(":", "");
    offsetMin = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4) || 0));
  }
  const micros = BigInt((frac ?? "").padEnd(6, "0").slice(0, 6) || "0");
  return (BigInt(ms) - BigInt(offsetMin) * 60_000n) * 1000n + micros;
}

function timeMicros(text: string): bigint {
  const m = /^(\d\d):(\d\d)(?::(\d\d)(?:\.(\d{1,9}))?)?/.exec(text);
  if (!m) throw new Error(`not a time: ${text}`);
  return BigInt(Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3] ?? 0)) * 1_000_000n + BigInt((m[4] ?? "").padEnd(6, "0").slice(0, 6) || "0");
}

/** Canonical text of a JSON value: numbers by exact decimal value, keys in source order. */
function canonicalJson(v: LosslessValue): string {
  if (v instanceof LosslessNumber) return canonicalDecimal(v.text);
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(",")}]`;
  if (v !== null && typeof v === "object")
    return `{${Object.entries(v)
      .map(([k, x]) => `${JSON.stringify(k)}:${canonicalJson(x)}`)
      .join(",")}}`;
  return JSON.stringify(v);
}

/** JSON text of a value read back (DuckDB JSON column, hyparquet's parsed JSON) → lossless value. */
function asLossless(v: unknown): LosslessValue {
  if (typeof v === "string") {
    try {
      return parseLossless(v);
    } catch {
      return v;
    }
  }
  return parseLossless(JSON.stringify(v, (_k, x: unknown) => (typeof x === "bigint" ? Number(x) : x)) ?? "null");
}

/** What the input value becomes in a typed column, as a comparable string. `reader` decides the precision. */
function expectedOf(v: LosslessValue | undefined, node: TypeNode, reader: "csv" | "duckdb" | "hyparquet"): string {
  if (v === undefined || v === null) return "null";
  switch (node.kind) {
    case "integer":
      return BigInt((v as LosslessNumber).text.replace(/\.0*$/, "")).toString();
    case "number":
      return String(Number((v as LosslessNumber).text));
    case "decimal":
      return reader === "hyparquet" ? String(Number((v as LosslessNumber).text)) : canonicalDecimal((v as LosslessNumber).text);
    case "boolean":
      return String(v);
    case "string":
      return typeof v === "string" ? v : stringifyLossless(v);
    case "date-time":
      return reader === "hyparquet" ? String(instantMicros(v as string) / 1000n) : String(instantMicros(v as string));
    case "date":
      return String(v);
    case "time":
      return String(timeMicros(v as string));
    case "json":
      return reader === "hyparquet" ? canonicalJson(asLossless(JSON.parse(stringifyLossless(v)))) : canonicalJson(v);
    case "struct": {
      const fields = [...(node.fields ?? new Map<string, TypeNode>())];
      const o = v as { [k: string]: LosslessValue };
      return `{${fields.map(([k, n]) => `${k}=${expectedOf(o[k], n, reader)}`).join(",")}}`;
    }
    case "list":
      return `[${(v as LosslessValue[]).map((x) => expectedOf(x, node.items ?? { kind: "json" }, reader)).join(",")}]`;
    case "epoch-ms":
      throw new Error("epoch-ms columns come only from Airbyte's metadata (airbyte.test.ts), never from a tap's schema");
  }
}

/** A value as read back, to the same canonical string as expectedOf. */
function actualOf(v: unknown, node: TypeNode, reader: "csv" | "duckdb" | "hyparquet"): string {
  if (v === undefined || v === null) return "null";
  switch (node.kind) {
    case "integer":
      return BigInt(String(v)).toString();
    case "number":
      return String(Number(v));
    case "decimal":
      return reader === "hyparquet" ? String(Number(v)) : canonicalDecimal(String(v));
    case "boolean":
      return String(v);
    case "string":
      return String(v);
    case "date-time":
      if (v instanceof Date) return String(v.getTime());
      return String(instantMicros(String(v)));
    case "date":
      return v instanceof Date ? v.toISOString().slice(0, 10) : String(v);
    case "time":
      if (typeof v === "bigint") return String(v);
      return String(timeMicros(String(v)));
    case "json":
      return canonicalJson(asLossless(v));
    case "struct": {
      const fields = [...(node.fields ?? new Map<string, TypeNode>())];
      const o = (typeof v === "string" ? JSON.parse(v) : v) as Record<string, unknown>;
      return `{${fields.map(([k, n]) => `${k}=${actualOf(o[k], n, reader)}`).join(",")}}`;
    }
    case "list":
      return `[${(v as unknown[]).map((x) => actualOf(x, node.items ?? { kind: "json" }, reader)).join(",")}]`;
    case "epoch-ms":
      throw new Error("epoch-ms columns come only from Airbyte's metadata (airbyte.test.ts), never from a tap's schema");
  }
}

/** Values compared per run (a vacuous pass would compare none). */
let compared = 0;

interface Mismatch {
  key: string;
  line: number | undefined;
  column: string;
  expected: string;
  actual: string;
}

/** Compares one typed row (CSV or Parquet) with its input record; returns the differing cells. */
function compareTyped(key: string, row: Record<string, unknown>, input: InputRecord | undefined, reader: "csv" | "duckdb" | "hyparquet"): Mismatch[] {
  const line = input?.line;
  if (!input) return [{ key, line, column: "_sdc_sequence", expected: "an input RECORD line", actual: String(row["_sdc_sequence"]) }];
  const out: Mismatch[] = [];
  const names = new Set(input.columns.map((c) => c.name));
  for (const c of input.columns) {
    compared++;
    const expected = expectedOf(input.record[c.name], c.node, reader);
    const raw = row[c.name];
    let actual = actualOf(raw, c.node, reader);
    // CSV: null and the empty string are one empty cell unless quoted; the target writes "" for empty strings.
    if (reader === "csv" && expected === "" && raw === null) actual = "";
    if (expected !== actual) out.push({ key, line, column: c.name, expected, actual });
  }
  for (const name of Object.keys(row)) {
    if (!names.has(name) && !name.startsWith("_sdc_")) out.push({ key, line, column: name, expected: "(no such column)", actual: String(row[name]) });
  }
  // Metadata: the tap's _sdc_deleted_at (declared or not) and the table version.
  const deleted = input.record["_sdc_deleted_at"];
  if (!names.has("_sdc_deleted_at")) {
    const e = deleted === undefined || deleted === null ? "null" : expectedOf(deleted, { kind: "date-time" }, reader);
    const a = actualOf(row["_sdc_deleted_at"], { kind: "date-time" }, reader);
    if (e !== a) out.push({ key, line, column: "_sdc_deleted_at", expected: e, actual: a });
  }
  const ev = input.version === undefined || input.version === null ? "null" : (input.version as LosslessNumber).text;
  const av = row["_sdc_table_version"] === null || row["_sdc_table_version"] === undefined ? "null" : String(row["_sdc_table_version"]);
  if (ev !== av) out.push({ key, line, column: "_sdc_table_version", expected: ev, actual: av });
  return out;
}

/** JSON formats: the record members exactly as sent (same names, order, number text, string escapes decoded). */
function compareJson(key: string, text: string, inputs: Map<number, InputRecord>): Mismatch[] {
  const row = parseLossless(text) as { [k: string]: LosslessValue };
  const seq = row["_sdc_sequence"];
  const line = seq instanceof LosslessNumber ? Number(seq.text) : undefined;
  const input = line === undefined ? undefined : inputs.get(line);
  if (!input) return [{ key, line, column: "_sdc_sequence", expected: "an input RECORD line", actual: text.slice(0, 80) }];
  const data: { [k: string]: LosslessValue } = {};
  for (const [k, v] of Object.entries(row)) if (!k.startsWith("_sdc_") || k in input.record) data[k] = v;
  const out: Mismatch[] = [];
  compared += Object.keys(input.record).length;
  const expected = stringifyLossless(
    Object.fromEntries(
      Object.entries(input.record).filter(
        ([k]) => !["_sdc_extracted_at", "_sdc_received_at", "_sdc_batched_at", "_sdc_sequence", "_sdc_table_version"].includes(k),
      ),
    ),
  );
  const actual = stringifyLossless(
    Object.fromEntries(
      Object.entries(data).filter(([k]) => !["_sdc_extracted_at", "_sdc_received_at", "_sdc_batched_at", "_sdc_sequence", "_sdc_table_version"].includes(k)),
    ),
  );
  // Members may come in another order only where the metadata splice moved _sdc_deleted_at to the front.
  if (canonicalJson(parseLossless(expected)) !== canonicalJson(parseLossless(actual)) && sortedJson(expected) !== sortedJson(actual)) {
    out.push({ key, line, column: "(record)", expected, actual });
  }
  const ev = input.version === undefined || input.version === null ? "null" : (input.version as LosslessNumber).text;
  const tv = row["_sdc_table_version"];
  const av = tv instanceof LosslessNumber ? tv.text : String(tv);
  if (ev !== av) out.push({ key, line, column: "_sdc_table_version", expected: ev, actual: av });
  if (!("_sdc_deleted_at" in row)) out.push({ key, line, column: "_sdc_deleted_at", expected: "present", actual: "missing" });
  return out;
}

function sortedJson(text: string): string {
  const v = parseLossless(text) as { [k: string]: LosslessValue };
  return canonicalJson(Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))));
}

let s3: S3TestServer;
let bucket: string;
const results: Record<FormatName, { exact: number; total: number; failures: string[] }> = {
  csv: { exact: 0, total: 0, failures: [] },
  "csv.gz": { exact: 0, total: 0, failures: [] },
  parquet: { exact: 0, total: 0, failures: [] },
  jsonl: { exact: 0, total: 0, failures: [] },
  json: { exact: 0, total: 0, failures: [] },
};

beforeAll(async () => {
  s3 = await startS3Server();
  bucket = await s3.createBucket();
});

afterAll(async () => {
  await s3?.close();
  if (present) {
    const table = ["| format | files exact / total |", "|:--|:--|", ...Object.entries(results).map(([f, r]) => `| ${f} | ${r.exact} / ${r.total} |`)].join(
      "\n",
    );
    console.log(`fidelity (conformance files read back value by value):\n${table}`);
    if (process.env["FIDELITY_REPORT"]) writeFileSync(process.env["FIDELITY_REPORT"], JSON.stringify(results, null, 1));
  }
});

const run = limiter(3);

async function checkFormat(input: { path: string }, format: FormatName): Promise<Mismatch[]> {
  const file = "(combined input)";
  const prefix = format;
  const settings = FORMATS[format];
  const cfg = writeConfig(s3Config(s3, bucket, { ...settings, object_key_path: prefix, add_record_metadata: true }));
  const result = await run(() => runCli(["--config", cfg, "--input", input.path]));
  if (result.code !== 0)
    return [
      {
        key: file,
        line: undefined,
        column: "(run)",
        expected: "exit 0",
        actual: `exit ${result.code}: ${result.stderr
          .split("\n")
          .filter((l) => l.trim() !== "")
          .slice(-2)
          .join(" / ")}`,
      },
    ];
  const inputs = inputRecords(input.path, format === "parquet" ? "struct" : "json");
  const seen = new Set<number>();
  const mismatches: Mismatch[] = [];
  const dir = makeTempDir("target-s3-fidelity-");
  for (const { key } of await s3.listObjects(bucket, prefix + "/")) {
    const stream = streamOfKey(key, prefix);
    const body = await s3.getObject(bucket, key);
    const local = join(dir, key.split("/").pop()!);
    writeFileSync(local, body);
    if (format === "jsonl" || format === "json") {
      // DuckDB reads each JSON object back as its text (read_json_objects), compared losslessly with the input.
      const fn = format === "jsonl" ? "read_ndjson_objects" : "read_json_objects";
      const texts = await duckObjectTexts(local, fn, format === "json");
      for (const t of texts) {
        const seq = /"_sdc_sequence":(\d+)/.exec(t)?.[1];
        if (seq) seen.add(Number(seq));
        mismatches.push(...compareJson(key, t, inputs));
      }
      continue;
    }
    const rows = await readFileRows(local, format === "parquet" ? { format: "parquet" } : { format: "csv", gzip: format === "csv.gz" });
    for (const row of rows) {
      const line = Number(row["_sdc_sequence"]);
      seen.add(line);
      const input = inputs.get(line);
      if (input && input.stream !== stream) mismatches.push({ key, line, column: "(stream)", expected: input.stream, actual: stream });
      mismatches.push(...compareTyped(key, row, input, format === "parquet" ? "duckdb" : "csv"));
    }
    if (format === "parquet") {
      const independent = await readParquetIndependently(body);
      for (const row of independent) {
        const line = Number(row["_sdc_sequence"]);
        mismatches.push(...compareTyped(key, row, inputs.get(line), "hyparquet").map((m) => ({ ...m, column: `${m.column} (hyparquet)` })));
      }
    }
  }
  for (const line of inputs.keys()) {
    if (!seen.has(line)) mismatches.push({ key: file, line, column: "(row)", expected: "a row", actual: "missing" });
  }
  return mismatches;
}

async function duckObjectTexts(path: string, fn: string, array: boolean): Promise<string[]> {
  const { DuckDBInstance } = await import("@duckdb/node-api");
  const db = await DuckDBInstance.create(":memory:", { autoinstall_known_extensions: "false", autoload_known_extensions: "false" });
  const conn = await db.connect();
  try {
    const sql = `SELECT json::VARCHAR AS t FROM ${fn}('${path.replace(/'/g, "''")}'${array ? ", format='array'" : ""})`;
    const reader = await conn.runAndReadAll(sql);
    return reader.getRowObjects().map((r) => String(r["t"]));
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}

describe.skipIf(!present)("fidelity: conformance files read back value by value", () => {
  let input: ReturnType<typeof combinedInput>;
  beforeAll(() => {
    input = combinedInput();
  });
  for (const format of Object.keys(FORMATS) as FormatName[]) {
    it(`${format}: every value of every file`, { timeout: 180_000 }, async () => {
      compared = 0;
      const mismatches = await checkFormat(input, format);
      expect(compared).toBeGreaterThan(1000);
      console.log(`fidelity ${format}: ${compared} values compared`);
      const r = results[format];
      const byFile = new Map<string, Mismatch[]>();
      for (const m of mismatches) {
        const f = (m.line !== undefined ? input.fileOf(m.line) : undefined) ?? "(whole run)";
        byFile.set(f, [...(byFile.get(f) ?? []), m]);
      }
      for (const file of OK_FILES) {
        r.total++;
        const bad = [...(byFile.get(file) ?? []), ...(byFile.get("(whole run)") ?? [])];
        if (bad.length === 0) r.exact++;
        else r.failures.push(`${file}: ${bad.length} mismatches, first: ${JSON.stringify(bad.slice(0, 3))}`);
      }
      expect(r.failures, r.failures.join("\n")).toEqual([]);
    });
  }
});
