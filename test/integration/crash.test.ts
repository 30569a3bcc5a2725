// Crash safety (SPEC §6): kill -9 the target at seeded points, then re-run the tap output from the line after the
// last STATE the target printed (the SCHEMA lines first, as a tap resuming from that state would). Nothing before
// that STATE may be missing; the duplicates the re-run adds are counted and printed (at-least-once). With
// deterministic_keys the re-run overwrites the objects it repeats instead, so it adds no duplicate.
// Also: the crashed run's local folder is removed by the next start, and a clean exit leaves temp_dir empty.
// CI runs CRASH_SEEDS=8 (+3 with deterministic_keys) to stay bounded in time; `scripts/soak.ts` runs 20 (+20).
import { readdirSync, rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seededRandom } from "../helpers/fault-proxy.js";
import { makeTempDir, runCli, s3Config, spawnCli, writeConfig } from "../helpers/run-cli.js";
import { startS3Server, type S3TestServer } from "../helpers/s3-server.js";
import { compareCounts, countIds, singerInput } from "./reliability-helpers.js";

const RECORDS = 6_000;
const STATE_EVERY = 300;
const SEEDS = Number(process.env["CRASH_SEEDS"] ?? 8);
const DETERMINISTIC_SEEDS = Number(process.env["CRASH_DETERMINISTIC_SEEDS"] ?? 3);

/** The bench generator's output with an extra STATE {"pos": records so far} after every STATE_EVERY records. */
function crashInput(): { lines: string[]; expected: Record<string, number> } {
  const { text, summary } = singerInput(RECORDS, 7);
  const lines: string[] = [];
  let records = 0;
  for (const line of text.split("\n")) {
    if (line === "") continue;
    lines.push(line);
    if (line.startsWith('{"type":"RECORD"') && ++records % STATE_EVERY === 0) lines.push(JSON.stringify({ type: "STATE", value: { pos: records } }));
  }
  return { lines, expected: summary.perStream };
}

let s3: S3TestServer;
const { lines, expected } = crashInput();
const schemaLines = lines.filter((l) => l.startsWith('{"type":"SCHEMA"'));

beforeAll(async () => {
  s3 = await startS3Server();
});
afterAll(async () => {
  await s3?.close();
});

/** Ids per stream in the input lines [0, end). */
function idsBefore(end: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (let i = 0; i < end; i++) {
    const m = /^\{"type":"RECORD","stream":"([^"]+)","record":\{"id":(\d+)/.exec(lines[i]!);
    if (m) out[m[1]!] = Math.max(out[m[1]!] ?? 0, Number(m[2]));
  }
  return out;
}

interface CrashOutcome {
  killedAfterObjects: number;
  lastState: unknown;
  resumeLine: number;
  duplicates: number;
  leftoversRemoved: boolean;
}

async function crashAndResume(seed: number, deterministic: boolean): Promise<CrashOutcome> {
  const random = seededRandom(seed);
  const bucket = await s3.createBucket();
  const tempDir = makeTempDir("target-s3-crash-");
  const settings = {
    file_type: seed % 3 === 0 ? "csv" : "jsonl",
    batch_size_rows: 500,
    temp_dir: tempDir,
    deterministic_keys: deterministic,
    max_pending_flushes: 2,
  };
  const config = writeConfig(s3Config(s3, bucket, settings));
  const input = lines.join("\n") + "\n";

  // Kill -9 when the k-th object has been stored (k seeded; 0 = at the first log line), mid-run.
  const killAt = Math.floor(random() * 18);
  let stored = 0;
  const states: string[] = [];
  const running = spawnCli(["--config", config], {
    input,
    onStdoutLine: (line) => states.push(line),
    onStderrLine: (line, child) => {
      if (/object stored/.test(line)) stored++;
      if (stored >= killAt && child.exitCode === null && !child.killed) child.kill("SIGKILL");
    },
  });
  const crashed = await running.result;
  // A run that ended before the kill point counts as a crash at the end (nothing to resume).
  expect(crashed.code === 0 || crashed.signal === "SIGKILL").toBe(true);
  const leftovers = readdirSync(tempDir).filter((n) => n.startsWith("target-s3-run-"));
  expect(leftovers.length).toBeLessThanOrEqual(1);

  // The last STATE printed → its line in the tap output; the tap resumes after it.
  const last = states.filter((s) => s.trim() !== "").at(-1);
  const lastState = last === undefined ? undefined : (JSON.parse(last) as { pos?: number; bookmarks?: unknown });
  const stateLine = last === undefined ? -1 : lines.findIndex((l) => l === `{"type":"STATE","value":${last}}`);
  if (last !== undefined) expect(stateLine, `printed STATE ${last} is in the input`).toBeGreaterThan(0);

  // Every record before that STATE is in the bucket now, before the re-run.
  const before = compareCounts((await countIds(s3, bucket)).counts, idsBefore(stateLine + 1));
  expect(before.missing, before.detail.join("; ")).toBe(0);

  const resume = [...schemaLines, ...lines.slice(stateLine + 1)].join("\n") + "\n";
  const rerun = await runCli(["--config", config], { input: resume, timeoutMs: 60_000 });
  expect(rerun.code, rerun.stderr).toBe(0);
  const leftoversRemoved = readdirSync(tempDir).length === 0;
  expect(leftoversRemoved, `temp_dir after a clean exit: ${readdirSync(tempDir).join(", ")}`).toBe(true);
  if (leftovers.length > 0) expect(rerun.stderr).toMatch(/removed leftovers of crashed runs/);

  const after = compareCounts((await countIds(s3, bucket)).counts, expected);
  expect(after.missing, after.detail.join("; ")).toBe(0);
  expect(after.extra).toBe(0);
  rmSync(tempDir, { recursive: true, force: true });
  return { killedAfterObjects: killAt, lastState, resumeLine: stateLine + 1, duplicates: after.duplicates, leftoversRemoved };
}

describe(`kill -9 at ${SEEDS} seeded points, then resume from the last printed STATE`, () => {
  const outcomes: CrashOutcome[] = [];
  for (let seed = 1; seed <= SEEDS; seed++) {
    it(`seed ${seed}: nothing before the last STATE is lost`, { timeout: 90_000 }, async () => {
      const o = await crashAndResume(seed, false);
      outcomes.push(o);
      console.log(
        `crash seed ${seed}: killed after ${o.killedAfterObjects} objects, resumed at line ${o.resumeLine}, ${o.duplicates} duplicate records after the re-run`,
      );
    });
  }
  it("reports the duplicates figure (at-least-once)", () => {
    const total = outcomes.reduce((n, o) => n + o.duplicates, 0);
    console.log(
      `crash summary: ${outcomes.length} crashes, ${total} duplicate records in total (${(total / Math.max(1, outcomes.length)).toFixed(0)} per crash, of ${RECORDS} records), 0 lost`,
    );
    expect(outcomes.length).toBe(SEEDS);
  });
});

describe(`deterministic_keys: the re-run overwrites instead of duplicating (${DETERMINISTIC_SEEDS} seeds)`, () => {
  for (let seed = 101; seed < 101 + DETERMINISTIC_SEEDS; seed++) {
    it(`seed ${seed}: no duplicate after the re-run`, { timeout: 90_000 }, async () => {
      const o = await crashAndResume(seed, true);
      console.log(
        `deterministic crash seed ${seed}: killed after ${o.killedAfterObjects} objects, resumed at line ${o.resumeLine}, ${o.duplicates} duplicates`,
      );
      expect(o.duplicates).toBe(0);
    });
  }
});

describe("local files", () => {
  it("a clean run leaves nothing in temp_dir, parquet (DuckDB spill folder included)", { timeout: 60_000 }, async () => {
    const bucket = await s3.createBucket();
    const tempDir = makeTempDir("target-s3-clean-");
    const config = writeConfig(s3Config(s3, bucket, { file_type: "parquet", temp_dir: tempDir, memory_limit: "128MB", batch_size_rows: 2_000 }));
    const result = await runCli(["--config", config], { input: lines.join("\n") + "\n" });
    expect(result.code, result.stderr).toBe(0);
    expect(readdirSync(tempDir)).toEqual([]);
  });

  it("a failed run leaves nothing in temp_dir", { timeout: 60_000 }, async () => {
    const bucket = await s3.createBucket();
    const tempDir = makeTempDir("target-s3-fail-");
    const config = writeConfig(s3Config(s3, bucket, { file_type: "csv", temp_dir: tempDir }));
    const result = await runCli(["--config", config], { input: lines.slice(0, 2000).join("\n") + "\nnot json\n" });
    expect(result.code).toBe(1);
    expect(readdirSync(tempDir)).toEqual([]);
  });
});
