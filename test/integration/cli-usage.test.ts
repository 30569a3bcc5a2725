// The command line as a user mistypes it, and a stdout nobody reads: exit codes, one sentence, no stack trace.
import { spawn } from "node:child_process";
import { closeSync, mkdirSync, openSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI_PATH, makeTempDir, runCli, s3Config, writeConfig } from "../helpers/run-cli.js";
import { startS3Server, type S3TestServer } from "../helpers/s3-server.js";

let s3: S3TestServer;
beforeAll(async () => {
  s3 = await startS3Server();
});
afterAll(async () => {
  await s3?.close();
});

const input =
  [
    {
      type: "SCHEMA",
      stream: "users",
      schema: { type: "object", properties: { id: { type: "integer" }, amount: { type: "number" } } },
      key_properties: ["id"],
    },
    { type: "RECORD", stream: "users", record: { id: 1, amount: 302.28 } },
    { type: "STATE", value: { bookmarks: { users: 1 } } },
  ]
    .map((m) => JSON.stringify(m))
    .join("\n") + "\n";

const STACK = /\n\s+at .+:\d+:\d+\)?/;

function expectUsageError(result: { code: number | null; stderr: string; stdout: string }, sentence: RegExp): void {
  expect(result.code, result.stderr).toBe(2);
  expect(result.stdout).toBe("");
  expect(result.stderr).not.toMatch(STACK);
  expect(result.stderr).toMatch(sentence);
  expect(result.stderr).toMatch(/^usage: target-s3 --config FILE\|ENV/m);
  expect(result.stderr.trim().split("\n")).toHaveLength(2);
}

describe("CLI mistakes are usage errors: exit 2, one sentence and the usage line, no stack", () => {
  it("an unknown flag, with a did-you-mean", async () => {
    const config = writeConfig(s3Config(s3, "b"));
    expectUsageError(await runCli(["--conifg", config], { input }), /ERROR unknown option '--conifg' \(did you mean --config\?\)/);
    expectUsageError(await runCli(["-x"]), /ERROR unknown option '-x'/);
    expectUsageError(await runCli(["chek", "--config", config]), /ERROR unknown command 'chek' \(did you mean check\?\)/);
  });

  it("a flag without its value", async () => {
    expectUsageError(await runCli(["--config"]), /ERROR --config needs a value \(a config file path or ENV\)/);
    const config = writeConfig(s3Config(s3, "b"));
    expectUsageError(await runCli(["--config", config, "--input"]), /ERROR --input needs a value/);
    expectUsageError(await runCli(["--about=yes"]), /ERROR --about takes no value/);
  });

  it("--input naming a missing file or a directory", async () => {
    const config = writeConfig(s3Config(s3, "b"));
    const dir = makeTempDir();
    expectUsageError(await runCli(["--config", config, "--input", join(dir, "nope.singer")]), /ERROR --input '.*nope\.singer' does not exist/);
    mkdirSync(join(dir, "folder"));
    expectUsageError(await runCli(["--config", config, "--input", join(dir, "folder")]), /ERROR --input '.*folder' is a directory/);
  });
});

describe("Singer SDK conventions on the command line", () => {
  it("--version prints target-s3 vX.Y.Z", async () => {
    const result = await runCli(["--version"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^target-s3 v\d+\.\d+\.\d+\n$/);
  });

  it("--config ENV is applied after every file, wherever it appears", async () => {
    const bucket = await s3.createBucket();
    const config = writeConfig(s3Config(s3, bucket, { file_type: "csv" }));
    const result = await runCli(["--config", "ENV", "--config", config], { input, env: { TARGET_S3_FILE_TYPE: "jsonl" } });
    expect(result.code, result.stderr).toBe(0);
    const keys = (await s3.listObjects(bucket)).map((o) => o.key);
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatch(/\.jsonl$/);
  });
});

/** Runs the CLI with stdout on `stdout` (a file descriptor, or a pipe closed before anything is read). */
function runWithStdout(args: string[], stdout: number | "closed-pipe"): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_PATH, ...args], {
      stdio: ["pipe", stdout === "closed-pipe" ? "pipe" : stdout, "pipe"],
      env: { ...process.env, AWS_EC2_METADATA_DISABLED: "true" },
    });
    if (stdout === "closed-pipe") child.stdout?.destroy();
    let stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stderr }));
    child.stdin?.end(input);
  });
}

describe("a final STATE that cannot be delivered is a failure", () => {
  it("stdout closed by its reader (`| true`, EPIPE): exit 1 with one sentence", async () => {
    const bucket = await s3.createBucket();
    const result = await runWithStdout(["--config", writeConfig(s3Config(s3, bucket))], "closed-pipe");
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).toMatch(/ERROR stdout was closed by its reader \(EPIPE\), so committed STATE could not be delivered/);
    expect(result.stderr).not.toMatch(STACK);
  });

  it("stdout on a full device (`> /dev/full`, ENOSPC): exit 1 with one sentence", async () => {
    const bucket = await s3.createBucket();
    const fd = openSync("/dev/full", "w");
    try {
      const result = await runWithStdout(["--config", writeConfig(s3Config(s3, bucket))], fd);
      expect(result.code, result.stderr).toBe(1);
      expect(result.stderr).toMatch(/ERROR stdout cannot be written \(ENOSPC\), so committed STATE could not be delivered/);
      expect(result.stderr).not.toMatch(STACK);
    } finally {
      closeSync(fd);
    }
  });
});

describe("connection hints", () => {
  it("ECONNREFUSED names aws_endpoint", async () => {
    const config = writeConfig({ ...s3Config(s3, "b"), aws_endpoint: "http://127.0.0.1:9", max_retries: 0 });
    const result = await runCli(["--config", config], { input });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(/ECONNREFUSED.*nothing answered at aws_endpoint http:\/\/127\.0\.0\.1:9: check aws_endpoint/);
  });
});
