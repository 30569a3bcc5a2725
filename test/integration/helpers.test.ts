// Self-tests of the test helpers: the local S3 server, the fault proxy, the fake STS and the read-back readers.
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { gzipSync } from "node:zlib";
import { once } from "node:events";
import { connect } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client, type S3ServiceException } from "@aws-sdk/client-s3";
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { Upload } from "@aws-sdk/lib-storage";
import { DuckDBInstance } from "@duckdb/node-api";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startFakeSts, type FakeSts } from "../helpers/fake-sts.js";
import { classifyS3Request, startFaultProxy, type FaultProxy } from "../helpers/fault-proxy.js";
import { readAllRows, readObjectRows, readParquetIndependently, readParquetMetadata, scalarsToStrings, toJsonSafe } from "../helpers/read-back.js";
import { runCli, s3Config, writeConfig } from "../helpers/run-cli.js";
import { makeS3Client, startS3Server, TEST_ACCESS_KEY_ID, TEST_SECRET_ACCESS_KEY, type S3TestServer } from "../helpers/s3-server.js";

const MiB = 1024 * 1024;

let s3: S3TestServer;
let proxy: FaultProxy;
let sts: FakeSts;
let bucket: string;
let viaProxy: S3Client;

beforeAll(async () => {
  s3 = await startS3Server();
  proxy = await startFaultProxy(s3.endpoint);
  sts = await startFakeSts({ accountId: "111122223333" });
  viaProxy = makeS3Client(proxy.endpoint);
});

afterAll(async () => {
  viaProxy?.destroy();
  await sts?.close();
  await proxy?.close();
  await s3?.close();
});

beforeEach(async () => {
  bucket = await s3.createBucket();
  proxy.setRules([]);
  proxy.clearRequests();
});

describe("s3-server", () => {
  it("puts, lists and gets objects byte for byte (string and stream bodies)", async () => {
    await s3.client.send(new PutObjectCommand({ Bucket: bucket, Key: "a/one.txt", Body: "hello" }));
    const bytes = randomBytes(300_000);
    // A stream body: with WHEN_REQUIRED checksums it is sent plain, not aws-chunked (which s3rver would store as is).
    await new Upload({
      client: s3.client,
      params: { Bucket: bucket, Key: "a/two.bin", Body: Readable.from([bytes.subarray(0, 1000), bytes.subarray(1000)]) },
    }).done();
    await s3.client.send(new PutObjectCommand({ Bucket: bucket, Key: "b/three.txt", Body: "x" }));

    expect(await s3.listObjects(bucket, "a/")).toEqual([
      { key: "a/one.txt", size: 5 },
      { key: "a/two.bin", size: bytes.length },
    ]);
    expect((await s3.listObjects(bucket)).map((o) => o.key)).toEqual(["a/one.txt", "a/two.bin", "b/three.txt"]);
    expect((await s3.getObject(bucket, "a/one.txt")).toString()).toBe("hello");
    expect((await s3.getObject(bucket, "a/two.bin")).equals(bytes)).toBe(true);
  });

  it("stores a PutObject whole or not at all: a request cut off mid-body leaves no object and keeps the old one", async () => {
    await s3.client.send(new PutObjectCommand({ Bucket: bucket, Key: "keep.txt", Body: "kept" }));
    const { port } = new URL(s3.endpoint);
    for (const key of ["keep.txt", "new.txt"]) {
      // 10 of the 100 announced bytes, then the client is gone (a target killed mid-upload).
      const socket = connect(Number(port), "127.0.0.1");
      await once(socket, "connect");
      socket.write(`PUT /${bucket}/${key} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\n0123456789`);
      await sleep(200);
      socket.destroy();
    }
    await sleep(200);
    expect(await s3.listObjects(bucket)).toEqual([{ key: "keep.txt", size: 4 }]);
    expect((await s3.getObject(bucket, "keep.txt")).toString()).toBe("kept");
  });

  it("gives a multipart object S3's ETag (MD5 of the parts' MD5s, -N) and a single PutObject the body's MD5", async () => {
    const md5 = (b: Buffer): Buffer => createHash("md5").update(b).digest();
    const body = randomBytes(11 * MiB);
    await new Upload({ client: s3.client, params: { Bucket: bucket, Key: "multi.bin", Body: Readable.from([body]) }, partSize: 5 * MiB }).done();
    const parts: [Buffer, Buffer, Buffer] = [body.subarray(0, 5 * MiB), body.subarray(5 * MiB, 10 * MiB), body.subarray(10 * MiB)];
    const head = await s3.client.send(new HeadObjectCommand({ Bucket: bucket, Key: "multi.bin" }));
    expect(head.ETag).toBe(`"${md5(Buffer.concat(parts.map(md5))).toString("hex")}-3"`);
    expect((await s3.getObject(bucket, "multi.bin")).equals(body)).toBe(true);
    await s3.client.send(new PutObjectCommand({ Bucket: bucket, Key: "single.bin", Body: parts[2] }));
    const single = await s3.client.send(new HeadObjectCommand({ Bucket: bucket, Key: "single.bin" }));
    expect(single.ETag).toBe(`"${md5(parts[2]).toString("hex")}"`);
  });

  it("gives every test its own bucket", async () => {
    expect(await s3.listObjects(bucket)).toEqual([]);
    expect(bucket).toMatch(/^test-[0-9a-f]{12}$/);
  });

  it("lists past one page (1000 keys)", async () => {
    const keys = Array.from({ length: 1005 }, (_, i) => `k/${String(i).padStart(4, "0")}`);
    for (let i = 0; i < keys.length; i += 50) {
      await Promise.all(keys.slice(i, i + 50).map((Key) => s3.client.send(new PutObjectCommand({ Bucket: bucket, Key, Body: "." }))));
    }
    const listed = await s3.listObjects(bucket, "k/");
    expect(listed.map((o) => o.key)).toEqual(keys);
    // ListObjectsV2 continuation tokens (DES inside s3rver) work in the test workers (--openssl-legacy-provider).
    const page1 = await s3.client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: "k/", MaxKeys: 10 }));
    expect(page1.IsTruncated).toBe(true);
    const page2 = await s3.client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: "k/", MaxKeys: 10, ContinuationToken: page1.NextContinuationToken }));
    expect(page2.Contents?.[0]?.Key).toBe(keys[10]);
  });
});

describe("run-cli", () => {
  it("feeds stdin (text, bytes or a file), parses stdout lines, keeps stderr and the exit code", async () => {
    const dir = mkdtempSync(join(tmpdir(), "helpers-cli-"));
    try {
      const script = join(dir, "echo.mjs");
      writeFileSync(
        script,
        `let data = "";
         process.stdin.on("data", (c) => (data += c));
         process.stdin.on("end", () => {
           for (const line of data.split("\\n").filter(Boolean)) process.stdout.write(JSON.stringify({ got: line }) + "\\n");
           process.stdout.write("not json\\n");
           process.stderr.write("args=" + process.argv.slice(2).join(",") + " md=" + process.env.AWS_EC2_METADATA_DISABLED + " tz=" + process.env.TZ + " x=" + process.env.X + "\\n");
           process.exit(3);
         });`,
      );
      const lines: string[] = [];
      const r = await runCli(["--config", "c.json"], {
        cliPath: script,
        input: "a\nb\n",
        env: { X: "1" },
        onStdoutLine: (l) => lines.push(l),
      });
      expect(r.code).toBe(3);
      expect(r.stateLines).toEqual([{ got: "a" }, { got: "b" }]);
      expect(r.invalidStdoutLines).toEqual(["not json"]);
      expect(lines).toHaveLength(3);
      expect(r.stderr.trim()).toBe("args=--config,c.json md=true tz=UTC x=1");

      const inputFile = join(dir, "in.txt");
      writeFileSync(inputFile, "from file\n");
      const f = await runCli([], { cliPath: script, input: { path: inputFile } });
      expect(f.stateLines).toEqual([{ got: "from file" }]);

      const sleeper = join(dir, "sleep.mjs");
      writeFileSync(sleeper, "setTimeout(() => {}, 60000);");
      const t = await runCli([], { cliPath: sleeper, timeoutMs: 300 });
      expect(t.timedOut).toBe(true);
      expect(t.signal).toBe("SIGKILL");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("writes a config file merged over the base S3 config", () => {
    const path = writeConfig(s3Config(s3, bucket, { file_type: "parquet", bucket: "other" }));
    const cfg = JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
    expect(cfg).toEqual({
      bucket: "other",
      aws_endpoint: s3.endpoint,
      force_path_style: true,
      aws_access_key_id: TEST_ACCESS_KEY_ID,
      aws_secret_access_key: TEST_SECRET_ACCESS_KEY,
      aws_region: "us-east-1",
      file_type: "parquet",
    });
  });
});

describe("fault-proxy", () => {
  it("classifies S3 operations", () => {
    const c = (m: string, u: string, h: Record<string, string> = {}) => classifyS3Request(m, u, h).operation;
    expect(c("PUT", "/b")).toBe("CreateBucket");
    expect(c("PUT", "/b/k/x.csv")).toBe("PutObject");
    expect(c("POST", "/b/k/x.csv?uploads")).toBe("CreateMultipartUpload");
    expect(c("PUT", "/b/k/x.csv?partNumber=2&uploadId=u")).toBe("UploadPart");
    expect(c("POST", "/b/k/x.csv?uploadId=u")).toBe("CompleteMultipartUpload");
    expect(c("DELETE", "/b/k/x.csv?uploadId=u")).toBe("AbortMultipartUpload");
    expect(c("GET", "/b?list-type=2&prefix=k%2F")).toBe("ListObjectsV2");
    expect(c("HEAD", "/b")).toBe("HeadBucket");
    expect(c("DELETE", "/b/k/x.csv")).toBe("DeleteObject");
    expect(classifyS3Request("GET", "/b/a%20b/c%3Dd.csv", {}).key).toBe("a b/c=d.csv");
  });

  it("forwards a 6 MiB multipart upload and records every request", async () => {
    const body = randomBytes(6 * MiB);
    await new Upload({
      client: viaProxy,
      params: { Bucket: bucket, Key: "big/file.bin", Body: Readable.from([body]) },
      partSize: 5 * MiB,
      queueSize: 2,
    }).done();

    expect((await s3.getObject(bucket, "big/file.bin")).equals(body)).toBe(true);
    const ops = proxy.requests.map((r) => r.operation);
    expect(ops.filter((o) => o === "CreateMultipartUpload")).toHaveLength(1);
    expect(ops.filter((o) => o === "CompleteMultipartUpload")).toHaveLength(1);
    const parts = proxy.byOperation("UploadPart");
    expect(parts.map((p) => p.bodyLength).sort((a, b) => a - b)).toEqual([1 * MiB, 5 * MiB]);
    expect(parts.every((p) => p.status === 200 && p.key === "big/file.bin" && p.bucket === bucket)).toBe(true);
    expect(parts[0]?.headers.authorization).toContain(`Credential=${TEST_ACCESS_KEY_ID}/`);
  });

  it("injects 503 SlowDown with an S3 error body; the SDK retries it", async () => {
    proxy.setRules([{ match: (r) => r.operation === "PutObject", action: "slowdown503", times: 2 }]);
    const out = await viaProxy.send(new PutObjectCommand({ Bucket: bucket, Key: "retry.txt", Body: "data" }));
    expect(out.$metadata.attempts).toBe(3);
    const puts = proxy.byOperation("PutObject");
    expect(puts.map((p) => p.status)).toEqual([503, 503, 200]);
    expect(puts.map((p) => p.fault)).toEqual(["slowdown503", "slowdown503", undefined]);
    expect(proxy.ruleHits()).toEqual([2]);
    expect((await s3.getObject(bucket, "retry.txt")).toString()).toBe("data");
  });

  it("raises the S3 error code when retries run out (503 SlowDown) and does not retry 403", async () => {
    const oneTry = makeS3Client(proxy.endpoint, { maxAttempts: 1 });
    try {
      proxy.setRules([{ match: (r) => r.key === "slow.txt", action: "slowdown503" }]);
      const slow = await oneTry.send(new PutObjectCommand({ Bucket: bucket, Key: "slow.txt", Body: "x" })).catch((e: unknown) => e);
      expect((slow as S3ServiceException).name).toBe("SlowDown");
      expect((slow as S3ServiceException).$metadata.httpStatusCode).toBe(503);

      proxy.setRules([{ match: (r) => r.key === "denied.txt", action: "status403" }]);
      const denied = await viaProxy.send(new PutObjectCommand({ Bucket: bucket, Key: "denied.txt", Body: "x" })).catch((e: unknown) => e);
      expect((denied as S3ServiceException).name).toBe("AccessDenied");
      expect(proxy.requests.filter((r) => r.key === "denied.txt")).toHaveLength(1);
    } finally {
      oneTry.destroy();
    }
  });

  it("500, connection resets and delays are retried to success", async () => {
    proxy.setRules([
      { match: (r) => r.key === "r500.txt", action: "status500", times: 1 },
      { match: (r) => r.key === "reset.txt", action: "reset", times: 1 },
      { match: (r) => r.key === "reset-response.txt", action: "reset", phase: "response", times: 1 },
      { match: (r) => r.key === "slow.txt", action: "delay", ms: 300, times: 1 },
    ]);
    for (const Key of ["r500.txt", "reset.txt", "slow.txt"]) {
      await viaProxy.send(new PutObjectCommand({ Bucket: bucket, Key, Body: `body of ${Key}` }));
      expect((await s3.getObject(bucket, Key)).toString()).toBe(`body of ${Key}`);
    }
    const reset = proxy.requests.filter((r) => r.key === "reset.txt");
    expect(reset[0]?.fault).toBe("reset");
    expect(reset[0]?.status).toBeUndefined();
    expect(reset.at(-1)?.status).toBe(200);
    expect(proxy.requests.filter((r) => r.key === "r500.txt").map((r) => r.status)).toEqual([500, 200]);
    const slow = proxy.requests.find((r) => r.key === "slow.txt");
    expect((slow?.endedAt ?? 0) - (slow?.startedAt ?? 0)).toBeGreaterThanOrEqual(290);

    // A reset in the middle of a GetObject body: the SDK call or the body read fails.
    await s3.client.send(new PutObjectCommand({ Bucket: bucket, Key: "reset-response.txt", Body: randomBytes(100_000) }));
    const got = await viaProxy
      .send(new GetObjectCommand({ Bucket: bucket, Key: "reset-response.txt" }))
      .then((r) => r.Body?.transformToByteArray())
      .then(
        () => "ok",
        (e: unknown) => (e as Error).message,
      );
    expect(got).not.toBe("ok");
  });

  it("dropResponse: the server completes the multipart upload but the client never hears it", async () => {
    proxy.setRules([{ match: (r) => r.operation === "CompleteMultipartUpload", action: "dropResponse", times: 1 }]);
    const body = randomBytes(6 * MiB);
    const outcome = await new Upload({
      client: viaProxy,
      params: { Bucket: bucket, Key: "dropped.bin", Body: body },
      partSize: 5 * MiB,
    })
      .done()
      .then(
        () => "ok",
        (e: unknown) => `${(e as Error).name}: ${(e as Error).message}`,
      );
    const completes = proxy.byOperation("CompleteMultipartUpload");
    expect(completes[0]?.fault).toBe("dropResponse");
    expect(completes[0]?.upstreamStatus).toBe(200);
    // The object exists whatever the client concluded.
    expect((await s3.getObject(bucket, "dropped.bin")).equals(body)).toBe(true);
    // The SDK retries the Complete; the upload is gone, and s3rver answers 500 InternalError for an unknown uploadId
    // (real S3: 404 NoSuchUpload), so the client ends with an error for an object that was stored.
    expect(completes.length).toBeGreaterThan(1);
    if (s3.kind === "ceph") {
      // Ceph answers the retried Complete of an upload it already completed with 200: the client never sees a failure.
      expect(completes.slice(1).every((c) => c.upstreamStatus === 200)).toBe(true);
      expect(outcome).toBe("ok");
    } else {
      expect(completes.slice(1).every((c) => c.upstreamStatus === 500)).toBe(true);
      expect(outcome).toMatch(/InternalError/);
    }
  });

  it("applies probability rules from a seeded RNG, reproducibly", async () => {
    const patient = makeS3Client(proxy.endpoint, { maxAttempts: 10 });
    const run = async () => {
      proxy.setRules([{ match: (r) => r.operation === "PutObject", action: "status500", probability: 0.3 }], 42);
      proxy.clearRequests();
      for (let i = 0; i < 20; i++) {
        await patient.send(new PutObjectCommand({ Bucket: bucket, Key: `p/${i}`, Body: "x" }));
      }
      return proxy.requests.map((r) => r.status);
    };
    const first = await run();
    const second = await run();
    patient.destroy();
    expect(first).toEqual(second);
    expect(first.filter((s) => s === 500).length).toBeGreaterThan(0);
    expect(first.filter((s) => s === 200)).toHaveLength(20);
  });
});

describe("fake-sts", () => {
  afterEach(() => {
    sts.setFailure(null);
    sts.setOptions({ requiredExternalId: undefined });
  });

  const stsClient = () =>
    new STSClient({
      endpoint: sts.endpoint,
      region: "us-east-1",
      credentials: { accessKeyId: "AKIASOURCEKEY0000001", secretAccessKey: "source-secret" },
    });

  it("answers AssumeRole and records RoleArn, ExternalId, RoleSessionName, DurationSeconds and the caller's key", async () => {
    const client = stsClient();
    try {
      const out = await client.send(
        new AssumeRoleCommand({
          RoleArn: "arn:aws:iam::444455556666:role/writer",
          RoleSessionName: "target-s3-test",
          ExternalId: "ext-123",
          DurationSeconds: 900,
        }),
      );
      expect(out.Credentials?.AccessKeyId).toMatch(/^ASIA/);
      expect(out.Credentials?.SessionToken).toBeTruthy();
      expect(out.Credentials?.Expiration).toBeInstanceOf(Date);
      expect(Math.abs((out.Credentials?.Expiration?.getTime() ?? 0) - (Date.now() + 900_000))).toBeLessThan(10_000);
      expect(out.AssumedRoleUser?.Arn).toBe("arn:aws:sts::444455556666:assumed-role/writer/target-s3-test");
      const call = sts.assumeRoleCalls().at(-1);
      expect(call).toMatchObject({
        roleArn: "arn:aws:iam::444455556666:role/writer",
        externalId: "ext-123",
        roleSessionName: "target-s3-test",
        durationSeconds: 900,
        accessKeyId: "AKIASOURCEKEY0000001",
      });

      // The caller's own identity, and the assumed identity when signed with the issued keys.
      const me = await client.send(new GetCallerIdentityCommand({}));
      expect(me.Account).toBe("111122223333");
      const assumed = new STSClient({
        endpoint: sts.endpoint,
        region: "us-east-1",
        credentials: {
          accessKeyId: out.Credentials?.AccessKeyId ?? "",
          secretAccessKey: out.Credentials?.SecretAccessKey ?? "",
          sessionToken: out.Credentials?.SessionToken ?? "",
        },
      });
      const who = await assumed.send(new GetCallerIdentityCommand({}));
      assumed.destroy();
      expect(who.Account).toBe("444455556666");
      expect(who.Arn).toBe("arn:aws:sts::444455556666:assumed-role/writer/target-s3-test");
      expect(sts.calls.at(-1)?.sessionToken).toBe(out.Credentials?.SessionToken);
    } finally {
      client.destroy();
    }
  });

  it("fails with AccessDenied when asked to, or when the ExternalId is wrong", async () => {
    const client = stsClient();
    try {
      sts.setFailure({ action: "AssumeRole", times: 1 });
      const e1 = await client
        .send(new AssumeRoleCommand({ RoleArn: "arn:aws:iam::444455556666:role/writer", RoleSessionName: "s" }))
        .catch((e: unknown) => e as Error);
      expect((e1 as Error).name).toBe("AccessDenied");
      expect((e1 as Error).message).toMatch(/not authorized to perform: sts:AssumeRole/);

      sts.setOptions({ requiredExternalId: "right" });
      const e2 = await client
        .send(new AssumeRoleCommand({ RoleArn: "arn:aws:iam::444455556666:role/writer", RoleSessionName: "s", ExternalId: "wrong" }))
        .catch((e: unknown) => e as Error);
      expect((e2 as Error).name).toBe("AccessDenied");
      const ok = await client.send(new AssumeRoleCommand({ RoleArn: "arn:aws:iam::444455556666:role/writer", RoleSessionName: "s", ExternalId: "right" }));
      expect(ok.Credentials?.AccessKeyId).toBeTruthy();
    } finally {
      client.destroy();
    }
  });

  it("issued keys can be allowed at the S3 server, and S3 requests then carry them and the session token", async () => {
    const client = stsClient();
    try {
      const out = await client.send(new AssumeRoleCommand({ RoleArn: "arn:aws:iam::444455556666:role/writer", RoleSessionName: "s3" }));
      const creds = out.Credentials!;
      s3.allowAccessKey(creds.AccessKeyId!, creds.SecretAccessKey);
      const temp = new S3Client({
        endpoint: proxy.endpoint,
        region: "us-east-1",
        forcePathStyle: true,
        requestChecksumCalculation: "WHEN_REQUIRED",
        responseChecksumValidation: "WHEN_REQUIRED",
        credentials: {
          accessKeyId: creds.AccessKeyId!,
          secretAccessKey: creds.SecretAccessKey!,
          sessionToken: creds.SessionToken!,
        },
      });
      await temp.send(new PutObjectCommand({ Bucket: bucket, Key: "temp.txt", Body: "t" }));
      temp.destroy();
      const put = proxy.byOperation("PutObject").at(-1);
      expect(put?.headers.authorization).toContain(`Credential=${creds.AccessKeyId}/`);
      expect(put?.headers["x-amz-security-token"]).toBe(creds.SessionToken);
    } finally {
      client.destroy();
    }
  });
});

describe("read-back", () => {
  const rows = [
    { id: "1", name: 'Ann, "the" first', note: "line1\nline2" },
    { id: "99999999999999999", name: "Bő", note: "" },
  ];

  it("reads csv and csv.gz with DuckDB as strings", async () => {
    const csv = 'id,name,note\r\n1,"Ann, ""the"" first","line1\nline2"\r\n99999999999999999,Bő,""\r\n';
    await s3.client.send(new PutObjectCommand({ Bucket: bucket, Key: "s/a.csv", Body: csv }));
    await s3.client.send(new PutObjectCommand({ Bucket: bucket, Key: "s/a.csv.gz", Body: gzipSync(csv) }));
    for (const key of ["s/a.csv", "s/a.csv.gz"]) {
      expect(await readObjectRows(s3, bucket, key)).toEqual(rows);
    }
    const semi = "id;name\n'a;b';2\n";
    await s3.client.send(new PutObjectCommand({ Bucket: bucket, Key: "s/semi.csv", Body: semi }));
    expect(await readObjectRows(s3, bucket, "s/semi.csv", { csv: { delimiter: ";", quote: "'" } })).toEqual([{ id: "a;b", name: "2" }]);
  });

  it("reads jsonl(.gz) and json arrays with DuckDB", async () => {
    const jsonl = rows.map((r) => JSON.stringify({ ...r, id: Number(r.id === "1" ? 1 : 2), nested: { a: [1, 2] } })).join("\n") + "\n";
    await s3.client.send(new PutObjectCommand({ Bucket: bucket, Key: "j/a.jsonl", Body: jsonl }));
    await s3.client.send(new PutObjectCommand({ Bucket: bucket, Key: "j/a.jsonl.gz", Body: gzipSync(jsonl) }));
    const arr = JSON.stringify([
      { x: 1, y: "a" },
      { x: 2, y: null },
    ]);
    await s3.client.send(new PutObjectCommand({ Bucket: bucket, Key: "j/b.json", Body: arr }));
    await s3.client.send(new PutObjectCommand({ Bucket: bucket, Key: "j/b.json.gz", Body: gzipSync(arr) }));

    const all = await readAllRows(s3, bucket, "j/");
    expect([...all.keys()]).toEqual(["j/a.jsonl", "j/a.jsonl.gz", "j/b.json", "j/b.json.gz"]);
    // DuckDB infers BIGINT for JSON integers, and getRowObjectsJson gives BIGINT as strings.
    const expected = [
      { id: "1", name: rows[0]!.name, note: rows[0]!.note, nested: { a: ["1", "2"] } },
      { id: "2", name: rows[1]!.name, note: "", nested: { a: ["1", "2"] } },
    ];
    expect(all.get("j/a.jsonl")).toEqual(expected);
    expect(all.get("j/a.jsonl.gz")).toEqual(expected);
    expect(all.get("j/b.json")).toEqual([
      { x: "1", y: "a" },
      { x: "2", y: null },
    ]);
    expect(all.get("j/b.json.gz")).toEqual([
      { x: "1", y: "a" },
      { x: "2", y: null },
    ]);
    // Comparing with what was sent, whatever the reader's number types:
    const sent = jsonl
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as unknown);
    expect(scalarsToStrings(all.get("j/a.jsonl"))).toEqual(scalarsToStrings(sent));
  });

  it("reads parquet with DuckDB and independently with hyparquet (zstd, snappy, gzip)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "helpers-test-"));
    const db = await DuckDBInstance.create(":memory:");
    const conn = await db.connect();
    try {
      for (const codec of ["zstd", "snappy", "gzip"]) {
        const path = join(dir, `t-${codec}.parquet`);
        await conn.run(
          `COPY (SELECT * FROM (VALUES
              (1::BIGINT, 'a', TIMESTAMPTZ '2024-01-02 03:04:05.123456+00', '{"k":[1,2]}'::JSON),
              (99999999999999999::BIGINT, 'ő', NULL, NULL)) t(id, name, ts, doc))
           TO '${path}' (FORMAT parquet, COMPRESSION ${codec})`,
        );
        const key = `pq/${codec}.parquet`;
        await s3.client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: readFileSync(path) }));

        const viaDuck = await readObjectRows(s3, bucket, key);
        expect(viaDuck).toHaveLength(2);
        expect(viaDuck[0]).toMatchObject({ id: "1", name: "a" });
        expect(viaDuck[1]).toMatchObject({ id: "99999999999999999", name: "ő", ts: null, doc: null });

        const buf = await s3.getObject(bucket, key);
        const indep = await readParquetIndependently(buf);
        expect(indep[0]?.id).toBe(1n);
        expect(indep[1]?.id).toBe(99999999999999999n);
        expect((indep[0]?.ts as Date).toISOString()).toBe("2024-01-02T03:04:05.123Z");
        expect(indep[0]?.doc).toEqual({ k: [1, 2] });
        expect(toJsonSafe(indep[1])).toEqual({ id: "99999999999999999", name: "ő", ts: null, doc: null });
        const meta = readParquetMetadata(buf);
        expect(Number(meta.num_rows)).toBe(2);
        expect(meta.row_groups[0]?.columns[0]?.meta_data?.codec).toBe(codec.toUpperCase());
      }
    } finally {
      conn.closeSync();
      db.closeSync();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("environment", () => {
  it("runs in UTC without ambient AWS credentials", () => {
    expect(process.env.TZ).toBe("UTC");
    expect(process.env.AWS_EC2_METADATA_DISABLED).toBe("true");
    expect(process.env.AWS_ACCESS_KEY_ID).toBeUndefined();
    expect(new Date(Date.UTC(2024, 0, 1)).getHours()).toBe(0);
  });
});
