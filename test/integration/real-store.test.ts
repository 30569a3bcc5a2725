// What a real S3 implementation checks and s3rver does not. Each test runs on both servers (TARGET_S3_TEST_S3=ceph
// for the Ceph RADOS Gateway) and states where they differ; docs/s3-compatibility.md lists the differences.
import { GetObjectTaggingCommand, HeadObjectCommand } from "@aws-sdk/client-s3";
import { describe, expect, it } from "vitest";
import type { FaultProxy } from "../helpers/fault-proxy.js";
import { readAllRows } from "../helpers/read-back.js";
import { runCli, s3Config, writeConfig } from "../helpers/run-cli.js";
import { useS3WithProxy } from "../helpers/s3-fixture.js";
import type { S3TestServer } from "../helpers/s3-server.js";

const MiB = 1024 * 1024;
let s3: S3TestServer;
let proxy: FaultProxy;
let bucket: string;
useS3WithProxy((f) => ({ s3, proxy, bucket } = f));

function singer(rows: number, pad = 10): string {
  const lines = [
    JSON.stringify({
      type: "SCHEMA",
      stream: "orders",
      schema: { type: "object", properties: { id: { type: "integer" }, price: { type: "number" }, note: { type: "string" } } },
      key_properties: ["id"],
    }),
  ];
  const prices = [302.28, 0.07, 1.1, 19.99, 1e-7];
  for (let i = 1; i <= rows; i++)
    lines.push(JSON.stringify({ type: "RECORD", stream: "orders", record: { id: i, price: prices[i % prices.length], note: "n".repeat(pad) } }));
  lines.push(JSON.stringify({ type: "STATE", value: { at: rows } }));
  return lines.join("\n") + "\n";
}

async function expectRows(rows: number): Promise<void> {
  const all = await readAllRows(s3, bucket);
  const ids = [...all.entries()].filter(([k]) => !`/${k}`.includes("/_manifests/")).flatMap(([, rs]) => rs.map((r) => Number(r["id"])));
  expect(ids.sort((a, b) => a - b)).toEqual(Array.from({ length: rows }, (_, i) => i + 1));
}

describe("on a real S3 implementation", () => {
  it("a wrong secret: Ceph refuses it in one sentence naming the credentials (exit 1, no STATE); s3rver does not verify signatures", async () => {
    const config = writeConfig(s3Config(proxy, bucket, { aws_secret_access_key: "wrong-secret-0000000000000000000000000000" }));
    const result = await runCli(["--config", config], { input: singer(3) });
    if (s3.kind === "s3rver") {
      expect(result.code, result.stderr).toBe(0);
      return;
    }
    expect(result.code).toBe(1);
    expect(result.stateLines).toEqual([]);
    const errors = result.stderr.split("\n").filter((l) => l.includes(" ERROR "));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/SignatureDoesNotMatch \(HTTP 403\).*the credentials were refused: check the keys, profile or role$/);
    expect(errors[0]).not.toContain("UnknownError");
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(result.stderr).not.toContain("wrong-secret");
  });

  it("a multipart object's ETag in the manifest is the stored one, confirmed with HeadObject when CompleteMultipartUpload answers none (Ceph)", async () => {
    const config = writeConfig(
      s3Config(proxy, bucket, {
        file_type: "jsonl",
        multipart_part_size: 5 * MiB,
        batch_size_rows: 1_000_000,
        write_manifest: true,
        connection_run_id: "etag-run",
      }),
    );
    const rows = 60_000;
    const result = await runCli(["--config", config], { input: singer(rows, 100) });
    expect(result.code, result.stderr).toBe(0);
    expect(proxy.byOperation("CompleteMultipartUpload").length).toBeGreaterThan(0);
    const manifest = JSON.parse((await s3.getObject(bucket, "_manifests/etag-run.json")).toString("utf8")) as {
      objects: Array<{ key: string; etag: string | null }>;
    };
    expect(manifest.objects).toHaveLength(1);
    const head = await s3.client.send(new HeadObjectCommand({ Bucket: bucket, Key: manifest.objects[0]!.key }));
    expect(head.ETag).toMatch(/^"[0-9a-f]{32}-\d+"$/);
    expect(manifest.objects[0]!.etag).toBe(head.ETag);
    await expectRows(rows);
  });

  it("tags (Ceph) and metadata are readable back; content_md5 is accepted; AES256 is accepted (Ceph 16 does not apply it: HeadObject shows no encryption)", async () => {
    const config = writeConfig(
      s3Config(proxy, bucket, {
        file_type: "csv",
        object_tags: { team: "data eng", source: "singer&tap" },
        object_metadata: { pipeline: "nightly" },
        content_md5: true,
        server_side_encryption: "AES256",
      }),
    );
    const result = await runCli(["--config", config], { input: singer(5) });
    expect(result.code, result.stderr).toBe(0);
    const [object] = await s3.listObjects(bucket);
    const tags = await s3.client.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: object!.key }));
    // s3rver does not keep x-amz-tagging (GetObjectTagging answers no tags); Ceph does.
    expect(Object.fromEntries((tags.TagSet ?? []).map((t) => [t.Key, t.Value]))).toEqual(s3.kind === "ceph" ? { team: "data eng", source: "singer&tap" } : {});
    for (const put of proxy.byOperation("PutObject")) expect(put.headers["x-amz-tagging"]).toBe("team=data%20eng&source=singer%26tap");
    const head = await s3.client.send(new HeadObjectCommand({ Bucket: bucket, Key: object!.key }));
    expect(head.Metadata).toEqual({ pipeline: "nightly" });
    expect(head.ServerSideEncryption).toBe(s3.kind === "ceph" ? undefined : head.ServerSideEncryption);
    await expectRows(5);
  });

  it("deterministic_keys: a re-run with other data is refused by If-None-Match on Ceph (412, the first object kept); s3rver ignores the header", async () => {
    const base = {
      file_type: "jsonl",
      deterministic_keys: true,
      connection_run_id: "fixed-run",
      key_template: "{stream_name}/{connection_run_id}-{part}.{extension}",
    };
    const first = await runCli(["--config", writeConfig(s3Config(proxy, bucket, base))], { input: singer(4) });
    expect(first.code, first.stderr).toBe(0);
    const [object] = await s3.listObjects(bucket);
    const before = await s3.getObject(bucket, object!.key);
    // The same run again: identical bytes, so the 412 is confirmed as "already written".
    const again = await runCli(["--config", writeConfig(s3Config(proxy, bucket, base))], { input: singer(4) });
    expect(again.code, again.stderr).toBe(0);
    expect(proxy.byOperation("PutObject").every((r) => r.headers["if-none-match"] === "*")).toBe(true);
    // Other data under the same key (the key hashes the line that opened the file: the same first record, one more).
    const other = await runCli(["--config", writeConfig(s3Config(proxy, bucket, base))], { input: singer(5) });
    expect((await s3.listObjects(bucket)).map((o) => o.key)).toEqual([object!.key]);
    if (s3.kind === "ceph") {
      expect(proxy.byOperation("PutObject").at(-1)?.status).toBe(412);
      expect(other.code).toBe(1);
      expect(other.stateLines).toEqual([]);
      expect(other.stderr).toMatch(/PreconditionFailed \(HTTP 412\).*never overwritten \(If-None-Match: \*\)/);
      expect((await s3.getObject(bucket, object!.key)).equals(before)).toBe(true);
    } else {
      expect(other.code, other.stderr).toBe(0);
      expect((await s3.getObject(bucket, object!.key)).equals(before)).toBe(false);
    }
  });
});
