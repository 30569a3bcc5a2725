// Object options on every upload, seen on the wire through the recording proxy in front of the local S3 server:
// SSE (AES256, aws:kms + key), storage class, canned ACL, tags, user metadata, Content-MD5 (Object Lock buckets),
// multipart part size and upload concurrency. Every object is read back and compared with what was sent.
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { partSizeFor } from "../../src/s3/uploader.js";
import { type FaultProxy, type RecordedRequest } from "../helpers/fault-proxy.js";
import { readAllRows } from "../helpers/read-back.js";
import { runCli, s3Config, writeConfig } from "../helpers/run-cli.js";
import { TEST_S3_KIND, type S3TestServer } from "../helpers/s3-server.js";
import { useS3WithProxy } from "../helpers/s3-fixture.js";

const MiB = 1024 * 1024;

let s3: S3TestServer;
let proxy: FaultProxy;
let bucket: string;

useS3WithProxy((f) => ({ s3, proxy, bucket } = f));

/** `rows` records of about `pad` bytes each. */
function singer(rows: number, pad = 10): string {
  const lines = [
    JSON.stringify({
      type: "SCHEMA",
      stream: "events",
      schema: { type: "object", properties: { id: { type: "integer" }, body: { type: "string" } } },
      key_properties: ["id"],
    }),
  ];
  const filler = "x".repeat(pad);
  for (let i = 1; i <= rows; i++) lines.push(`{"type":"RECORD","stream":"events","record":{"id":${i},"body":"${filler}${i}"}}`);
  lines.push(JSON.stringify({ type: "STATE", value: { done: rows } }));
  return lines.join("\n") + "\n";
}

async function expectRows(rows: number): Promise<void> {
  const objects = await readAllRows(s3, bucket);
  const ids = [...objects.values()].flat().map((r) => Number(r["id"]));
  expect(ids.sort((a, b) => a - b)).toEqual(Array.from({ length: rows }, (_, i) => i + 1));
}

const writes = (): RecordedRequest[] =>
  proxy.requests.filter((r) => r.bucket === bucket && (r.operation === "PutObject" || r.operation === "CreateMultipartUpload"));

// A Ceph zone defines only the STANDARD storage class (others answer 400 InvalidArgument); s3rver takes any name.
const STORAGE_CLASS = TEST_S3_KIND === "ceph" ? "STANDARD" : "STANDARD_IA";

describe("object options on the wire", () => {
  it("SSE AES256, storage class, canned ACL, tags, metadata and Content-MD5 on every PutObject", async () => {
    const config = writeConfig(
      s3Config(proxy, bucket, {
        file_type: "csv",
        batch_size_rows: 25,
        server_side_encryption: "AES256",
        storage_class: STORAGE_CLASS,
        acl: "bucket-owner-full-control",
        object_tags: { team: "data eng", source: "singer&tap" },
        object_metadata: { pipeline: "nightly", owner: "analytics" },
        content_md5: true,
      }),
    );
    const result = await runCli(["--config", config], { input: singer(60) });
    expect(result.code, result.stderr).toBe(0);
    const puts = writes();
    expect(puts).toHaveLength(3);
    for (const r of puts) {
      expect(r.operation).toBe("PutObject");
      expect(r.headers["x-amz-server-side-encryption"]).toBe("AES256");
      expect(r.headers["x-amz-storage-class"]).toBe(STORAGE_CLASS);
      expect(r.headers["x-amz-acl"]).toBe("bucket-owner-full-control");
      expect(new URLSearchParams(String(r.headers["x-amz-tagging"]))).toEqual(new URLSearchParams({ team: "data eng", source: "singer&tap" }));
      expect(r.headers["x-amz-tagging"]).toBe("team=data%20eng&source=singer%26tap");
      expect(r.headers["x-amz-meta-pipeline"]).toBe("nightly");
      expect(r.headers["x-amz-meta-owner"]).toBe("analytics");
      expect(r.status).toBe(200);
      // Content-MD5 is the MD5 of exactly the bytes stored.
      const stored = await s3.getObject(bucket, r.key!);
      expect(r.headers["content-md5"]).toBe(createHash("md5").update(stored).digest("base64"));
    }
    await expectRows(60);
  });

  it("aws:kms with kms_key_id sends the key id; without options no such headers are sent", async () => {
    const config = writeConfig(
      s3Config(proxy, bucket, {
        file_type: "jsonl",
        server_side_encryption: "aws:kms",
        kms_key_id: "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
      }),
    );
    const result = await runCli(["--config", config], { input: singer(5) });
    if (s3.kind === "ceph") {
      // Ceph without a KMS refuses the key: one sentence, exit 1, no STATE.
      expect(result.code, result.stderr).toBe(1);
      expect(result.stderr).toMatch(/InvalidArgument \(HTTP 400\): Failed to retrieve the actual key/);
      expect(result.stateLines).toEqual([]);
    } else expect(result.code, result.stderr).toBe(0);
    const [put] = writes();
    expect(put?.headers["x-amz-server-side-encryption"]).toBe("aws:kms");
    expect(put?.headers["x-amz-server-side-encryption-aws-kms-key-id"]).toBe("arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab");

    proxy.clearRequests();
    bucket = await s3.createBucket();
    const plain = await runCli(["--config", writeConfig(s3Config(proxy, bucket, { file_type: "jsonl" }))], { input: singer(5) });
    expect(plain.code, plain.stderr).toBe(0);
    const [p] = writes();
    for (const h of ["x-amz-server-side-encryption", "x-amz-storage-class", "x-amz-acl", "x-amz-tagging", "content-md5"]) {
      expect(p?.headers[h]).toBeUndefined();
    }
    expect(Object.keys(p?.headers ?? {}).filter((h) => h.startsWith("x-amz-meta-"))).toEqual([]);
    await expectRows(5);
  });

  it("multipart: options on CreateMultipartUpload, Content-MD5 on every part, parts of multipart_part_size, one at a time with upload_concurrency 1", async () => {
    const config = writeConfig(
      s3Config(proxy, bucket, {
        file_type: "jsonl",
        max_file_bytes: 64 * MiB,
        batch_size_rows: 1_000_000,
        multipart_part_size: 5 * MiB,
        upload_concurrency: 1,
        server_side_encryption: "AES256",
        storage_class: STORAGE_CLASS,
        acl: "bucket-owner-full-control",
        object_tags: { team: "data" },
        object_metadata: { pipeline: "nightly" },
        content_md5: true,
      }),
    );
    // ~12 MiB of JSON lines: three parts of 5, 5 and ~2 MiB.
    const rows = 120_000;
    const result = await runCli(["--config", config], { input: singer(rows, 80) });
    expect(result.code, result.stderr).toBe(0);

    const [create] = proxy.byOperation("CreateMultipartUpload");
    expect(create?.headers["x-amz-server-side-encryption"]).toBe("AES256");
    expect(create?.headers["x-amz-storage-class"]).toBe(STORAGE_CLASS);
    expect(create?.headers["x-amz-acl"]).toBe("bucket-owner-full-control");
    expect(create?.headers["x-amz-tagging"]).toBe("team=data");
    expect(create?.headers["x-amz-meta-pipeline"]).toBe("nightly");

    const parts = proxy.byOperation("UploadPart");
    expect(parts.length).toBeGreaterThanOrEqual(3);
    for (const part of parts.slice(0, -1)) expect(part.bodyLength).toBe(5 * MiB);
    for (const part of parts) expect(part.headers["content-md5"]).toMatch(/^[A-Za-z0-9+/]{22}==$/);
    // upload_concurrency 1: no two parts were on the wire at the same time.
    const sorted = [...parts].sort((a, b) => a.startedAt - b.startedAt);
    for (let i = 1; i < sorted.length; i++) expect(sorted[i]!.startedAt).toBeGreaterThanOrEqual(sorted[i - 1]!.endedAt!);
    expect(proxy.byOperation("CompleteMultipartUpload").map((r) => r.status)).toEqual([200]);
    await expectRows(rows);
  });
});

describe("part size", () => {
  it("is raised so 10,000 parts cover the file", () => {
    const eight = 8 * MiB;
    expect(partSizeFor(1 * MiB, eight, { gzip: false, jsonArray: false })).toBe(eight);
    const big = 200 * 1024 * MiB; // 200 GiB
    const size = partSizeFor(big, eight, { gzip: false, jsonArray: false });
    expect(size).toBeGreaterThan(eight);
    expect(size * 10_000).toBeGreaterThanOrEqual(big * 1.1);
    // JSON array framing can add a byte per line; gzip a little for incompressible input.
    expect(partSizeFor(big, eight, { gzip: false, jsonArray: true }) * 10_000).toBeGreaterThanOrEqual(big * 1.5);
    expect(partSizeFor(big, eight, { gzip: true, jsonArray: false })).toBeGreaterThanOrEqual(size);
    // Never above S3's 5 GiB part limit.
    expect(partSizeFor(100 * 1024 * 1024 * MiB, eight, { gzip: false, jsonArray: false })).toBe(5 * 1024 * MiB);
  });
});
