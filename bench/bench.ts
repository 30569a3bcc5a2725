// `npm run bench`: target-s3 against the floor (read + JSON.parse per line), on a local S3
// server, for each input size and output format.
//
//   node dist/bench/bench.js [--sizes 100000,1000000] [--formats parquet,csv.gz,jsonl,csv]
//                            [--repeat N] [--seed S] [--memory-limit 1GB] [--timeout 1800]
//                            [--rss time|preload] [--fake-target] [--cli PATH]
//
// For every size the runs alternate (floor, then each format, repeated N times) so that
// slow drift of the machine affects all of them alike. Every run is a child process fed
// the input file as stdin; wall time covers its whole life (startup included) and peak
// RSS comes from the child's own resource usage (`/usr/bin/time -f %M`, or a preload
// calling process.resourceUsage()). Inputs are cached in the OS temp dir by size and
// seed; results are written there as JSON too (never into the repository).
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, openSync, closeSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { CreateBucketCommand, DeleteBucketCommand, DeleteObjectCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { BENCH_REGION, startCeph, startS3rver, type LocalS3 } from "./local-s3.js";
import { DEFAULT_SEED, GENERATOR_VERSION, generateToFile } from "./generate.js";

const HERE = dirname(fileURLToPath(import.meta.url)); // dist/bench
const ROOT = resolve(HERE, "..", "..");
const FLOOR_JS = join(HERE, "floor.js");
const FAKE_TARGET_JS = join(HERE, "fake-target.js");
const RSS_PRELOAD_JS = join(HERE, "rss-preload.js");
const TIME_BIN = "/usr/bin/time";
/** No instance-metadata probing, no Node-version notice in every captured stderr tail. */
const QUIET_SDK_ENV = { AWS_EC2_METADATA_DISABLED: "true", AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" };

const FORMATS = {
  parquet: { file_type: "parquet", compression: "none" },
  "csv.gz": { file_type: "csv", compression: "gzip" },
  jsonl: { file_type: "jsonl", compression: "none" },
  csv: { file_type: "csv", compression: "none" },
  json: { file_type: "json", compression: "none" },
  "jsonl.gz": { file_type: "jsonl", compression: "gzip" },
  avro: { file_type: "avro", compression: "none" },
  "avro.snappy": { file_type: "avro", compression: "none", avro_codec: "snappy" },
  "avro.zstandard": { file_type: "avro", compression: "none", avro_codec: "zstandard" },
  xml: { file_type: "xml", compression: "none" },
  "xml.gz": { file_type: "xml", compression: "gzip" },
} as const;
type Format = keyof typeof FORMATS;
const DEFAULT_FORMATS: Format[] = ["parquet", "csv.gz", "jsonl", "csv"];

interface Options {
  sizes: number[];
  formats: Format[];
  repeat: number;
  seed: number;
  memoryLimit: string | undefined;
  timeoutSeconds: number;
  rss: "time" | "preload";
  fakeTarget: boolean;
  cli: string;
  /** Amounts carry multipleOf (generate.ts decimalAmounts). */
  decimalAmounts: boolean;
  /** The S3 server the runs write to: s3rver in this process, or a Ceph RADOS Gateway (scripts/ceph-s3.sh). */
  s3: "s3rver" | "ceph";
}

interface Stages {
  total: number;
  parse?: number;
  validate?: number;
  buffer?: number;
  convert?: number;
  upload?: number;
  [other: string]: number | undefined;
}

interface RunResult {
  size: number;
  repeat: number;
  run: "floor" | Format;
  status: "ok" | "FAILED" | "SKIPPED";
  error?: string;
  exitCode?: number | null;
  signal?: string | null;
  wallSeconds?: number;
  recordsPerSec?: number;
  mbPerSec?: number;
  peakRssMB?: number | null;
  /** CPU microseconds per record: the target process, and the local S3 server (s3rver in this process, or Ceph's daemons) during the run. */
  targetCpuUsPerRecord?: number | null;
  s3CpuUsPerRecord?: number;
  ratioToFloor?: number | null;
  stages?: Stages | null;
  stateLines?: number;
  lastState?: string;
  objects?: number;
  objectBytes?: number;
  floorSelf?: unknown;
  stderrTail?: string;
}

// ---------------------------------------------------------------------------------------
// Options

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      sizes: { type: "string", default: "100000,1000000" },
      formats: { type: "string", default: DEFAULT_FORMATS.join(",") },
      repeat: { type: "string", default: "1" },
      seed: { type: "string", default: String(DEFAULT_SEED) },
      "memory-limit": { type: "string" },
      timeout: { type: "string", default: "1800" },
      rss: { type: "string" },
      "fake-target": { type: "boolean", default: false },
      "decimal-amounts": { type: "boolean", default: false },
      s3: { type: "string", default: "s3rver" },
      cli: { type: "string", default: join(ROOT, "dist", "src", "cli.js") },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    process.stdout.write(
      "usage: npm run bench -- [--sizes 100000,1000000] [--formats parquet,csv.gz,jsonl,csv] [--repeat N]\n" +
        "                       [--seed S] [--memory-limit 1GB] [--timeout SECONDS] [--rss time|preload]\n" +
        "                       [--cli dist/src/cli.js] [--fake-target] [--decimal-amounts] [--s3 s3rver|ceph]\n" +
        "--s3 ceph writes to a throwaway Ceph RADOS Gateway (scripts/ceph-s3.sh start; installs its packages when missing)\n" +
        "--decimal-amounts declares amounts with multipleOf (0.01, 0.0001, 0.001; 0.000001 nested), as tap-postgres does for NUMERIC\n" +
        "--formats none runs the floor only; --fake-target runs bench/fake-target.ts instead of the CLI (tests the runner)\n" +
        `formats: ${Object.keys(FORMATS).join(", ")}\n`,
    );
    process.exit(0);
  }
  const int = (name: string, text: string, min: number): number => {
    const n = Number(text.replace(/_/g, ""));
    if (!Number.isInteger(n) || n < min) fail(`--${name} must be an integer ≥ ${min}, got '${text}'`);
    return n;
  };
  const sizes = values.sizes.split(",").map((s) => int("sizes", s.trim(), 1));
  const formatList = values.formats.trim() === "" || values.formats.trim() === "none" ? [] : values.formats.split(",");
  const formats = formatList.map((f) => {
    const name = f.trim();
    if (!(name in FORMATS)) fail(`--formats: unknown format '${name}' (known: ${Object.keys(FORMATS).join(", ")})`);
    return name as Format;
  });
  const rss = values.rss ?? (existsSync(TIME_BIN) ? "time" : "preload");
  if (rss !== "time" && rss !== "preload") fail(`--rss must be 'time' or 'preload', got '${rss}'`);
  if (values.s3 !== "s3rver" && values.s3 !== "ceph") fail(`--s3 must be 's3rver' or 'ceph', got '${values.s3}'`);
  return {
    sizes,
    formats,
    repeat: int("repeat", values.repeat, 1),
    seed: int("seed", values.seed, 0),
    memoryLimit: values["memory-limit"],
    timeoutSeconds: int("timeout", values.timeout, 1),
    rss,
    fakeTarget: values["fake-target"],
    cli: resolve(values.cli),
    decimalAmounts: values["decimal-amounts"],
    s3: values.s3,
  };
}

function fail(message: string): never {
  process.stderr.write(`bench: ${message}\n`);
  process.exit(2);
}

const log = (message: string): void => void process.stderr.write(`[bench] ${message}\n`);

// ---------------------------------------------------------------------------------------
// Child processes

interface ChildOutcome {
  exitCode: number | null;
  signal: string | null;
  wallSeconds: number;
  peakRssKB: number | null;
  /** User + system CPU seconds of the child (its threads included: DuckDB, zlib, the SDK's sockets). */
  cpuSeconds: number | null;
  stdoutLines: number;
  lastStdoutLine: string;
  stderrTail: string;
  metricLines: string[];
  timedOut: boolean;
}

const STDERR_TAIL_BYTES = 16_384;
/** Process group of the running child: children are detached, so Ctrl-C must be forwarded. */
let currentChildGroup: number | undefined;

/** Runs `node args…` with `inputFile` as stdin, measuring wall time and peak RSS. */
async function runChild(args: string[], inputFile: string, opts: Options, scratch: string): Promise<ChildOutcome> {
  const rssFile = join(scratch, `rss-${process.hrtime.bigint()}.txt`);
  let command: string;
  let argv: string[];
  const env: NodeJS.ProcessEnv = { ...process.env, ...QUIET_SDK_ENV };
  if (opts.rss === "time") {
    command = TIME_BIN;
    argv = ["-f", "%M %U %S", "-o", rssFile, process.execPath, ...args];
  } else {
    command = process.execPath;
    argv = ["--import", pathToFileURL(RSS_PRELOAD_JS).href, ...args];
    env.BENCH_RSS_FILE = rssFile;
  }
  const stdin = openSync(inputFile, "r");
  const started = performance.now();
  const child = spawn(command, argv, { stdio: [stdin, "pipe", "pipe"], env, detached: true });
  closeSync(stdin);
  currentChildGroup = child.pid;
  const { stdout, stderr } = child;
  if (stdout === null || stderr === null) throw new Error("child without stdout/stderr pipes");

  let stdoutLines = 0;
  let stdoutRest = "";
  let lastStdoutLine = "";
  stdout.setEncoding("utf8");
  stdout.on("data", (chunk: string) => {
    const text = stdoutRest + chunk;
    const lines = text.split("\n");
    stdoutRest = lines.pop() ?? "";
    stdoutLines += lines.length;
    const last = lines[lines.length - 1];
    if (last !== undefined) lastStdoutLine = last;
  });

  let stderrTail = "";
  let stderrRest = "";
  const metricLines: string[] = [];
  stderr.setEncoding("utf8");
  stderr.on("data", (chunk: string) => {
    stderrTail = (stderrTail + chunk).slice(-STDERR_TAIL_BYTES);
    const lines = (stderrRest + chunk).split("\n");
    stderrRest = (lines.pop() ?? "").slice(-1_000_000);
    for (const line of lines) if (line.includes("METRIC: ")) metricLines.push(line);
  });

  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      process.kill(-(child.pid as number), "SIGKILL"); // the whole group: /usr/bin/time and node
    } catch {
      child.kill("SIGKILL");
    }
  }, opts.timeoutSeconds * 1000);

  const [exitCode, signal] = await new Promise<[number | null, string | null]>((res, rej) => {
    child.on("error", rej);
    child.on("close", (code, sig) => res([code, sig]));
  });
  clearTimeout(timer);
  currentChildGroup = undefined;
  const wallSeconds = (performance.now() - started) / 1000;
  if (stdoutRest !== "") {
    stdoutLines++;
    lastStdoutLine = stdoutRest;
  }
  if (stderrRest.includes("METRIC: ")) metricLines.push(stderrRest);

  let peakRssKB: number | null = null;
  let cpuSeconds: number | null = null;
  try {
    // GNU time writes "Command exited with non-zero status N" before the values on failure.
    const lines = readFileSync(rssFile, "utf8").trim().split("\n");
    const [rss, user, sys] = (lines[lines.length - 1] ?? "").split(" ").map(Number);
    if (rss !== undefined && Number.isFinite(rss) && rss > 0) peakRssKB = rss;
    if (user !== undefined && sys !== undefined && Number.isFinite(user + sys)) cpuSeconds = user + sys;
    rmSync(rssFile, { force: true });
  } catch {
    peakRssKB = null;
  }
  return { exitCode, signal, wallSeconds, peakRssKB, cpuSeconds, stdoutLines, lastStdoutLine, stderrTail, metricLines, timedOut };
}

/** The last `stage_seconds` timer among the METRIC lines, if any. */
export function parseStages(metricLines: readonly string[]): Stages | null {
  let found: Stages | null = null;
  let current: Record<string, number> = {};
  for (const line of metricLines) {
    const at = line.indexOf("METRIC: ");
    try {
      const m = JSON.parse(line.slice(at + "METRIC: ".length)) as {
        metric?: unknown;
        value?: unknown;
        tags?: Record<string, unknown>;
      };
      if (typeof m.value !== "number") continue;
      const stage = m.tags?.["stage"];
      if (m.metric === "stage_seconds" && typeof stage === "string") {
        // One line per stage (the target's format), then run_duration with the total.
        current[stage] = m.value;
      } else if (m.metric === "run_duration") {
        found = { ...current, total: m.value };
        current = {};
      } else if (m.metric === "stage_seconds") {
        // One line with every stage in its tags (the fake target's format).
        const stages: Stages = { total: m.value };
        for (const [k, v] of Object.entries(m.tags ?? {})) if (typeof v === "number") stages[k] = v;
        found = stages;
      }
    } catch {
      // Not JSON: ignore, as a log reader would.
    }
  }
  return found;
}

// ---------------------------------------------------------------------------------------
// Local S3

async function listObjects(s3: LocalS3, bucket: string): Promise<{ count: number; bytes: number; keys: string[] }> {
  let token: string | undefined;
  const keys: string[] = [];
  let bytes = 0;
  do {
    const page = await s3.client.send(new ListObjectsV2Command({ Bucket: bucket, ...(token !== undefined ? { ContinuationToken: token } : {}) }));
    for (const o of page.Contents ?? []) {
      if (o.Key !== undefined) keys.push(o.Key);
      bytes += o.Size ?? 0;
    }
    token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
  return { count: keys.length, bytes, keys };
}

/** Empties and removes a bucket so a long benchmark does not fill the disk. */
async function dropBucket(s3: LocalS3, bucket: string, keys: readonly string[]): Promise<void> {
  for (const key of keys) await s3.client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
  await s3.client.send(new DeleteBucketCommand({ Bucket: bucket }));
}

// ---------------------------------------------------------------------------------------
// Runs

function inputFor(size: number, opts: Options, dir: string): { file: string; bytes: number } {
  const file = join(dir, `singer-v${GENERATOR_VERSION}-seed${opts.seed}-${size}${opts.decimalAmounts ? "-decimal" : ""}.jsonl`);
  if (!existsSync(file)) {
    log(`generating ${size} records → ${file}`);
    const t0 = performance.now();
    const s = generateToFile(size, file, { seed: opts.seed, decimalAmounts: opts.decimalAmounts });
    log(`generated ${(s.bytes / 1e6).toFixed(1)} MB in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  } else {
    log(`using cached input ${file}`);
  }
  return { file, bytes: statSync(file).size };
}

function tail(text: string, lines = 15): string {
  return text.trimEnd().split("\n").slice(-lines).join("\n");
}

async function runFloor(size: number, repeat: number, input: { file: string; bytes: number }, opts: Options, scratch: string): Promise<RunResult> {
  const out = await runChild([FLOOR_JS], input.file, opts, scratch);
  const base: RunResult = { size, repeat, run: "floor", status: "ok", exitCode: out.exitCode, signal: out.signal };
  let self: { records?: number } | undefined;
  try {
    self = JSON.parse(out.lastStdoutLine) as { records?: number };
  } catch {
    self = undefined;
  }
  const problem = out.timedOut
    ? `timed out after ${opts.timeoutSeconds} s`
    : out.exitCode !== 0
      ? `exit code ${out.exitCode ?? out.signal}`
      : self?.records !== size
        ? `counted ${self?.records ?? "?"} records, expected ${size}`
        : undefined;
  if (problem !== undefined) return { ...base, status: "FAILED", error: problem, stderrTail: tail(out.stderrTail) };
  return {
    ...base,
    wallSeconds: out.wallSeconds,
    recordsPerSec: size / out.wallSeconds,
    mbPerSec: input.bytes / 1e6 / out.wallSeconds,
    peakRssMB: out.peakRssKB === null ? null : out.peakRssKB / 1024,
    targetCpuUsPerRecord: out.cpuSeconds === null ? null : (out.cpuSeconds * 1e6) / size,
    floorSelf: self,
  };
}

async function runTarget(
  size: number,
  repeat: number,
  format: Format,
  input: { file: string; bytes: number },
  opts: Options,
  s3: LocalS3,
  scratch: string,
): Promise<RunResult> {
  const base: RunResult = { size, repeat, run: format, status: "ok" };
  const bucket = `bench-${size}-${format.replace(".", "-")}-r${repeat}-${Date.now().toString(36)}`;
  await s3.client.send(new CreateBucketCommand({ Bucket: bucket }));
  const runDir = mkdtempSync(join(scratch, `${format}-`));
  const tempDir = join(runDir, "tmp");
  mkdirSync(tempDir);
  const config = {
    bucket,
    aws_endpoint: s3.endpoint,
    force_path_style: true,
    aws_access_key_id: s3.accessKeyId,
    aws_secret_access_key: s3.secretAccessKey,
    aws_region: BENCH_REGION,
    file_type: FORMATS[format].file_type,
    compression: FORMATS[format].compression,
    ...("avro_codec" in FORMATS[format] ? { avro_codec: FORMATS[format].avro_codec } : {}),
    validate_records: true,
    temp_dir: tempDir,
    ...(opts.memoryLimit !== undefined ? { memory_limit: opts.memoryLimit } : {}),
  };
  const configFile = join(runDir, "config.json");
  writeFileSync(configFile, JSON.stringify(config, null, 2));
  try {
    const program = opts.fakeTarget ? FAKE_TARGET_JS : opts.cli;
    const s3Cpu = s3.cpuSeconds();
    const out = await runChild([program, "--config", configFile], input.file, opts, scratch);
    const s3CpuUsed = s3.cpuSeconds() - s3Cpu;
    const listed = await listObjects(s3, bucket).catch(() => ({ count: 0, bytes: 0, keys: [] as string[] }));
    const result: RunResult = {
      ...base,
      exitCode: out.exitCode,
      signal: out.signal,
      wallSeconds: out.wallSeconds,
      recordsPerSec: size / out.wallSeconds,
      mbPerSec: input.bytes / 1e6 / out.wallSeconds,
      peakRssMB: out.peakRssKB === null ? null : out.peakRssKB / 1024,
      targetCpuUsPerRecord: out.cpuSeconds === null ? null : (out.cpuSeconds * 1e6) / size,
      s3CpuUsPerRecord: (s3CpuUsed * 1e6) / size,
      stages: parseStages(out.metricLines),
      stateLines: out.stdoutLines,
      lastState: out.lastStdoutLine.slice(0, 500),
      objects: listed.count,
      objectBytes: listed.bytes,
    };
    const problem = out.timedOut
      ? `timed out after ${opts.timeoutSeconds} s`
      : out.exitCode !== 0
        ? `exit code ${out.exitCode ?? out.signal}`
        : out.stdoutLines < 1
          ? "no STATE line on stdout"
          : listed.count < 1
            ? `no object in bucket ${bucket}`
            : undefined;
    await dropBucket(s3, bucket, listed.keys).catch((err: unknown) => log(`could not remove bucket ${bucket}: ${String(err)}`));
    if (problem !== undefined) return { ...result, status: "FAILED", error: problem, stderrTail: tail(out.stderrTail) };
    return result;
  } finally {
    rmSync(runDir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------
// Report

const fmtInt = (n: number | undefined): string => (n === undefined ? "" : Math.round(n).toLocaleString("en-US"));
const fmt1 = (n: number | null | undefined): string => (n === undefined || n === null ? "n/a" : n.toFixed(1));

function stagesText(s: Stages | null | undefined): string {
  if (s === null || s === undefined) return "n/a";
  const named = ["parse", "validate", "buffer", "convert", "upload"];
  const parts = named.map((k) => `${k} ${s[k] === undefined ? "-" : s[k].toFixed(2)}`);
  for (const [k, v] of Object.entries(s)) if (k !== "total" && !named.includes(k) && v !== undefined) parts.push(`${k} ${v.toFixed(2)}`);
  return `${parts.join(" · ")} (Σ ${s.total.toFixed(2)} s)`;
}

function table(header: string[], rows: string[][], rightAligned: Set<number>): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    "| " + cells.map((c, i) => (rightAligned.has(i) ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0))).join(" | ") + " |";
  const sep = "|" + widths.map((w, i) => (rightAligned.has(i) ? "-".repeat(w + 1) + ":" : "-".repeat(w + 2))).join("|") + "|";
  return [line(header), sep, ...rows.map(line)].join("\n");
}

function renderRows(results: readonly RunResult[], withRepeat: boolean): string {
  const header = [
    "size",
    ...(withRepeat ? ["rep"] : []),
    "run",
    "records/s",
    "MB/s",
    "peak RSS MB",
    "× floor",
    "target CPU µs/rec",
    "S3 CPU µs/rec",
    "stage times (s)",
  ];
  const rows = results.map((r) => {
    const ok = r.status === "ok";
    return [
      fmtInt(r.size),
      ...(withRepeat ? [String(r.repeat)] : []),
      r.run,
      ok ? fmtInt(r.recordsPerSec) : r.status,
      ok ? fmt1(r.mbPerSec) : "",
      ok ? fmt1(r.peakRssMB) : "",
      ok && r.run !== "floor" ? (r.ratioToFloor === null || r.ratioToFloor === undefined ? "n/a" : r.ratioToFloor.toFixed(2)) : "",
      ok ? fmt1(r.targetCpuUsPerRecord) : "",
      ok && r.run !== "floor" ? fmt1(r.s3CpuUsPerRecord) : "",
      ok ? (r.run === "floor" ? "" : stagesText(r.stages)) : (r.error ?? ""),
    ];
  });
  const offset = withRepeat ? 1 : 0;
  return table(header, rows, new Set([0, 2 + offset, 3 + offset, 4 + offset, 5 + offset, 6 + offset, 7 + offset]));
}

const median = (xs: number[]): number | undefined => {
  if (xs.length === 0) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m] : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

function renderMedians(results: readonly RunResult[], opts: Options): string {
  const header = ["size", "run", "ok/runs", "median records/s", "median MB/s", "max peak RSS MB", "median × floor"];
  const rows: string[][] = [];
  for (const size of opts.sizes) {
    for (const run of ["floor", ...opts.formats] as const) {
      const all = results.filter((r) => r.size === size && r.run === run);
      const ok = all.filter((r) => r.status === "ok");
      const rss = ok.map((r) => r.peakRssMB).filter((x): x is number => typeof x === "number");
      const ratios = ok.map((r) => r.ratioToFloor).filter((x): x is number => typeof x === "number");
      const ratio = median(ratios);
      rows.push([
        fmtInt(size),
        run,
        `${ok.length}/${all.length}`,
        ok.length > 0 ? fmtInt(median(ok.map((r) => r.recordsPerSec ?? 0))) : "n/a",
        fmt1(median(ok.map((r) => r.mbPerSec ?? 0))),
        rss.length > 0 ? fmt1(Math.max(...rss)) : "n/a",
        run === "floor" ? "" : ratio === undefined ? "n/a" : ratio.toFixed(2),
      ]);
    }
  }
  return table(header, rows, new Set([0, 3, 4, 5, 6]));
}

// ---------------------------------------------------------------------------------------
// Main

async function main(): Promise<void> {
  const opts = parseOptions(process.argv.slice(2));
  Object.assign(process.env, QUIET_SDK_ENV);
  const base = join(tmpdir(), "target-s3-bench");
  const inputs = join(base, "inputs");
  mkdirSync(inputs, { recursive: true });
  const scratch = mkdtempSync(join(base, "run-"));
  const s3dir = join(scratch, "s3");
  mkdirSync(s3dir);

  const targetMissing = !opts.fakeTarget && !existsSync(opts.cli);
  if (targetMissing) log(`${opts.cli} not found (run \`npm run build\`): target runs are SKIPPED, the floor still runs`);
  if (opts.fakeTarget) log('--fake-target: the "target" is bench/fake-target.ts, not target-s3; its numbers mean nothing');
  log(`peak RSS via ${opts.rss === "time" ? TIME_BIN + " -f %M" : "node --import rss-preload.js"}`);

  const s3 = opts.s3 === "ceph" ? startCeph(join(ROOT, "scripts", "ceph-s3.sh")) : await startS3rver(s3dir);
  log(`local S3 (${s3.name}) at ${s3.endpoint}`);
  const results: RunResult[] = [];
  const startedAt = new Date().toISOString();
  let interrupted = false;
  const onSignal = (): void => {
    interrupted = true;
    log("interrupted: stopping the current run, then writing what we have");
    if (currentChildGroup !== undefined) {
      try {
        process.kill(-currentChildGroup, "SIGTERM");
      } catch {
        // Already gone.
      }
    }
  };
  process.once("SIGINT", onSignal);
  try {
    for (const size of opts.sizes) {
      if (interrupted) break;
      const input = inputFor(size, opts, inputs);
      for (let rep = 1; rep <= opts.repeat && !interrupted; rep++) {
        const floor = await runFloor(size, rep, input, opts, scratch);
        results.push(floor);
        log(
          `${size} #${rep} floor: ${floor.status === "ok" ? `${fmtInt(floor.recordsPerSec)} records/s, ${fmt1(floor.peakRssMB)} MB RSS` : `FAILED: ${floor.error ?? ""}\n${floor.stderrTail ?? ""}`}`,
        );
        for (const format of opts.formats) {
          if (interrupted) break;
          let r: RunResult;
          if (targetMissing) {
            r = { size, repeat: rep, run: format, status: "SKIPPED", error: `${opts.cli} not found` };
          } else {
            r = await runTarget(size, rep, format, input, opts, s3, scratch).catch((err: unknown): RunResult => ({
              size,
              repeat: rep,
              run: format,
              status: "FAILED",
              error: `bench error: ${String(err)}`,
            }));
          }
          if (r.status === "ok") {
            r.ratioToFloor =
              floor.status === "ok" && floor.recordsPerSec !== undefined && r.recordsPerSec !== undefined ? r.recordsPerSec / floor.recordsPerSec : null;
            log(
              `${size} #${rep} ${format}: ${fmtInt(r.recordsPerSec)} records/s (${r.ratioToFloor?.toFixed(2) ?? "n/a"} × floor), ${fmt1(r.peakRssMB)} MB RSS, CPU µs/record: target ${fmt1(r.targetCpuUsPerRecord)}, S3 server ${fmt1(r.s3CpuUsPerRecord)}, ${r.objects} objects, ${r.stateLines} STATE lines`,
            );
          } else {
            log(`${size} #${rep} ${format}: ${r.status}: ${r.error ?? ""}${r.stderrTail !== undefined ? `\n--- stderr (tail) ---\n${r.stderrTail}\n---` : ""}`);
          }
          results.push(r);
        }
      }
    }
  } finally {
    process.removeListener("SIGINT", onSignal);
    await s3.close().catch(() => undefined);
    rmSync(scratch, { recursive: true, force: true });
  }

  const report = {
    startedAt,
    finishedAt: new Date().toISOString(),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    options: { ...opts, memoryLimit: opts.memoryLimit ?? null },
    results,
  };
  const resultsDir = join(base, "results");
  mkdirSync(resultsDir, { recursive: true });
  const resultsFile = join(resultsDir, `bench-${startedAt.replace(/[:.]/g, "-")}.json`);
  writeFileSync(resultsFile, JSON.stringify(report, null, 2) + "\n");
  writeFileSync(join(resultsDir, "latest.json"), JSON.stringify(report, null, 2) + "\n");

  process.stdout.write("\n" + renderRows(results, opts.repeat > 1) + "\n");
  if (opts.repeat > 1) process.stdout.write("\n" + renderMedians(results, opts) + "\n");
  process.stdout.write(`\nresults: ${resultsFile}\n`);
  const failed = results.filter((r) => r.status === "FAILED").length;
  if (failed > 0) process.stdout.write(`${failed} run(s) FAILED\n`);
  process.exitCode = failed > 0 || interrupted ? 1 : 0;
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
