// SIGTERM / SIGINT (SPEC §6): stop reading, abort in-flight uploads within shutdown_timeout_seconds, print no STATE
// for unstored data, exit 143 / 130. stdout closed by the reader (EPIPE) ends the run with an error, exit ≠ 0.
import { spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFaultProxy, type FaultProxy } from "../helpers/fault-proxy.js";
import { CLI_PATH, s3Config, spawnCli, writeConfig } from "../helpers/run-cli.js";
import { startS3Server, type S3TestServer } from "../helpers/s3-server.js";
import { compareCounts, countIds, singerInput } from "./reliability-helpers.js";

const MiB = 1024 * 1024;
let s3: S3TestServer;
let proxy: FaultProxy;
const { text } = singerInput(30_000, 11);
const lines = text.split("\n").filter((l) => l !== "");

beforeAll(async () => {
  s3 = await startS3Server();
  proxy = await startFaultProxy(s3.endpoint);
});
afterAll(async () => {
  await proxy?.close();
  await s3?.close();
});

/** Ids per stream of the records before the STATE whose value text is `value`. */
function idsBeforeState(value: string): Record<string, number> {
  const end = lines.indexOf(`{"type":"STATE","value":${value}}`);
  expect(end).toBeGreaterThan(0);
  const out: Record<string, number> = {};
  for (const l of lines.slice(0, end)) {
    const m = /^\{"type":"RECORD","stream":"([^"]+)","record":\{"id":(\d+)/.exec(l);
    if (m) out[m[1]!] = Math.max(out[m[1]!] ?? 0, Number(m[2]));
  }
  return out;
}

describe.each([
  ["SIGTERM", 143],
  ["SIGINT", 130],
] as const)("%s", (signal, exitCode) => {
  it(`while uploads hang: aborts them within shutdown_timeout_seconds, no STATE for unstored data, exit ${exitCode}`, { timeout: 60_000 }, async () => {
    const bucket = await s3.createBucket();
    proxy.clearRequests();
    // Every upload hangs for 30 s at the proxy: nothing can be stored before the signal.
    proxy.setRules([{ match: (r) => r.operation === "PutObject" || r.operation === "UploadPart", action: "delay", ms: 30_000 }]);
    const config = writeConfig(
      s3Config(proxy, bucket, { file_type: "jsonl", batch_size_rows: 2_000, multipart_part_size: 5 * MiB, shutdown_timeout_seconds: 3 }),
    );
    let signalledAt = 0;
    const running = spawnCli(["--config", config], {
      input: text,
      onStderrLine: (line, child) => {
        // Signal once files are being uploaded.
        if (signalledAt === 0 && proxy.requests.some((r) => r.fault === "delay")) {
          signalledAt = Date.now();
          child.kill(signal);
        }
        void line;
      },
    });
    // If no stderr line came after the first upload started, signal from a timer.
    const timer = setInterval(() => {
      if (signalledAt === 0 && proxy.requests.some((r) => r.fault === "delay")) {
        signalledAt = Date.now();
        running.child.kill(signal);
      }
    }, 50);
    const result = await running.result;
    clearInterval(timer);
    proxy.setRules([]);
    expect(result.code, result.stderr).toBe(exitCode);
    expect(result.stateLines).toEqual([]);
    expect(Date.now() - signalledAt).toBeLessThan(3_000 + 5_000);
    expect(result.stderr).toMatch(new RegExp(`stopped by ${signal}`));
    expect(await s3.listObjects(bucket)).toEqual([]);
  });

  it("mid-run with uploads flowing: every printed STATE is backed by stored records, exit code as documented", { timeout: 60_000 }, async () => {
    const bucket = await s3.createBucket();
    const config = writeConfig(s3Config(s3, bucket, { file_type: "jsonl", batch_size_rows: 1_000 }));
    let stored = 0;
    const running = spawnCli(["--config", config], {
      input: text,
      onStderrLine: (line, child) => {
        if (/object stored/.test(line) && ++stored === 6) child.kill(signal);
      },
    });
    const result = await running.result;
    expect(result.code === exitCode || result.code === 0, result.stderr).toBe(true);
    const printed = result.stdout.split("\n").filter((l) => l.trim() !== "");
    if (printed.length > 0) {
      const diff = compareCounts((await countIds(s3, bucket)).counts, idsBeforeState(printed.at(-1)!));
      expect(diff.missing, diff.detail.join("; ")).toBe(0);
    }
  });
});

describe("stdout closed by the reader (EPIPE)", () => {
  it("ends the run with an error naming stdout and exits non-zero", { timeout: 60_000 }, async () => {
    const bucket = await s3.createBucket();
    const config = writeConfig(s3Config(s3, bucket, { file_type: "jsonl", batch_size_rows: 1_000 }));
    const child = spawn(process.execPath, [CLI_PATH, "--config", config], {
      stdio: ["pipe", "pipe", "pipe"],
      env: { ...process.env, AWS_EC2_METADATA_DISABLED: "true" },
    });
    // The reader goes away at once: the first STATE write fails with EPIPE.
    child.stdout.destroy();
    let stderr = "";
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.stdin.on("error", () => undefined);
    child.stdin.end(text);
    const code = await new Promise<number | null>((resolve) => child.on("close", (c) => resolve(c)));
    expect(code, stderr).not.toBe(0);
    expect(code).not.toBeNull();
    expect(stderr).toMatch(/stdout/);
    expect(stderr.split("\n").filter((l) => / ERROR /.test(l))).toHaveLength(1);
  });
});
