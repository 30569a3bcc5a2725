// Logs and METRIC lines as a user sees them: the real CLI spawned against s3rver, stderr parsed line by line.
import { execFileSync } from "node:child_process";
import { createWriteStream } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { makeTempDir, runCli, s3Config, spawnCli, writeConfig } from "../helpers/run-cli.js";
import type { S3TestServer } from "../helpers/s3-server.js";
import { useS3 } from "../helpers/s3-fixture.js";

let s3: S3TestServer;
let bucket: string;

useS3((f) => ({ s3, bucket } = f));

interface Metric {
  type: "counter" | "timer" | "gauge";
  metric: string;
  value: number;
  tags: Record<string, unknown>;
}

/** A text-format METRIC line, as the Singer SDK logs it: `<time> INFO  METRIC: {…}`. */
const METRIC_LINE = /^\d{4}-\d{2}-\d{2}T\S+ INFO {2}METRIC: (\{.*\})$/;

/** The METRIC lines of a text-format stderr, in order. */
function textMetrics(stderr: string): Metric[] {
  return stderr
    .split("\n")
    .map((line) => METRIC_LINE.exec(line)?.[1])
    .filter((body): body is string => body !== undefined)
    .map((body) => JSON.parse(body) as Metric);
}

const sum = (metrics: Metric[], name: string, stream?: string): number =>
  metrics.filter((m) => m.metric === name && (stream === undefined || m.tags["stream"] === stream)).reduce((n, m) => n + m.value, 0);

const SCHEMA = (stream: string): string =>
  JSON.stringify({ type: "SCHEMA", stream, schema: { type: "object", properties: { id: { type: "integer" } } }, key_properties: ["id"] });
const RECORD = (stream: string, id: number): string => JSON.stringify({ type: "RECORD", stream, record: { id } });

function twoStreams(a: number, b: number): string {
  const lines = [SCHEMA("alpha"), SCHEMA("beta")];
  for (let i = 0; i < Math.max(a, b); i++) {
    if (i < a) lines.push(RECORD("alpha", i));
    if (i < b) lines.push(RECORD("beta", i));
  }
  lines.push(JSON.stringify({ type: "STATE", value: { done: true } }));
  return lines.join("\n") + "\n";
}

describe("METRIC lines", () => {
  it("count records per stream, files, rows and bytes uploaded (Singer deltas that sum to the totals) and time every flush", async () => {
    const config = writeConfig(s3Config(s3, bucket, { file_type: "csv", batch_size_rows: 7, metrics_interval_seconds: 0 }));
    const result = await runCli(["--config", config], { input: twoStreams(20, 9) });
    expect(result.code, result.stderr).toBe(0);
    const metrics = textMetrics(result.stderr);
    const objects = await s3.listObjects(bucket);
    expect(objects.length).toBe(3 + 2);

    expect(sum(metrics, "record_count", "alpha")).toBe(20);
    expect(sum(metrics, "record_count", "beta")).toBe(9);
    expect(sum(metrics, "file_count")).toBe(objects.length);
    expect(sum(metrics, "rows_uploaded")).toBe(29);
    expect(sum(metrics, "bytes_uploaded")).toBe(objects.reduce((n, o) => n + o.size, 0));
    for (const m of metrics.filter((x) => x.type === "counter")) expect(Number.isInteger(m.value), JSON.stringify(m)).toBe(true);

    // As in the Singer SDK: tags are names (plus the pid), never numbers or one object's key.
    for (const m of metrics) {
      expect(m.tags["pid"], JSON.stringify(m)).toBe(metrics[0]?.tags["pid"]);
      for (const [tag, value] of Object.entries(m.tags)) if (tag !== "pid") expect(typeof value, `${m.metric} tag ${tag}`).toBe("string");
      expect(Object.keys(m.tags)).not.toContain("key");
    }

    // One batch_processing_time timer per stored object; the object's key, rows and bytes are on its info line.
    const timers = metrics.filter((m) => m.metric === "batch_processing_time");
    expect(timers.filter((t) => t.tags["stream"] === "alpha")).toHaveLength(3);
    expect(timers.filter((t) => t.tags["stream"] === "beta")).toHaveLength(2);
    for (const t of timers) {
      expect(t.type).toBe("timer");
      expect(t.value).toBeGreaterThanOrEqual(0);
      expect(t.tags).toMatchObject({ status: "succeeded" });
    }
    const stored = result.stderr.split("\n").filter((l) => / INFO {2}object stored /.test(l));
    expect(stored.map((l) => / key=(\S+)/.exec(l)?.[1]).sort()).toEqual(objects.map((o) => o.key));
    for (const object of objects) expect(stored.find((l) => l.includes(` key=${object.key} `))).toContain(` bytes=${object.size} `);
    expect(stored.reduce((n, l) => n + Number(/ rows=(\d+)/.exec(l)?.[1]), 0)).toBe(29);

    // The final stage timers (the benchmark reads them), the run's duration and a readable totals line.
    expect(metrics.filter((m) => m.metric === "stage_seconds").map((m) => m.tags["stage"])).toEqual(["parse", "validate", "buffer", "convert", "upload"]);
    expect(metrics.filter((m) => m.metric === "run_duration")).toHaveLength(1);
    expect(result.stderr).toMatch(/INFO {2}run totals records=29 files=5 rows_uploaded=29 bytes_uploaded=\d+/);
    // stdout carries STATE only.
    expect(result.invalidStdoutLines).toEqual([]);
    expect(result.stateLines).toEqual([{ done: true }]);
  });

  it("time where the run went: parse, validate, buffer (main thread), convert (DuckDB) and upload", async () => {
    const config = writeConfig(s3Config(s3, bucket, { file_type: "parquet" }));
    const result = await runCli(["--config", config], { input: twoStreams(20_000, 20_000), timeoutMs: 60_000 });
    expect(result.code, result.stderr.slice(-2000)).toBe(0);
    const metrics = textMetrics(result.stderr);
    const stages = Object.fromEntries(metrics.filter((m) => m.metric === "stage_seconds").map((m) => [m.tags["stage"], m.value]));
    expect(Object.keys(stages).sort()).toEqual(["buffer", "convert", "parse", "upload", "validate"]);
    for (const stage of ["parse", "validate", "buffer", "convert", "upload"]) expect(stages[stage], stage).toBeGreaterThan(0);
    // Main-thread stages are parts of the run; DuckDB's and the uploads' overlap it.
    const total = metrics.find((m) => m.metric === "run_duration")?.value ?? 0;
    expect(Number(stages["parse"]) + Number(stages["validate"]) + Number(stages["buffer"])).toBeLessThan(total);
  });

  it("are printed every metrics_interval_seconds while a slow input is still open, so progress is visible", async () => {
    const dir = makeTempDir("target-s3-fifo-");
    const fifo = join(dir, "input.fifo");
    execFileSync("mkfifo", [fifo]);
    const config = writeConfig(s3Config(s3, bucket, { file_type: "jsonl", metrics_interval_seconds: 0.2, max_batch_age_seconds: 0.3 }));
    const stderrLines: Array<{ line: string; phase: number }> = [];
    let phase = 1;
    const running = spawnCli(["--config", config, "--input", fifo], { onStderrLine: (line) => stderrLines.push({ line, phase }) });
    const writer = createWriteStream(fifo);
    writer.write(`${SCHEMA("alpha")}\n${RECORD("alpha", 1)}\n${RECORD("alpha", 2)}\n${JSON.stringify({ type: "STATE", value: { n: 2 } })}\n`);
    // Wait (without a deadline on speed) until a periodic report counted the first stored batch. Its `progress` line
    // is the report's last line: waiting for a METRIC line alone let the progress line arrive in a later stderr chunk,
    // after the input was closed (seen once in CI under load).
    const reported = (): boolean => stderrLines.some((l) => / INFO {2}progress records=2 files=1 /.test(l.line));
    for (let i = 0; i < 600 && !reported(); i++) await sleep(50);
    phase = 2;
    writer.end(`${RECORD("alpha", 3)}\n${JSON.stringify({ type: "STATE", value: { n: 3 } })}\n`);
    const result = await running.result;
    expect(result.code, result.stderr).toBe(0);

    const early = textMetrics(
      stderrLines
        .filter((l) => l.phase === 1)
        .map((l) => l.line)
        .join("\n"),
    );
    // While the input was still open: the two records and the first file were already reported.
    expect(sum(early, "record_count", "alpha")).toBe(2);
    expect(sum(early, "file_count")).toBe(1);
    expect(stderrLines.some((l) => l.phase === 1 && / INFO {2}progress records=2 files=1 /.test(l.line))).toBe(true);
    // Everything sums to the totals at the end.
    const all = textMetrics(result.stderr);
    expect(sum(all, "record_count", "alpha")).toBe(3);
    expect(sum(all, "file_count")).toBe(2);
    expect(result.stateLines).toEqual([{ n: 2 }, { n: 3 }]);
  });
});

describe("log settings", () => {
  it("log_format json makes every stderr line a JSON object, METRIC lines included", async () => {
    const config = writeConfig(s3Config(s3, bucket, { log_format: "json", metrics_interval_seconds: 0 }));
    const result = await runCli(["--config", config], { input: twoStreams(3, 2) });
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stderr.split("\n").filter((l) => l !== "");
    expect(lines.length).toBeGreaterThan(3);
    // The Singer SDK's structured keys (singer_sdk.logging.StructuredFormatter).
    const parsed = lines.map(
      (l) => JSON.parse(l) as { level: string; ts: number; pid: number; message: string; stream_name: string | null; metric_info?: Metric },
    );
    for (const p of parsed) {
      expect(["debug", "info", "warn", "error"]).toContain(p.level);
      expect(p.ts).toBeGreaterThan(1.7e9);
      expect(p).toMatchObject({ logger_name: "target-s3", app_name: "target-s3", pid: expect.any(Number) as unknown });
      expect(typeof p.message).toBe("string");
    }
    const metrics = parsed.filter((p) => p.message === "METRIC").map((p) => p.metric_info as Metric);
    expect(sum(metrics, "record_count", "alpha")).toBe(3);
    expect(sum(metrics, "record_count", "beta")).toBe(2);
    expect(metrics.filter((m) => m.metric === "batch_processing_time")).toHaveLength(2);
    expect(parsed.find((p) => p.message === "object stored")).toMatchObject({
      level: "info",
      stream_name: expect.any(String) as unknown,
      extra: { key: expect.any(String) as unknown },
    });
  });

  it("takes the level from TARGET_S3_LOGLEVEL before LOGLEVEL before log_level; warn silences info and METRIC lines", async () => {
    const config = writeConfig(s3Config(s3, bucket, { log_level: "debug" }));
    const input = twoStreams(2, 1);
    const quiet = await runCli(["--config", config], { input, env: { LOGLEVEL: "warn" } });
    expect(quiet.code, quiet.stderr).toBe(0);
    expect(quiet.stderr).not.toMatch(/METRIC|INFO|DEBUG/);

    const loud = await runCli(["--config", config], { input, env: { LOGLEVEL: "error", TARGET_S3_LOGLEVEL: "info" } });
    expect(loud.code, loud.stderr).toBe(0);
    expect(loud.stderr).toContain("METRIC: ");
    expect(loud.stderr).toContain(" INFO ");
    expect(loud.stderr).not.toContain(" DEBUG ");

    const fromConfig = await runCli(["--config", config], { input, env: { LOGLEVEL: undefined, TARGET_S3_LOGLEVEL: undefined } });
    expect(fromConfig.code, fromConfig.stderr).toBe(0);
    expect(fromConfig.stderr).toContain(" INFO ");
    expect(fromConfig.stateLines).toEqual([{ done: true }]);
  });

  it("never prints a secret, at debug level and in an error", async () => {
    const secret = "sEcReT-value-that-must-not-leak-9f2c";
    const token = "session-token-that-must-not-leak-77aa";
    // A key pair of its own: stores that verify signatures (Ceph) must know this secret.
    const accessKeyId = "LOGSECRETTESTKEY0001";
    s3.allowAccessKey(accessKeyId, secret);
    const config = writeConfig(
      s3Config(s3, bucket, { aws_access_key_id: accessKeyId, aws_secret_access_key: secret, aws_session_token: token, log_level: "debug" }),
    );
    const ok = await runCli(["--config", config], { input: twoStreams(2, 2) });
    expect(ok.code, ok.stderr).toBe(0);
    const failed = await runCli(["--config", config], { input: `${RECORD("alpha", 1)}\n` });
    expect(failed.code).not.toBe(0);
    for (const text of [ok.stderr, ok.stdout, failed.stderr, failed.stdout]) {
      expect(text).not.toContain(secret);
      expect(text).not.toContain(token);
    }
  });
});
