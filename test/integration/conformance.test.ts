// Conformance: every sample tap output in ../shared/conformance (other projects' target test streams) run through the
// built CLI against the real local S3 server, in parquet, gzipped csv, jsonl, avro and xml, checked against expected.json:
// outcome, rows per stream read back from the objects, last STATE; for errors the line and the problem.
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readParquetIndependently } from "../helpers/read-back.js";
import { REPO_ROOT, runCli, s3Config, writeConfig, type CliResult } from "../helpers/run-cli.js";
import { startS3Server, type S3TestServer } from "../helpers/s3-server.js";
import { limiter, readStreamObjects, rowsPerStream, type StreamObject } from "../helpers/stream-objects.js";

const CONFORMANCE_DIR = resolve(REPO_ROOT, "..", "shared", "conformance");
const EXPECTED_PATH = join(CONFORMANCE_DIR, "expected.json");
const present = existsSync(EXPECTED_PATH);
if (!present) {
  console.warn(`conformance: ${CONFORMANCE_DIR} does not exist, so the conformance suite is skipped`);
}

interface Expected {
  outcome: "ok" | "error";
  records: Record<string, number>;
  state_messages: number;
  final_state?: unknown;
  why?: string;
}
const expected: Record<string, Expected> = present ? (JSON.parse(readFileSync(EXPECTED_PATH, "utf8")) as Record<string, Expected>) : {};

const FORMATS = {
  parquet: { file_type: "parquet" },
  "csv+gzip": { file_type: "csv", compression: "gzip" },
  jsonl: { file_type: "jsonl" },
  avro: { file_type: "avro" },
  xml: { file_type: "xml" },
} as const;
type FormatName = keyof typeof FORMATS;

/** What each `why` must be recognisable as in the error message. */
function problemPattern(why: string): RegExp {
  if (/not JSON/i.test(why)) return /not valid JSON/i;
  if (/RECORD before SCHEMA/i.test(why)) return /before its SCHEMA/;
  if (/SCHEMA without properties/i.test(why)) return /SCHEMA.*no "properties"/;
  if (/key property/i.test(why)) return /key property '[^']+' is missing/;
  if (/schema validation/i.test(why)) return /does not match its SCHEMA/;
  throw new Error(`no pattern for why '${why}': extend problemPattern`);
}

interface InputLine {
  line: number;
  message: Record<string, unknown> | undefined;
}
function inputLines(path: string): InputLine[] {
  const out: InputLine[] = [];
  readFileSync(path, "utf8")
    .split("\n")
    .forEach((text, i) => {
      if (text.trim() === "") return;
      let message: Record<string, unknown> | undefined;
      try {
        message = JSON.parse(text) as Record<string, unknown>;
      } catch {
        message = undefined;
      }
      out.push({ line: i + 1, message });
    });
  return out;
}

/** Input STATE values (JSON.parse'd, as the printed ones are) with their line numbers. */
function inputStates(lines: InputLine[]): Array<{ line: number; value: unknown }> {
  return lines.filter((l) => l.message?.["type"] === "STATE").map((l) => ({ line: l.line, value: l.message?.["value"] }));
}

/** Every printed STATE is an input STATE, in input order, each at most once; returns their input lines. */
function matchPrintedStates(printed: unknown[], states: Array<{ line: number; value: unknown }>): number[] {
  const lines: number[] = [];
  let from = 0;
  for (const p of printed) {
    const at = states.findIndex((s, i) => i >= from && JSON.stringify(s.value) === JSON.stringify(p));
    expect(at, `printed STATE ${JSON.stringify(p)} is not a later input STATE`).toBeGreaterThanOrEqual(0);
    lines.push(states[at]!.line);
    from = at + 1;
  }
  return lines;
}

let s3: S3TestServer;
const pool = limiter(2);

async function runFile(file: string, format: FormatName, bucket?: string): Promise<{ result: CliResult; bucket: string }> {
  return pool(async () => {
    const b = bucket ?? (await s3.createBucket());
    const config = writeConfig(s3Config(s3, b, { ...FORMATS[format] }));
    const result = await runCli(["--config", config], { input: { path: join(CONFORMANCE_DIR, file) }, timeoutMs: 150_000 });
    return { result, bucket: b };
  });
}

function hint(result: CliResult): string {
  return `exit ${result.code}\nstderr:\n${result.stderr.slice(-3000)}`;
}

describe.skipIf(!present)(present ? "conformance" : `conformance (skipped: ${CONFORMANCE_DIR} does not exist)`, () => {
  beforeAll(async () => {
    s3 = await startS3Server();
  });
  afterAll(async () => {
    await s3?.close();
  });

  for (const format of Object.keys(FORMATS) as FormatName[]) {
    describe.concurrent(format, () => {
      for (const [file, exp] of Object.entries(expected)) {
        it(`${format}: ${file} → ${exp.outcome}`, { timeout: 180_000 }, async () => {
          const { result, bucket } = await runFile(file, format);
          expect(result.timedOut).toBe(false);
          expect(result.invalidStdoutLines).toEqual([]);
          const lines = inputLines(join(CONFORMANCE_DIR, file));
          const states = inputStates(lines);
          const objects = await readStreamObjects(s3, bucket);
          // Whatever happened, a STATE leaves at most once and in input order.
          const printedFrom = matchPrintedStates(result.stateLines, states);

          if (exp.outcome === "ok") {
            expect(result.code, hint(result)).toBe(0);
            expect(rowsPerStream(objects)).toEqual(exp.records);
            expect(result.stateLines.length).toBeLessThanOrEqual(exp.state_messages);
            if (exp.final_state === null || exp.final_state === undefined) {
              expect(result.stateLines).toEqual([]);
            } else if (typeof exp.final_state === "object" && Object.keys(exp.final_state).length === 0) {
              // `{}` may be printed or left out.
              if (result.stateLines.length > 0) expect(result.stateLines.at(-1)).toEqual({});
            } else {
              expect(result.stateLines.at(-1)).toEqual(exp.final_state);
            }
            expect(result.stderr).not.toMatch(/ ERROR /);
            return;
          }

          // outcome: error
          expect(result.code, hint(result)).not.toBe(0);
          expect(result.code).not.toBeNull();
          const errorLines = result.stderr.split("\n").filter((l) => / ERROR /.test(l));
          expect(errorLines, result.stderr).toHaveLength(1);
          const message = errorLines[0]!;
          expect(message).toMatch(problemPattern(exp.why ?? ""));
          const givenLine = /line (\d+)/.exec(exp.why ?? "")?.[1];
          const named = /line (\d+)/.exec(message);
          expect(named, message).not.toBeNull();
          const badLine = Number(named![1]);
          if (givenLine !== undefined) expect(badLine).toBe(Number(givenLine));
          // The named line is the first one of its kind: a message line of the input.
          expect(lines.some((l) => l.line === badLine)).toBe(true);
          // No STATE at or after the bad line.
          for (const l of printedFrom) expect(l).toBeLessThan(badLine);
          // Whatever objects exist are complete files holding only records from before the bad line.
          const before: Record<string, number> = {};
          for (const l of lines) {
            if (l.line >= badLine || l.message?.["type"] !== "RECORD") continue;
            const stream = String(l.message["stream"]);
            before[stream] = (before[stream] ?? 0) + 1;
          }
          for (const [stream, n] of Object.entries(rowsPerStream(objects))) expect(n).toBeLessThanOrEqual(before[stream] ?? 0);
        });
      }
    });
  }

  // Runs that continue an earlier one into the same bucket and prefix: nothing of the first run is overwritten.
  const APPEND_PAIRS: Array<[string, string]> = [
    ["sdk/no_primary_keys.singer", "sdk/no_primary_keys_append.singer"],
    ["sdk/user_location_data.singer", "sdk/user_location_upsert_data.singer"],
  ];
  describe.concurrent("append pairs", () => {
    for (const format of Object.keys(FORMATS) as FormatName[]) {
      for (const [first, second] of APPEND_PAIRS) {
        it(`${format}: ${first} then ${second} into one prefix`, { timeout: 180_000 }, async () => {
          const one = await runFile(first, format);
          expect(one.result.code, hint(one.result)).toBe(0);
          const afterFirst = await readStreamObjects(s3, one.bucket);
          const two = await runFile(second, format, one.bucket);
          expect(two.result.code, hint(two.result)).toBe(0);
          const afterBoth = await readStreamObjects(s3, one.bucket);

          const byKey = new Map(afterBoth.map((o) => [o.key, o]));
          for (const o of afterFirst) expect(byKey.get(o.key)?.body.equals(o.body), `${o.key} was overwritten`).toBe(true);
          const secondOnly = afterBoth.filter((o) => !afterFirst.some((f) => f.key === o.key));
          expect(afterBoth.length).toBe(afterFirst.length + secondOnly.length);
          expect(secondOnly.length).toBeGreaterThan(0);
          expect(rowsPerStream(afterFirst)).toEqual(expected[first]!.records);
          expect(rowsPerStream(secondOnly)).toEqual(expected[second]!.records);
          const sum: Record<string, number> = { ...expected[first]!.records };
          for (const [s, n] of Object.entries(expected[second]!.records)) sum[s] = (sum[s] ?? 0) + n;
          expect(rowsPerStream(afterBoth)).toEqual(sum);
          expect(two.result.stateLines.at(-1)).toEqual(expected[second]!.final_state);
        });
      }
    }
  });

  describe.concurrent("values", () => {
    const LARGE = "meltanolabs-target-postgres/large_int.singer";
    for (const format of Object.keys(FORMATS) as FormatName[]) {
      it(`${format}: ${LARGE} reads back 99999999999999999 exactly`, { timeout: 180_000 }, async () => {
        const { result, bucket } = await runFile(LARGE, format);
        expect(result.code, hint(result)).toBe(0);
        const objects = await readStreamObjects(s3, bucket);
        expect(objects).toHaveLength(1);
        const object = objects[0]!;
        if (format === "jsonl") {
          // JSON.parse would round it: look at the text itself.
          const text = object.body.toString("utf8");
          expect(text).toMatch(/"id":\s*99999999999999999[,}\s]/);
        } else {
          expect(object.rows.map((r) => String(r["id"]))).toEqual(["99999999999999999", "2"]);
        }
        if (format === "parquet") {
          const rows = await readParquetIndependently(object.body);
          expect(rows.map((r) => r["id"])).toEqual([99999999999999999n, 2n]);
        }
      });
    }

    const ENCODED = "sdk/encoded_string_data.singer";
    const inputRecords = (): Map<string, Record<string, unknown>[]> => {
      const out = new Map<string, Record<string, unknown>[]>();
      for (const l of inputLines(join(CONFORMANCE_DIR, ENCODED))) {
        if (l.message?.["type"] !== "RECORD") continue;
        const stream = String(l.message["stream"]);
        out.set(stream, [...(out.get(stream) ?? []), l.message["record"] as Record<string, unknown>]);
      }
      return out;
    };
    const byStream = (objects: StreamObject[]): Map<string, Record<string, unknown>[]> => {
      const out = new Map<string, Record<string, unknown>[]>();
      for (const o of objects) out.set(o.stream, [...(out.get(o.stream) ?? []), ...o.rows]);
      return out;
    };

    it(`jsonl: ${ENCODED} strings read back byte for byte`, { timeout: 180_000 }, async () => {
      const { result, bucket } = await runFile(ENCODED, "jsonl");
      expect(result.code, hint(result)).toBe(0);
      expect(byStream(await readStreamObjects(s3, bucket))).toEqual(inputRecords());
    });

    it(`parquet: ${ENCODED} strings read back byte for byte (hyparquet and DuckDB)`, { timeout: 180_000 }, async () => {
      const { result, bucket } = await runFile(ENCODED, "parquet");
      expect(result.code, hint(result)).toBe(0);
      const want = inputRecords();
      // Every declared property is a column; the input here sends each one, so rows equal the records.
      expect(byStream(await readStreamObjects(s3, bucket, "", { parquetReader: "hyparquet" }))).toEqual(want);
      const duck = byStream(await readStreamObjects(s3, bucket));
      for (const [stream, records] of want) {
        expect(duck.get(stream)?.map((r) => JSON.stringify(r["info"] ?? r["strings"]))).toEqual(records.map((r) => JSON.stringify(r["info"] ?? r["strings"])));
      }
    });

    // CSV and NUL: DuckDB's COPY writes U+0000 as a raw 0x00 byte inside the cell (unquoted when nothing else needs
    // quoting) and DuckDB's read_csv reads it back unchanged; readers that refuse NUL bytes (Python's csv module
    // before 3.11) cannot read such a cell. Nested values are JSON text, where NUL is the escape \u0000.
    it(`csv+gzip: ${ENCODED} strings read back byte for byte, NUL included (nested values as JSON text)`, { timeout: 180_000 }, async () => {
      const { result, bucket } = await runFile(ENCODED, "csv+gzip");
      expect(result.code, hint(result)).toBe(0);
      const want = inputRecords();
      const got = byStream(await readStreamObjects(s3, bucket));
      for (const [stream, records] of want) {
        const rows = got.get(stream) ?? [];
        expect(rows).toHaveLength(records.length);
        records.forEach((record, i) => {
          const row = rows[i]!;
          expect(row["id"]).toBe(String(record["id"]));
          if (stream === "test_strings") expect(row["info"]).toBe(record["info"]);
          else if (stream === "test_strings_in_objects") expect(JSON.parse(String(row["info"]))).toEqual(record["info"]);
          else expect(JSON.parse(String(row["strings"]))).toEqual(record["strings"]);
        });
      }
    });
  });
});
