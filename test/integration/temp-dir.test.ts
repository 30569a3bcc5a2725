// temp_dir that cannot hold the buffer: a file, a read-only file system, a full one. Each is one sentence naming
// temp_dir, no stack, no STATE. The read-only and full cases mount small tmpfs file systems (root with
// CAP_SYS_ADMIN, as in CI's container); where mount is refused they are skipped with a printed reason.
import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTempDir, runCli, s3Config, writeConfig } from "../helpers/run-cli.js";
import { startS3Server, type S3TestServer } from "../helpers/s3-server.js";

let s3: S3TestServer;
const mounted: string[] = [];
beforeAll(async () => {
  s3 = await startS3Server();
});
afterAll(async () => {
  for (const dir of mounted) execFileSync("umount", [dir]);
  await s3?.close();
});

/** A tmpfs of `size` at a fresh folder, or undefined (with the reason printed) where mounting is not allowed. */
function mountTmpfs(options: string): string | undefined {
  const dir = join(makeTempDir(), "mnt");
  mkdirSync(dir);
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", options, "tmpfs", dir], { stdio: "pipe" });
  } catch (error) {
    console.warn(`temp_dir test skipped: cannot mount tmpfs (${String(error).split("\n")[0]})`);
    return undefined;
  }
  mounted.push(dir);
  return dir;
}

function singer(records: number, width = 10): string {
  const lines = [
    JSON.stringify({
      type: "SCHEMA",
      stream: "orders",
      schema: { type: "object", properties: { id: { type: "integer" }, note: { type: "string" }, amount: { type: "number" } } },
      key_properties: ["id"],
    }),
  ];
  for (let i = 1; i <= records; i++)
    lines.push(JSON.stringify({ type: "RECORD", stream: "orders", record: { id: i, note: "n".repeat(width), amount: 19.99 } }));
  lines.push(JSON.stringify({ type: "STATE", value: { bookmarks: { orders: records } } }));
  return lines.join("\n") + "\n";
}

async function expectTempDirError(tempDir: string, input: string, code: number, sentence: RegExp): Promise<void> {
  const bucket = await s3.createBucket();
  const result = await runCli(["--config", writeConfig(s3Config(s3, bucket, { temp_dir: tempDir }))], { input, timeoutMs: 40_000 });
  expect(result.timedOut).toBe(false);
  expect(result.code, result.stderr).toBe(code);
  expect(result.stdout).toBe("");
  expect(result.stderr).toMatch(sentence);
  expect(result.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
  expect(await s3.listObjects(bucket)).toEqual([]);
}

describe("temp_dir that cannot hold the buffer", () => {
  it("a file, or a folder under a file: exit 2 naming temp_dir", async () => {
    const file = join(makeTempDir(), "not-a-folder");
    writeFileSync(file, "x");
    await expectTempDirError(file, singer(3), 2, /ERROR temp_dir ".*not-a-folder" is not a folder \(a file is in the way\): set temp_dir to a writable folder/);
    await expectTempDirError(join(file, "sub"), singer(3), 2, /ERROR temp_dir ".*not-a-folder\/sub" is not a folder/);
  });

  it("a folder that cannot be created where its parent refuses entries (/proc): exit 2, no hang (found by the fuzz test)", { timeout: 60_000 }, async () => {
    await expectTempDirError(
      "/proc/target-s3-cannot-be-here/spool",
      singer(3),
      2,
      /ERROR temp_dir "\/proc\/target-s3-cannot-be-here\/spool" cannot be created \(ENOENT\)/,
    );
  });

  it("a read-only file system: exit 2 naming temp_dir", async (context) => {
    const dir = mountTmpfs("ro,size=64k");
    if (dir === undefined) return context.skip();
    await expectTempDirError(dir, singer(3), 2, /ERROR temp_dir ".*mnt" is on a read-only file system: set temp_dir to a writable folder/);
  });

  it("a full file system (ENOSPC while buffering): exit 1 naming temp_dir, nothing left behind", async (context) => {
    const dir = mountTmpfs("size=256k");
    if (dir === undefined) return context.skip();
    await expectTempDirError(dir, singer(20_000, 40), 1, /ERROR temp_dir ".*mnt" is full \(ENOSPC\): free space there/);
    expect(readdirSync(dir)).toEqual([]);
  });
});
