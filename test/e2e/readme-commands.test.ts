// Every command of the README's "Commands and exit codes" block runs as written (the files it names are made in a
// temp folder: config.json and base.json for the local S3 server, the demo's tap output, an Airbyte catalog and
// messages), exits 0 and prints what the README says it prints.
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { packageRoot } from "../../src/config/schema.js";
import { makeTempDir, REPO_ROOT, runCli, s3Config } from "../helpers/run-cli.js";
import { startS3Server, type S3TestServer } from "../helpers/s3-server.js";

/** The `target-s3 …` lines of the README's first sh block under "## Commands and exit codes", comments removed. */
function readmeCommands(): string[] {
  const readme = readFileSync(join(packageRoot(), "README.md"), "utf8");
  const section = readme.split(/^## /m).find((s) => s.startsWith("Commands and exit codes")) ?? "";
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1] ?? "";
  return block
    .split("\n")
    .map((l) => l.replace(/\s+#.*$/, "").trim())
    .filter((l) => l.startsWith("target-s3"));
}

/** argv and stdin file of one command line (`< file` redirects stdin; the words are plain, unquoted). */
function parse(line: string): { args: string[]; stdin: string | undefined } {
  const [command = "", redirect] = line.split("<").map((s) => s.trim());
  return { args: command.split(/\s+/).slice(1), stdin: redirect };
}

let s3: S3TestServer;
let dir: string;

beforeAll(async () => {
  s3 = await startS3Server();
  const bucket = await s3.createBucket();
  dir = makeTempDir("target-s3-readme-");
  const config = s3Config(s3, bucket, { file_type: "parquet" });
  writeFileSync(join(dir, "config.json"), JSON.stringify(config));
  writeFileSync(join(dir, "base.json"), JSON.stringify(config));
  writeFileSync(join(dir, "F"), JSON.stringify(config));
  copyFileSync(join(REPO_ROOT, "demo", "sample-tap-output.singer"), join(dir, "tap-output.singer"));
  const schema = { type: "object", properties: { id: { type: "integer" }, name: { type: ["string", "null"] } } };
  const catalog = {
    streams: [
      { stream: { name: "users", json_schema: schema, supported_sync_modes: ["full_refresh"] }, sync_mode: "full_refresh", destination_sync_mode: "append" },
    ],
  };
  writeFileSync(join(dir, "catalog.json"), JSON.stringify(catalog));
  const messages = [
    { type: "RECORD", record: { stream: "users", data: { id: 1, name: "Ada" }, emitted_at: 1_700_000_000_000 } },
    { type: "STATE", state: { type: "STREAM", stream: { stream_descriptor: { name: "users" }, stream_state: { cursor: 1 } } } },
  ];
  writeFileSync(join(dir, "airbyte-messages"), messages.map((m) => JSON.stringify(m)).join("\n") + "\n");
});

afterAll(async () => {
  await s3?.close();
});

describe("README commands", () => {
  const commands = readmeCommands();

  it("are found in the README", () => {
    expect(commands.length).toBeGreaterThanOrEqual(6);
  });

  for (const line of commands) {
    it(`runs: ${line}`, async () => {
      const { args, stdin } = parse(line);
      const result = await runCli(args, { cwd: dir, ...(stdin ? { input: { path: join(dir, stdin) } } : {}), timeoutMs: 90_000 });
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).not.toMatch(/\n\s+at /);
      if (args.includes("--about")) expect(result.stdout).toContain("bucket");
      else if (args[0] === "spec") expect(JSON.parse(result.stdout.trim())).toMatchObject({ type: "SPEC" });
      else if (args[0] === "check")
        expect(result.stateLines).toEqual([{ type: "CONNECTION_STATUS", connectionStatus: { status: "SUCCEEDED", message: expect.any(String) } }]);
      else if (args[0] === "write") expect(result.stateLines.map((m) => (m as { type: string }).type)).toEqual(["STATE"]);
      else expect(result.stateLines.length, "a Singer run prints the committed STATE values").toBeGreaterThan(0);
      if (!args.includes("--about")) expect(result.invalidStdoutLines, "stdout carries JSON lines only").toEqual([]);
    });
  }
});
