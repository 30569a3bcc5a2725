// `target-s3 check` / `--test-connection` spawned as a process against the real local S3 server (and a recording,
// fault-injecting proxy in front of it): one line per step on stderr, exactly one CONNECTION_STATUS on stdout.
import { describe, expect, it } from "vitest";
import type { FaultProxy } from "../helpers/fault-proxy.js";
import { runCli, s3Config, writeConfig, type CliResult } from "../helpers/run-cli.js";
import { TEST_SECRET_ACCESS_KEY, type S3TestServer } from "../helpers/s3-server.js";
import { useS3WithProxy } from "../helpers/s3-fixture.js";

let s3: S3TestServer;
let proxy: FaultProxy;
let bucket: string;

useS3WithProxy((f) => ({ s3, proxy, bucket } = f));

interface Status {
  type: string;
  connectionStatus: { status: string; message: string };
}

function statusOf(result: CliResult): Status {
  expect(result.invalidStdoutLines).toEqual([]);
  expect(result.stateLines).toHaveLength(1);
  const status = result.stateLines[0] as Status;
  expect(status.type).toBe("CONNECTION_STATUS");
  return status;
}

function stepLines(result: CliResult): string[] {
  return result.stderr.split("\n").filter((l) => l.startsWith("check "));
}

describe("check", () => {
  it("succeeds against the local server, runs every step under the prefix and leaves nothing behind", async () => {
    const config = writeConfig(s3Config(proxy, `s3://${bucket}/exports/daily`, { object_key_path: "team-a" }));
    const result = await runCli(["check", "--config", config]);
    expect(result.code, result.stderr).toBe(0);
    const status = statusOf(result);
    expect(status.connectionStatus.status).toBe("SUCCEEDED");
    const lines = stepLines(result);
    expect(lines.map((l) => l.split(":")[0])).toEqual([
      "check credentials",
      "check bucket",
      "check put object",
      "check multipart upload",
      "check list",
      "check delete",
    ]);
    expect(lines.every((l) => /: ok \(/.test(l))).toBe(true);
    // Every object operation stayed under <prefix>/_target_s3_check/<uuid>/.
    const objectOps = proxy.requests.filter((r) => r.key !== undefined);
    expect(objectOps.length).toBeGreaterThan(0);
    for (const r of objectOps) expect(r.key).toMatch(/^exports\/daily\/team-a\/_target_s3_check\/[0-9a-f-]{36}\//);
    const parts = proxy.byOperation("UploadPart");
    expect(parts).toHaveLength(2);
    expect(parts[0]!.bodyLength).toBeGreaterThanOrEqual(5 * 1024 * 1024);
    expect(proxy.byOperation("ListObjectsV2")).toHaveLength(1);
    expect(proxy.byOperation("DeleteObject").map((r) => r.status)).toEqual([204, 204]);
    expect(await s3.listObjects(bucket)).toEqual([]);
    // No secret in any output.
    expect(result.stdout + result.stderr).not.toContain(TEST_SECRET_ACCESS_KEY);
  });

  it("--test-connection is the Singer-style spelling of the same check", async () => {
    const config = writeConfig(s3Config(s3, bucket));
    const result = await runCli(["--config", config, "--test-connection"]);
    expect(result.code, result.stderr).toBe(0);
    expect(statusOf(result).connectionStatus.status).toBe("SUCCEEDED");
    expect(await s3.listObjects(bucket)).toEqual([]);
  });

  it("fails naming the bucket when it does not exist", async () => {
    const config = writeConfig(s3Config(s3, "no-such-bucket-here"));
    const result = await runCli(["check", "--config", config]);
    expect(result.code).toBe(1);
    const status = statusOf(result);
    expect(status.connectionStatus.status).toBe("FAILED");
    expect(status.connectionStatus.message).toContain("no-such-bucket-here");
    expect(status.connectionStatus.message).toContain("NoSuchBucket");
    const lines = stepLines(result);
    expect(lines.find((l) => l.startsWith("check bucket:"))).toMatch(/failed: NoSuchBucket — bucket 'no-such-bucket-here' does not exist/);
    expect(lines.find((l) => l.startsWith("check put object:"))).toMatch(/skipped/);
  });

  it("fails naming the step, the S3 code and the IAM action when multipart uploads are denied; still deletes its object", async () => {
    proxy.setRules([{ match: (r) => r.operation === "CreateMultipartUpload", action: "status403" }]);
    const config = writeConfig(s3Config(proxy, `s3://${bucket}/landing`));
    const result = await runCli(["check", "--config", config]);
    expect(result.code).toBe(1);
    const status = statusOf(result);
    expect(status.connectionStatus.status).toBe("FAILED");
    expect(status.connectionStatus.message).toContain("multipart upload");
    const line = stepLines(result).find((l) => l.startsWith("check multipart upload:"));
    expect(line).toContain(`failed: AccessDenied in CreateMultipartUpload — grant s3:PutObject on arn:aws:s3:::${bucket}/landing/*`);
    expect(stepLines(result).find((l) => l.startsWith("check put object:"))).toMatch(/: ok/);
    expect(stepLines(result).find((l) => l.startsWith("check delete:"))).toMatch(/: ok/);
    expect(proxy.byOperation("DeleteObject")).toHaveLength(1);
    expect(await s3.listObjects(bucket)).toEqual([]);
  });

  it("reports a denied delete with s3:DeleteObject and says what was left behind", async () => {
    proxy.setRules([{ match: (r) => r.operation === "DeleteObject", action: "status403" }]);
    const config = writeConfig(s3Config(proxy, bucket));
    const result = await runCli(["check", "--config", config]);
    expect(result.code).toBe(1);
    const line = stepLines(result).find((l) => l.startsWith("check delete:"));
    expect(line).toContain(`failed: AccessDenied — grant s3:DeleteObject on arn:aws:s3:::${bucket}/*`);
    expect(line).toContain("left behind");
  });

  it("keys the store does not know fail with a hint about the credentials, never showing them", async () => {
    const config = writeConfig(s3Config(s3, bucket, { aws_access_key_id: "AKIAUNKNOWNKEY000001", aws_secret_access_key: "wrong-secret-value-1" }));
    const result = await runCli(["check", "--config", config]);
    expect(result.code).toBe(1);
    // HEAD answers carry no error code: a 403 there reads as AccessDenied; the PutObject names the real cause.
    expect(stepLines(result).find((l) => l.startsWith("check bucket:"))).toContain(`failed: AccessDenied — grant s3:ListBucket on arn:aws:s3:::${bucket}`);
    const line = stepLines(result).find((l) => l.startsWith("check put object:"));
    expect(line).toContain("failed: InvalidAccessKeyId — the credentials were refused");
    expect(result.stdout + result.stderr).not.toContain("wrong-secret-value-1");
    expect(result.stdout + result.stderr).not.toContain("AKIAUNKNOWNKEY000001");
  });

  it("a configuration that does not load still prints one FAILED CONNECTION_STATUS (exit 2)", async () => {
    const config = writeConfig({ bucket, aws_access_key_id: "AKIAONLYKEY" });
    const result = await runCli(["check", "--config", config]);
    expect(result.code).toBe(2);
    const status = statusOf(result);
    expect(status.connectionStatus.status).toBe("FAILED");
    expect(status.connectionStatus.message).toContain("aws_secret_access_key");
    expect(result.stdout + result.stderr).not.toContain("AKIAONLYKEY");
  });
});
