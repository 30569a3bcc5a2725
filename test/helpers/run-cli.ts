// Spawns the built CLI (dist/src/cli.js, so `npm run build` must have run: `npm test` does it) as a real process.
import { spawn, type ChildProcess } from "node:child_process";
import { createReadStream, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { TEST_ACCESS_KEY_ID, TEST_SECRET_ACCESS_KEY } from "./s3-server.js";

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const CLI_PATH = join(REPO_ROOT, "dist", "src", "cli.js");

/** Inherited variables that would give the child the machine's AWS identity; removed unless opts.env sets them. */
const AMBIENT_AWS_VARS = [
  "AWS_ACCESS_KEY_ID",
  "AWS_SECRET_ACCESS_KEY",
  "AWS_SESSION_TOKEN",
  "AWS_PROFILE",
  "AWS_DEFAULT_PROFILE",
  "AWS_ROLE_ARN",
  "AWS_WEB_IDENTITY_TOKEN_FILE",
];

export interface RunCliOptions {
  /** stdin: the text/bytes themselves, or `{ path }` of a file streamed to stdin. Omitted: stdin is closed at once. */
  input?: string | Buffer | { path: string };
  /** Added to the environment; a value of `undefined` removes the variable. */
  env?: Record<string, string | undefined>;
  /** The child is killed with SIGKILL after this long (default 120 s); the result then has timedOut = true. */
  timeoutMs?: number;
  cwd?: string;
  /** Script run instead of dist/src/cli.js (for the helpers' own tests). */
  cliPath?: string;
  /** Called for every complete stdout line as it arrives (e.g. to kill the process after the n-th STATE). */
  onStdoutLine?: (line: string, child: ChildProcess) => void;
  /** Called for every complete stderr line as it arrives. */
  onStderrLine?: (line: string, child: ChildProcess) => void;
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Every non-empty stdout line, JSON-parsed (stdout carries only STATE values / protocol messages). */
  stateLines: unknown[];
  /** Non-empty stdout lines that were not JSON (a test should usually expect this to be empty). */
  invalidStdoutLines: string[];
  timedOut: boolean;
  durationMs: number;
}

export interface RunningCli {
  child: ChildProcess;
  result: Promise<CliResult>;
}

/** Starts the CLI and returns the child at once (for signal / kill -9 tests) plus the eventual result. */
export function spawnCli(args: string[], opts: RunCliOptions = {}): RunningCli {
  const env: Record<string, string | undefined> = { ...process.env };
  for (const name of AMBIENT_AWS_VARS) delete env[name];
  env.AWS_EC2_METADATA_DISABLED = "true";
  env.TZ ??= "UTC";
  for (const [k, v] of Object.entries(opts.env ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }

  const started = Date.now();
  const child = spawn(process.execPath, [opts.cliPath ?? CLI_PATH, ...args], {
    cwd: opts.cwd ?? REPO_ROOT,
    env: env,
    stdio: ["pipe", "pipe", "pipe"],
  });

  const stdoutChunks: Buffer[] = [];
  const stderrChunks: Buffer[] = [];
  const lineSplitter = (onLine: ((line: string, c: ChildProcess) => void) | undefined) => {
    let pending = "";
    return {
      push(chunk: Buffer) {
        if (!onLine) return;
        pending += chunk.toString("utf8");
        let nl: number;
        while ((nl = pending.indexOf("\n")) >= 0) {
          const line = pending.slice(0, nl).replace(/\r$/, "");
          pending = pending.slice(nl + 1);
          onLine(line, child);
        }
      },
      end() {
        if (onLine && pending.length > 0) onLine(pending, child);
        pending = "";
      },
    };
  };
  const outLines = lineSplitter(opts.onStdoutLine);
  const errLines = lineSplitter(opts.onStderrLine);
  child.stdout.on("data", (c: Buffer) => {
    stdoutChunks.push(c);
    outLines.push(c);
  });
  child.stderr.on("data", (c: Buffer) => {
    stderrChunks.push(c);
    errLines.push(c);
  });

  // The child may exit (or be killed) before reading all its input: EPIPE on stdin is expected then.
  child.stdin.on("error", () => {});
  const input = opts.input;
  if (input === undefined) child.stdin.end();
  else if (typeof input === "string" || Buffer.isBuffer(input)) child.stdin.end(input);
  else {
    const file = createReadStream(input.path);
    file.on("error", (err) => {
      child.stdin.destroy(err);
    });
    file.pipe(child.stdin);
  }

  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill("SIGKILL");
  }, opts.timeoutMs ?? 120_000);

  const result = new Promise<CliResult>((resolvePromise, reject) => {
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    // 'close' (not 'exit'): all stdio has been read by then.
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      outLines.end();
      errLines.end();
      const stdout = Buffer.concat(stdoutChunks).toString("utf8");
      const stderr = Buffer.concat(stderrChunks).toString("utf8");
      const stateLines: unknown[] = [];
      const invalidStdoutLines: string[] = [];
      for (const raw of stdout.split("\n")) {
        const line = raw.replace(/\r$/, "");
        if (line.trim() === "") continue;
        try {
          stateLines.push(JSON.parse(line));
        } catch {
          invalidStdoutLines.push(line);
        }
      }
      resolvePromise({
        code,
        signal,
        stdout,
        stderr,
        stateLines,
        invalidStdoutLines,
        timedOut,
        durationMs: Date.now() - started,
      });
    });
  });
  return { child, result };
}

/** Runs the CLI to completion: `runCli(["--config", cfg], { input })`. */
export function runCli(args: string[], opts: RunCliOptions = {}): Promise<CliResult> {
  return spawnCli(args, opts).result;
}

const tempDirs: string[] = [];
process.on("exit", () => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

/** A fresh temp directory, removed when the test worker exits. */
export function makeTempDir(prefix = "target-s3-test-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

/** Writes obj as JSON to a fresh temp file and returns its path. */
export function writeConfig(obj: unknown, fileName = "config.json"): string {
  const path = join(makeTempDir("target-s3-config-"), fileName);
  writeFileSync(path, JSON.stringify(obj, null, 2));
  return path;
}

export interface S3ConfigBase {
  bucket: string;
  aws_endpoint: string;
  force_path_style: true;
  aws_access_key_id: string;
  aws_secret_access_key: string;
  aws_region: string;
}

/**
 * A base config for the local server (or a proxy in front of it: pass anything with an `endpoint`),
 * merged with `extra` (extra wins).
 */
export function s3Config<E extends Record<string, unknown> = Record<string, never>>(server: { endpoint: string }, bucket: string, extra?: E): S3ConfigBase & E {
  return {
    bucket,
    aws_endpoint: server.endpoint,
    force_path_style: true,
    aws_access_key_id: TEST_ACCESS_KEY_ID,
    aws_secret_access_key: TEST_SECRET_ACCESS_KEY,
    aws_region: "us-east-1",
    ...(extra ?? ({} as E)),
  };
}
