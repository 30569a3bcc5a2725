// A data object whose key is unique per run is never overwritten (docs/reliability.md#no-overwrites): default keys
// carry a per-process writer id when connection_run_id is fixed, every such write carries If-None-Match: *, a 412
// moves a single-PUT file to the stream's next part number, a 412 on CompleteMultipartUpload fails the run loudly,
// and a store that answers 501 to the header gets plain writes (one WARN). s3rver ignores If-None-Match (it
// overwrites), so the real 412s are seen on Ceph (TARGET_S3_TEST_S3=ceph) and injected by the proxy on s3rver.
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { describe, expect, it } from "vitest";
import type { FaultProxy, ProxyRequestInfo } from "../helpers/fault-proxy.js";
import { readAllRows } from "../helpers/read-back.js";
import { runCli, s3Config, writeConfig, type CliResult } from "../helpers/run-cli.js";
import { useS3WithProxy } from "../helpers/s3-fixture.js";
import type { S3TestServer } from "../helpers/s3-server.js";

const MiB = 1024 * 1024;
let s3: S3TestServer;
let proxy: FaultProxy;
let bucket: string;
useS3WithProxy((f) => ({ s3, proxy, bucket } = f));

const PRICES = [302.28, 0.07, 1.1, 19.99, 1e-7];

/** Rows `first`…`first + count - 1` of stream orders (pipelinewise shape), then one STATE naming the last id. */
function singer(first: number, count: number, pad = 10): string {
  const lines = [
    JSON.stringify({
      type: "SCHEMA",
      stream: "orders",
      schema: { type: "object", properties: { id: { type: "integer" }, price: { type: ["null", "number"] }, note: { type: ["null", "string"] } } },
      key_properties: ["id"],
    }),
  ];
  for (let id = first; id < first + count; id++) {
    lines.push(JSON.stringify({ type: "RECORD", stream: "orders", record: { id, price: PRICES[id % PRICES.length], note: `n${id}`.padEnd(pad, "x") } }));
  }
  lines.push(JSON.stringify({ type: "STATE", value: { last: first + count - 1 } }));
  return lines.join("\n") + "\n";
}

/** Every data row in the bucket, read back object by object, compared value by value with what the inputs held. */
async function expectRows(ids: number[], pad = 10): Promise<Map<string, Record<string, unknown>[]>> {
  const all = await readAllRows(s3, bucket);
  const rows = [...all.entries()].filter(([k]) => !k.startsWith("_manifests/")).flatMap(([, rs]) => rs);
  const got = rows.map((r) => ({ id: Number(r["id"]), price: Number(r["price"]), note: r["note"] })).sort((a, b) => a.id - b.id);
  expect(got).toEqual(ids.map((id) => ({ id, price: PRICES[id % PRICES.length], note: `n${id}`.padEnd(pad, "x") })));
  return all;
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const conditional = (r: ProxyRequestInfo): boolean => r.headers["if-none-match"] === "*";
/** Resolves at the start of the next wall-clock second, so two runs spawned then usually share their {timestamp}. */
const nextSecond = (): Promise<void> => new Promise((r) => setTimeout(r, 1000 - (Date.now() % 1000)));
const errorLines = (r: CliResult): string[] => r.stderr.split("\n").filter((l) => l.includes(" ERROR "));

describe("two runs with the same connection_run_id on the same stream", () => {
  it("default keys: started together, both exit 0 with their STATEs and every row of both is stored (a writer id per process)", async () => {
    const config = writeConfig(s3Config(proxy, bucket, { file_type: "jsonl", connection_run_id: "same-run" }));
    await nextSecond();
    const [a, b] = await Promise.all([runCli(["--config", config], { input: singer(1, 100) }), runCli(["--config", config], { input: singer(101, 100) })]);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    expect(a.stateLines).toEqual([{ last: 100 }]);
    expect(b.stateLines).toEqual([{ last: 200 }]);
    const all = await expectRows(range(1, 200));
    const keys = [...all.keys()];
    expect(keys).toHaveLength(2);
    for (const key of keys) expect(key).toMatch(/^orders\/orders-\d{4}_\d\d_\d\d_\d\d_\d\d_\d\d-same-run-[0-9a-f]{8}-00001\.jsonl$/);
    expect(
      proxy
        .byOperation("PutObject")
        .filter((r) => r.key?.startsWith("orders/"))
        .every(conditional),
    ).toBe(true);
  });

  it("a template without a writer id ({connection_run_id}-{part}): Ceph answers the later PutObject 412 and that run writes part 2; s3rver ignores If-None-Match and overwrites", async () => {
    const config = writeConfig(
      s3Config(proxy, bucket, { file_type: "jsonl", connection_run_id: "same-run", key_template: "{stream_name}/{connection_run_id}-{part}.{extension}" }),
    );
    const [a, b] = await Promise.all([runCli(["--config", config], { input: singer(1, 100) }), runCli(["--config", config], { input: singer(101, 100) })]);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    expect(a.stateLines).toEqual([{ last: 100 }]);
    expect(b.stateLines).toEqual([{ last: 200 }]);
    expect(proxy.byOperation("PutObject").every(conditional)).toBe(true);
    if (s3.kind === "ceph") {
      await expectRows(range(1, 200));
      expect((await s3.listObjects(bucket)).map((o) => o.key)).toEqual(["orders/same-run-00001.jsonl", "orders/same-run-00002.jsonl"]);
      expect(`${a.stderr}${b.stderr}`).toMatch(
        /orders\/same-run-00001\.jsonl: another writer stored an object under this key first \(If-None-Match: \* answered 412\): this file was written to s3:\/\/[^/]+\/orders\/same-run-00002\.jsonl instead/,
      );
    } else {
      // What s3rver allows: the second PutObject replaces the first (docs/s3-compatibility.md).
      expect((await s3.listObjects(bucket)).map((o) => o.key)).toEqual(["orders/same-run-00001.jsonl"]);
      const [rows] = [...(await readAllRows(s3, bucket)).values()];
      expect(rows).toHaveLength(100);
    }
  });
});

describe("If-None-Match: * answered 412 (the key taken)", () => {
  const template = {
    file_type: "jsonl",
    connection_run_id: "r412",
    key_template: "{stream_name}/{connection_run_id}-{part}.{extension}",
    write_manifest: true,
  };

  it("a single PutObject goes to the stream's next part number; the manifest and the log name the key written", async () => {
    proxy.setRules([{ match: (r) => r.operation === "PutObject" && r.key === "orders/r412-00001.jsonl" && conditional(r), action: "status412" }]);
    const result = await runCli(["--config", writeConfig(s3Config(proxy, bucket, template))], { input: singer(1, 50) });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stateLines).toEqual([{ last: 50 }]);
    await expectRows(range(1, 50));
    expect((await s3.listObjects(bucket, "orders/")).map((o) => o.key)).toEqual(["orders/r412-00002.jsonl"]);
    const manifest = JSON.parse((await s3.getObject(bucket, "_manifests/r412.json")).toString("utf8")) as { objects: Array<{ key: string }> };
    expect(manifest.objects.map((o) => o.key)).toEqual(["orders/r412-00002.jsonl"]);
    expect(result.stderr).toMatch(/object stored.*orders\/r412-00002\.jsonl/);
    expect(result.stderr).toContain("this file was written to s3://");
  });

  it("a real object already there (Ceph: 412, it is kept and the file goes to part 2; s3rver overwrites it)", async () => {
    await s3.client.send(new PutObjectCommand({ Bucket: bucket, Key: "orders/r412-00001.jsonl", Body: '{"id":0}\n' }));
    const result = await runCli(["--config", writeConfig(s3Config(proxy, bucket, template))], { input: singer(1, 50) });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stateLines).toEqual([{ last: 50 }]);
    if (s3.kind === "ceph") {
      expect((await s3.getObject(bucket, "orders/r412-00001.jsonl")).toString()).toBe('{"id":0}\n');
      expect((await readAllRows(s3, bucket, "orders/r412-00002"))?.get("orders/r412-00002.jsonl")?.length).toBe(50);
    } else {
      expect((await s3.listObjects(bucket, "orders/")).map((o) => o.key)).toEqual(["orders/r412-00001.jsonl"]);
      await expectRows(range(1, 50));
    }
  });

  it("on CompleteMultipartUpload the parts cannot move: the upload is aborted and the run fails in one sentence with no STATE", async () => {
    proxy.setRules([{ match: (r) => r.operation === "CompleteMultipartUpload" && conditional(r), action: "status412" }]);
    const config = writeConfig(s3Config(proxy, bucket, { ...template, multipart_part_size: 5 * MiB, batch_size_rows: 1_000_000 }));
    const result = await runCli(["--config", config], { input: singer(1, 60_000, 100) });
    expect(result.code).toBe(1);
    expect(result.stateLines).toEqual([]);
    const errors = errorLines(result);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/PreconditionFailed \(HTTP 412\).*multipart upload, whose parts cannot move to another key, so it was aborted/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(proxy.byOperation("UploadPart").length).toBeGreaterThan(1);
    const uploadId = proxy.byOperation("CompleteMultipartUpload")[0]?.query.get("uploadId");
    expect(proxy.byOperation("AbortMultipartUpload").map((r) => r.query.get("uploadId"))).toContain(uploadId);
    expect((await s3.listObjects(bucket, "orders/")).map((o) => o.key)).toEqual([]);
  });
});

describe("an object already at a multipart file's key", () => {
  it("is kept, also where the store ignores If-None-Match on Complete (s3rver, Ceph 16.2): HeadObject before the Complete refuses the key, the upload is aborted, the run fails", async () => {
    await s3.client.send(new PutObjectCommand({ Bucket: bucket, Key: "orders/rmp-00001.jsonl", Body: '{"id":0}\n' }));
    const config = writeConfig(
      s3Config(proxy, bucket, {
        file_type: "jsonl",
        connection_run_id: "rmp",
        key_template: "{stream_name}/{connection_run_id}-{part}.{extension}",
        multipart_part_size: 5 * MiB,
        batch_size_rows: 1_000_000,
      }),
    );
    const result = await runCli(["--config", config], { input: singer(1, 60_000, 100) });
    expect(result.code).toBe(1);
    expect(result.stateLines).toEqual([]);
    const errors = errorLines(result);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(
      /CompleteMultipartUpload: PreconditionFailed \(HTTP 412\): HeadObject found an object at the key before CompleteMultipartUpload;.*aborted/,
    );
    // The Complete was never sent; the upload's parts were aborted.
    expect(proxy.byOperation("CompleteMultipartUpload")).toEqual([]);
    expect(proxy.byOperation("AbortMultipartUpload").length).toBeGreaterThan(0);
    expect((await s3.getObject(bucket, "orders/rmp-00001.jsonl")).toString()).toBe('{"id":0}\n');
    expect((await s3.listObjects(bucket, "orders/")).map((o) => o.key)).toEqual(["orders/rmp-00001.jsonl"]);
  });
});

describe("a store that does not implement If-None-Match (501 NotImplemented)", () => {
  const base = { file_type: "jsonl", connection_run_id: "r501", key_template: "{stream_name}/{connection_run_id}-{part}.{extension}" };

  it("single PUTs: the first is sent again without the header, one WARN line, later files are plain writes", async () => {
    proxy.setRules([{ match: (r) => r.operation === "PutObject" && r.key?.startsWith("orders/") === true && conditional(r), action: "status501" }]);
    const result = await runCli(["--config", writeConfig(s3Config(proxy, bucket, { ...base, batch_size_rows: 10 }))], { input: singer(1, 40) });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stateLines).toEqual([{ last: 40 }]);
    await expectRows(range(1, 40));
    expect((await s3.listObjects(bucket, "orders/")).map((o) => o.key)).toHaveLength(4);
    const warnings = result.stderr.split("\n").filter((l) => l.includes("If-None-Match: * on PutObject"));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/ WARN .*NotImplemented \(HTTP 501\).*written without it from now on/);
    const puts = proxy.byOperation("PutObject").filter((r) => r.key?.startsWith("orders/"));
    expect(puts.filter((r) => r.status === 501).length).toBeGreaterThanOrEqual(1);
    // Files already in flight when the first 501 came may carry the header once more; the last never does.
    expect(conditional(puts.at(-1)!)).toBe(false);
  });

  it("multipart: CompleteMultipartUpload is sent again without the header (the parts stay) and the object is stored", async () => {
    proxy.setRules([{ match: (r) => r.operation === "CompleteMultipartUpload" && conditional(r), action: "status501" }]);
    const config = writeConfig(s3Config(proxy, bucket, { ...base, multipart_part_size: 5 * MiB, batch_size_rows: 1_000_000 }));
    const result = await runCli(["--config", config], { input: singer(1, 60_000, 100) });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stateLines).toEqual([{ last: 60_000 }]);
    const completes = proxy.byOperation("CompleteMultipartUpload");
    expect(completes.map((r) => [r.status, conditional(r)])).toEqual([
      [501, true],
      [200, false],
    ]);
    expect(result.stderr).toMatch(/ WARN .*NotImplemented \(HTTP 501\) to If-None-Match: \* on CompleteMultipartUpload/);
    await expectRows(range(1, 60_000), 100);
  });
});
