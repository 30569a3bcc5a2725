// Upload failures after an earlier STATE went out: the run fails, names the object and the S3 error, and no STATE
// leaves for records that were not stored. The input is fed through a FIFO in two parts so that the first STATE is
// known to be printed before the failure starts.
import { execFileSync } from "node:child_process";
import { open, type FileHandle } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startFaultProxy, type FaultProxy } from "../helpers/fault-proxy.js";
import { makeTempDir, s3Config, spawnCli, writeConfig, type CliResult } from "../helpers/run-cli.js";
import { startS3Server, type S3TestServer } from "../helpers/s3-server.js";
import { readStreamObjects, rowsPerStream } from "../helpers/stream-objects.js";

let s3: S3TestServer;
let proxy: FaultProxy | undefined;
let bucket: string;

beforeAll(async () => {
  s3 = await startS3Server();
});
afterAll(async () => {
  await s3?.close();
});
beforeEach(async () => {
  bucket = await s3.createBucket();
  proxy = await startFaultProxy(s3.endpoint);
});
afterEach(async () => {
  await proxy?.close();
  proxy = undefined;
});

const line = (m: unknown): string => JSON.stringify(m) + "\n";
const SCHEMA = { type: "object", properties: { id: { type: "integer" }, pad: { type: ["null", "string"] } } };
const schema = (stream: string): string => line({ type: "SCHEMA", stream, schema: SCHEMA, key_properties: ["id"] });
const record = (stream: string, id: number, pad?: string): string => line({ type: "RECORD", stream, record: pad === undefined ? { id } : { id, pad } });
const state = (value: unknown): string => line({ type: "STATE", value });

interface TwoPartRun {
  result: CliResult;
  /** The STATE lines seen before part two was written. */
  beforePartTwo: unknown[];
}

/**
 * Runs the CLI reading a FIFO: writes `first`, waits until stdout shows `waitFor` (the STATE that proves the first
 * part is stored), calls `between`, then writes `second` and closes the input.
 */
async function runInTwoParts(config: object, first: string, waitFor: unknown, between: () => Promise<void>, second: string): Promise<TwoPartRun> {
  const fifo = join(makeTempDir("upload-failure-"), "input.fifo");
  execFileSync("mkfifo", [fifo]);
  const seen: unknown[] = [];
  let release: () => void = () => {};
  const printed = new Promise<void>((resolve) => (release = resolve));
  const { result } = spawnCli(["--config", writeConfig(config), "--input", fifo], {
    timeoutMs: 90_000,
    onStdoutLine: (text) => {
      if (text.trim() === "") return;
      seen.push(JSON.parse(text));
      if (JSON.stringify(JSON.parse(text)) === JSON.stringify(waitFor)) release();
    },
  });
  const writer: FileHandle = await open(fifo, "w");
  let beforePartTwo: unknown[];
  try {
    await writer.write(first);
    await Promise.race([printed, result.then(() => undefined)]);
    beforePartTwo = [...seen];
    await between();
    await writer.write(second).catch(() => undefined); // the target may already have stopped reading
  } finally {
    await writer.close().catch(() => undefined);
  }
  return { result: await result, beforePartTwo };
}

describe("upload failure", () => {
  it("403 AccessDenied on every upload of one stream after an earlier STATE: exit ≠ 0, error names bucket, key and code, no later STATE", async () => {
    proxy!.setRules([
      { action: "status403", match: (r) => (r.operation === "PutObject" || r.operation === "UploadPart") && (r.key ?? "").startsWith("denied/") },
    ]);
    const config = s3Config(proxy!, bucket, { file_type: "jsonl", batch_size_rows: 2, max_retries: 2 });
    const first = schema("ok") + schema("denied") + record("ok", 1) + record("ok", 2) + state({ s: "A" });
    const second =
      record("denied", 1) +
      record("denied", 2) +
      state({ s: "B" }) +
      record("ok", 3) +
      record("ok", 4) +
      state({ s: "C" }) +
      record("denied", 3) +
      state({ s: "D" });
    const { result, beforePartTwo } = await runInTwoParts(config, first, { s: "A" }, async () => {}, second);

    expect(beforePartTwo).toEqual([{ s: "A" }]);
    expect(result.code).not.toBe(0);
    expect(result.code).not.toBeNull();
    // Nothing after the failed records: A (stored before) is the only STATE.
    expect(result.stateLines).toEqual([{ s: "A" }]);
    const errorLines = result.stderr.split("\n").filter((l) => / ERROR /.test(l));
    expect(errorLines).toHaveLength(1);
    expect(errorLines[0]).toContain(bucket);
    expect(errorLines[0]).toMatch(/denied\/[^\s]+\.jsonl/);
    expect(errorLines[0]).toContain("AccessDenied");
    // 403 is not retried.
    const deniedPuts = proxy!.requests.filter((r) => r.fault === "status403");
    expect(deniedPuts.length).toBeGreaterThan(0);
    expect(new Set(deniedPuts.map((r) => r.key)).size).toBe(deniedPuts.length);
    // What was stored is complete; nothing of the denied stream is.
    const objects = await readStreamObjects(s3, bucket);
    expect(rowsPerStream(objects)["denied"]).toBeUndefined();
    const okIds = objects.filter((o) => o.stream === "ok").flatMap((o) => o.rows.map((r) => r["id"]));
    expect(okIds.slice(0, 2)).toEqual([1, 2]);
  });

  it("403 on the parts of a multipart upload: the upload is aborted and no STATE after it leaves", async () => {
    proxy!.setRules([{ action: "status403", match: (r) => r.operation === "UploadPart" && (r.key ?? "").startsWith("big/") }]);
    const config = s3Config(proxy!, bucket, { file_type: "jsonl", batch_size_rows: 2, multipart_part_size: 5 * 1024 * 1024, max_retries: 1 });
    const pad = "p".repeat(4 * 1024 * 1024);
    const first = schema("small") + schema("big") + record("small", 1) + record("small", 2) + state({ s: "A" });
    const second = record("big", 1, pad) + record("big", 2, pad) + state({ s: "B" });
    const { result } = await runInTwoParts(config, first, { s: "A" }, async () => {}, second);

    expect(result.code).not.toBe(0);
    expect(result.stateLines).toEqual([{ s: "A" }]);
    expect(result.stderr).toMatch(/AccessDenied/);
    expect(result.stderr).toMatch(/big\//);
    expect(proxy!.byOperation("CreateMultipartUpload").length).toBeGreaterThan(0);
    expect(proxy!.byOperation("CompleteMultipartUpload")).toHaveLength(0);
    expect(proxy!.byOperation("AbortMultipartUpload").length).toBeGreaterThan(0);
    expect((await s3.listObjects(bucket)).filter((o) => o.key.startsWith("big/"))).toEqual([]);
  });

  it("the server stops mid-run: non-zero exit, no STATE for the records that were not stored", async () => {
    const config = s3Config(proxy!, bucket, { file_type: "csv", batch_size_rows: 2, max_retries: 1 });
    const first = schema("s") + record("s", 1) + record("s", 2) + state({ s: "A" });
    const second = record("s", 3) + record("s", 4) + state({ s: "B" }) + record("s", 5) + state({ s: "C" });
    const { result, beforePartTwo } = await runInTwoParts(
      config,
      first,
      { s: "A" },
      async () => {
        await proxy!.close(); // the endpoint now refuses connections
      },
      second,
    );

    expect(beforePartTwo).toEqual([{ s: "A" }]);
    expect(result.code).not.toBe(0);
    expect(result.code).not.toBeNull();
    expect(result.stateLines).toEqual([{ s: "A" }]);
    const errorLines = result.stderr.split("\n").filter((l) => / ERROR /.test(l));
    expect(errorLines).toHaveLength(1);
    expect(errorLines[0]).toMatch(new RegExp(`s3://${bucket}/s/[^\\s]+\\.csv`));
    expect(errorLines[0]).toMatch(/ECONNREFUSED/);
    // Only the first part's records are stored.
    const objects = await readStreamObjects(s3, bucket);
    expect(objects.flatMap((o) => o.rows.map((r) => Number(r["id"])))).toEqual([1, 2]);
  });
});
