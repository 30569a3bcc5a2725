// Retries and fail-fast, with the proxy injecting faults in front of the real local S3 server and the CLI spawned as a
// process: passing faults (500, 503 SlowDown, connection resets) are retried and every row arrives exactly once; a
// 403 fails at once naming the bucket, the key and the IAM action; a failed multipart upload is aborted on the wire.
import { describe, expect, it } from "vitest";
import type { FaultProxy } from "../helpers/fault-proxy.js";
import { readAllRows } from "../helpers/read-back.js";
import { runCli, s3Config, writeConfig } from "../helpers/run-cli.js";
import type { S3TestServer } from "../helpers/s3-server.js";
import { useS3WithProxy } from "../helpers/s3-fixture.js";

const MiB = 1024 * 1024;

let s3: S3TestServer;
let proxy: FaultProxy;
let bucket: string;

useS3WithProxy((f) => ({ s3, proxy, bucket } = f));

function singer(streams: string[], rows: number, pad = 10): string {
  const lines: string[] = [];
  for (const stream of streams) {
    lines.push(
      JSON.stringify({
        type: "SCHEMA",
        stream,
        schema: { type: "object", properties: { id: { type: "integer" }, body: { type: "string" } } },
        key_properties: ["id"],
      }),
    );
  }
  const filler = "y".repeat(pad);
  for (let i = 1; i <= rows; i++) {
    for (const stream of streams) lines.push(`{"type":"RECORD","stream":"${stream}","record":{"id":${i},"body":"${filler}"}}`);
    if (i % 50 === 0) lines.push(JSON.stringify({ type: "STATE", value: { at: i } }));
  }
  lines.push(JSON.stringify({ type: "STATE", value: { at: rows } }));
  return lines.join("\n") + "\n";
}

/** Every id of every stream exactly once. */
async function expectEachRowOnce(streams: string[], rows: number): Promise<void> {
  const objects = await readAllRows(s3, bucket);
  for (const stream of streams) {
    const ids = [...objects.entries()]
      .filter(([key]) => key.startsWith(`${stream}/`))
      .flatMap(([, rs]) => rs.map((r) => Number(r["id"])))
      .sort((a, b) => a - b);
    expect(ids, stream).toEqual(Array.from({ length: rows }, (_, i) => i + 1));
  }
}

describe("passing faults are retried with backoff", () => {
  it("500, 503 SlowDown and connection resets on PutObject: the run completes with every row exactly once", async () => {
    proxy.setRules([
      { match: (r) => r.operation === "PutObject", action: "status500", times: 2 },
      { match: (r) => r.operation === "PutObject", action: "slowdown503", times: 2, skip: 1 },
      { match: (r) => r.operation === "PutObject", action: "reset", phase: "request", times: 1, skip: 2 },
    ]);
    const streams = ["orders", "users"];
    const config = writeConfig(s3Config(proxy, bucket, { file_type: "csv", batch_size_rows: 40, max_retries: 6 }));
    const result = await runCli(["--config", config], { input: singer(streams, 200) });
    expect(result.code, result.stderr).toBe(0);
    expect(proxy.ruleHits()).toEqual([2, 2, 1]);
    expect(result.stateLines.at(-1)).toEqual({ at: 200 });
    const puts = proxy.byOperation("PutObject");
    expect(puts.filter((p) => p.fault !== undefined)).toHaveLength(5);
    await expectEachRowOnce(streams, 200);
  });

  it("faults on CreateMultipartUpload, UploadPart (reset, SlowDown) and CompleteMultipartUpload (500) are retried", async () => {
    proxy.setRules([
      { match: (r) => r.operation === "CreateMultipartUpload", action: "slowdown503", times: 1 },
      { match: (r) => r.operation === "UploadPart", action: "reset", phase: "request", times: 1 },
      { match: (r) => r.operation === "UploadPart", action: "slowdown503", times: 1 },
      { match: (r) => r.operation === "CompleteMultipartUpload", action: "status500", times: 1 },
    ]);
    const config = writeConfig(
      s3Config(proxy, bucket, { file_type: "jsonl", multipart_part_size: 5 * MiB, max_file_bytes: 64 * MiB, batch_size_rows: 1_000_000 }),
    );
    const rows = 70_000; // ~11 MiB of JSON lines: a 3-part upload
    const result = await runCli(["--config", config], { input: singer(["events"], rows, 120) });
    expect(result.code, result.stderr).toBe(0);
    expect(proxy.ruleHits()).toEqual([1, 1, 1, 1]);
    expect(proxy.byOperation("AbortMultipartUpload")).toEqual([]);
    await expectEachRowOnce(["events"], rows);
  });
});

describe("errors that do not pass fail fast", () => {
  it("a 403 on PutObject fails at once naming the bucket, the key and the IAM action; no STATE escapes", async () => {
    proxy.setRules([{ match: (r) => r.operation === "PutObject", action: "status403" }]);
    const config = writeConfig(s3Config(proxy, `s3://${bucket}/landing`, { file_type: "csv", max_retries: 5 }));
    const result = await runCli(["--config", config], { input: singer(["orders"], 10) });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    const puts = proxy.byOperation("PutObject");
    expect(puts).toHaveLength(1); // not retried
    const key = puts[0]!.key!;
    expect(key).toMatch(/^landing\/orders\//);
    expect(result.stderr).toContain(`upload of s3://${bucket}/${key} failed in PutObject: AccessDenied (HTTP 403)`);
    expect(result.stderr).toContain(`grant s3:PutObject on arn:aws:s3:::${bucket}/landing/orders/*`);
  });

  it("with object_tags and acl set, a 403 also names s3:PutObjectTagging and s3:PutObjectAcl", async () => {
    proxy.setRules([{ match: (r) => r.operation === "PutObject", action: "status403" }]);
    const config = writeConfig(s3Config(proxy, bucket, { file_type: "csv", object_tags: { a: "b" }, acl: "bucket-owner-full-control" }));
    const result = await runCli(["--config", config], { input: singer(["orders"], 3) });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("grant s3:PutObject, s3:PutObjectTagging, s3:PutObjectAcl on");
  });

  it("max_retries 0: a single 500 fails, naming the code, key and that retries were exhausted", async () => {
    proxy.setRules([{ match: (r) => r.operation === "PutObject", action: "status500", times: 1 }]);
    const config = writeConfig(s3Config(proxy, bucket, { file_type: "csv", max_retries: 0 }));
    const result = await runCli(["--config", config], { input: singer(["orders"], 3) });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(/failed in PutObject: InternalError \(HTTP 500\).*gave up after 1 attempt\(s\): raise max_retries/);
  });

  it("a failed multipart upload is aborted (AbortMultipartUpload on the wire) and the error is the part's, not the abort's", async () => {
    proxy.setRules([{ match: (r) => r.operation === "UploadPart", action: "status403", skip: 1 }]);
    const config = writeConfig(
      s3Config(proxy, bucket, {
        file_type: "jsonl",
        multipart_part_size: 5 * MiB,
        max_file_bytes: 64 * MiB,
        batch_size_rows: 1_000_000,
        upload_concurrency: 2,
      }),
    );
    const result = await runCli(["--config", config], { input: singer(["events"], 70_000, 120) });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    const [create] = proxy.byOperation("CreateMultipartUpload");
    const aborts = proxy.byOperation("AbortMultipartUpload");
    expect(aborts).toHaveLength(1);
    expect(aborts[0]!.key).toBe(create!.key);
    expect(aborts[0]!.query.get("uploadId")).toBeTruthy();
    // s3rver cannot abort (405): the request is what matters there; Ceph aborts it (204) and lists no open upload.
    expect(aborts[0]!.status).toBe(s3.kind === "ceph" ? 204 : 405);
    expect(proxy.byOperation("CompleteMultipartUpload")).toEqual([]);
    expect(result.stderr).toContain(`failed in UploadPart: AccessDenied (HTTP 403)`);
    expect(result.stderr).toContain(create!.key!);
    if (s3.kind === "ceph") {
      expect(result.stderr).not.toContain("aborting its multipart upload also failed");
      expect(await s3.openUploads(bucket)).toEqual([]);
    } else expect(result.stderr).toContain("aborting its multipart upload also failed (MethodNotAllowed)");
  });
});

describe("refused credentials", () => {
  it("an unknown access key fails naming the code and the credentials, never the secret", async () => {
    const config = writeConfig(
      s3Config(proxy, bucket, { file_type: "csv", aws_access_key_id: "AKIAUNKNOWNKEY000002", aws_secret_access_key: "wrong-secret-value-2" }),
    );
    const result = await runCli(["--config", config], { input: singer(["orders"], 3) });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(/failed in PutObject: InvalidAccessKeyId \(HTTP 403\).*the credentials were refused/);
    expect(result.stderr).not.toContain("wrong-secret-value-2");
    expect(result.stderr).not.toContain("AKIAUNKNOWNKEY000002");
  });
});
