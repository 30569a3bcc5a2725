// Credentials the way the seeds describe them, against real parts: the CLI spawned as a process, the local S3 server
// behind a recording proxy (to see what signs each request), and a local STS that answers AssumeRole and
// GetCallerIdentity. AWS_EC2_METADATA_DISABLED=true (run-cli sets it) so nothing probes instance metadata.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Settings } from "../../src/config/settings.js";
import { assumeRoleProvider } from "../../src/s3/assume-role.js";
import { resolveCredentials } from "../../src/s3/credentials.js";
import { startFakeSts, type FakeSts } from "../helpers/fake-sts.js";
import { startFaultProxy, type FaultProxy } from "../helpers/fault-proxy.js";
import { readAllRows } from "../helpers/read-back.js";
import { makeTempDir, runCli, s3Config, writeConfig, type CliResult } from "../helpers/run-cli.js";
import { TEST_ACCESS_KEY_ID, TEST_SECRET_ACCESS_KEY, startS3Server, type S3TestServer } from "../helpers/s3-server.js";

const ROLE_ACCOUNT = "444455556666";
const ROLE_ARN = `arn:aws:iam::${ROLE_ACCOUNT}:role/target-s3-writer`;
const EXTERNAL_ID = "ext-7f3a9c21-secret-id";

let s3: S3TestServer;
let proxy: FaultProxy;
let sts: FakeSts;
let bucket: string;

beforeAll(async () => {
  s3 = await startS3Server();
  proxy = await startFaultProxy(s3.endpoint);
  // Every key the fake STS issues is accepted by s3rver (which only checks that an access key id is known).
  sts = await startFakeSts({ accountId: "111122223333", onIssue: (c) => s3.allowAccessKey(c.accessKeyId, c.secretAccessKey) });
});
afterAll(async () => {
  await sts?.close();
  await proxy?.close();
  await s3?.close();
});
beforeEach(async () => {
  bucket = await s3.createBucket();
  proxy.setRules([]);
  proxy.clearRequests();
  sts.calls.length = 0;
  sts.issued.length = 0;
  sts.setFailure(null);
  sts.setOptions({ requiredExternalId: undefined, assumedAccountId: undefined, expiration: undefined });
});

function singer(rows: number): string {
  const lines = [
    JSON.stringify({
      type: "SCHEMA",
      stream: "users",
      schema: { type: "object", properties: { id: { type: "integer" }, name: { type: "string" } } },
      key_properties: ["id"],
    }),
  ];
  for (let i = 1; i <= rows; i++) lines.push(JSON.stringify({ type: "RECORD", stream: "users", record: { id: i, name: `user ${i}` } }));
  lines.push(JSON.stringify({ type: "STATE", value: { bookmarks: { users: rows } } }));
  return lines.join("\n") + "\n";
}

async function expectAllRows(rows: number): Promise<void> {
  const objects = await readAllRows(s3, bucket);
  const ids = [...objects.values()].flat().map((r) => Number(r["id"]));
  expect(ids.sort((a, b) => a - b)).toEqual(Array.from({ length: rows }, (_, i) => i + 1));
}

function s3Requests() {
  return proxy.requests.filter((r) => r.bucket === bucket);
}

function expectNoSecrets(result: CliResult, secrets: string[]): void {
  for (const secret of secrets) {
    expect(result.stdout).not.toContain(secret);
    expect(result.stderr).not.toContain(secret);
  }
}

describe("role_arn with external_id (AssumeRole through sts_endpoint)", () => {
  it("assumes the role with the keys, and signs every S3 request with the temporary key and session token", async () => {
    sts.setOptions({ requiredExternalId: EXTERNAL_ID });
    const config = writeConfig(
      s3Config(proxy, bucket, {
        file_type: "jsonl",
        role_arn: ROLE_ARN,
        external_id: EXTERNAL_ID,
        role_session_name: "nightly-load",
        role_duration_seconds: 1800,
        sts_endpoint: sts.endpoint,
        batch_size_rows: 40,
      }),
    );
    const result = await runCli(["--config", config], { input: singer(100) });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stateLines).toEqual([{ bookmarks: { users: 100 } }]);

    const assumed = sts.assumeRoleCalls();
    expect(assumed).toHaveLength(1);
    expect(assumed[0]).toMatchObject({ roleArn: ROLE_ARN, externalId: EXTERNAL_ID, roleSessionName: "nightly-load", durationSeconds: 1800 });
    // The configured keys are the source: they sign the AssumeRole call, and nothing else.
    expect(assumed[0]!.accessKeyId).toBe(TEST_ACCESS_KEY_ID);

    const issued = sts.issued[0]!;
    const requests = s3Requests();
    expect(requests.length).toBeGreaterThanOrEqual(3); // three objects of at most 40 rows
    for (const r of requests) {
      expect(r.headers.authorization).toContain(`Credential=${issued.accessKeyId}/`);
      expect(r.headers["x-amz-security-token"]).toBe(issued.sessionToken);
    }
    await expectAllRows(100);
    expectNoSecrets(result, [EXTERNAL_ID, TEST_SECRET_ACCESS_KEY, issued.secretAccessKey, issued.sessionToken]);
    expect(result.stderr).toContain(`role ${ROLE_ARN}`);
  });

  it("a role whose trust policy wants another external ID fails at start, naming the role and the fix, with no STATE", async () => {
    sts.setOptions({ requiredExternalId: "the-right-one" });
    const config = writeConfig(s3Config(proxy, bucket, { role_arn: ROLE_ARN, external_id: EXTERNAL_ID, sts_endpoint: sts.endpoint }));
    const result = await runCli(["--config", config], { input: singer(3) });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain(`assuming role ${ROLE_ARN} failed: AccessDenied`);
    expect(result.stderr).toContain("sts:ExternalId");
    expect(s3Requests()).toEqual([]);
    expectNoSecrets(result, [EXTERNAL_ID, TEST_SECRET_ACCESS_KEY]);
  });

  it("aws_account_id is checked against GetCallerIdentity of the assumed identity: a mismatch names both accounts", async () => {
    sts.setOptions({ assumedAccountId: "999988887777" });
    const config = writeConfig(s3Config(proxy, bucket, { role_arn: ROLE_ARN, sts_endpoint: sts.endpoint, aws_account_id: ROLE_ACCOUNT }));
    const result = await runCli(["--config", config], { input: singer(3) });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/belong to AWS account 999988887777, not aws_account_id 444455556666/);
    const identity = sts.calls.find((c) => c.action === "GetCallerIdentity");
    expect(identity?.accessKeyId).toBe(sts.issued[0]!.accessKeyId);
    expect(s3Requests()).toEqual([]);
  });

  it("aws_account_id that matches the assumed identity lets the run through", async () => {
    const config = writeConfig(s3Config(proxy, bucket, { file_type: "jsonl", role_arn: ROLE_ARN, sts_endpoint: sts.endpoint, aws_account_id: ROLE_ACCOUNT }));
    const result = await runCli(["--config", config], { input: singer(5) });
    expect(result.code, result.stderr).toBe(0);
    expect(sts.calls.map((c) => c.action)).toEqual(["AssumeRole", "GetCallerIdentity"]);
    await expectAllRows(5);
  });

  it("aws_account_id without a role is checked against the keys' own identity", async () => {
    const config = writeConfig(s3Config(proxy, bucket, { sts_endpoint: sts.endpoint, aws_account_id: "123456789012" }));
    const result = await runCli(["--config", config], { input: singer(1) });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/account 111122223333, not aws_account_id 123456789012/);
  });

  it("check reports the role step and passes with assumed credentials", async () => {
    const config = writeConfig(s3Config(proxy, bucket, { role_arn: ROLE_ARN, external_id: EXTERNAL_ID, sts_endpoint: sts.endpoint }));
    const result = await runCli(["check", "--config", config]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(new RegExp(`check credentials: ok \\(role ${ROLE_ARN}.*with external ID\\) assumed with access keys\\)`));
    for (const r of s3Requests()) expect(r.headers["x-amz-security-token"]).toBe(sts.issued[0]!.sessionToken);
    expectNoSecrets(result, [EXTERNAL_ID]);
  });

  it("check fails at the credentials step when the role cannot be assumed", async () => {
    sts.setFailure({ action: "AssumeRole" });
    const config = writeConfig(s3Config(proxy, bucket, { role_arn: ROLE_ARN, sts_endpoint: sts.endpoint }));
    const result = await runCli(["check", "--config", config]);
    expect(result.code).toBe(1);
    const status = result.stateLines[0] as { connectionStatus: { status: string; message: string } };
    expect(status.connectionStatus.status).toBe("FAILED");
    expect(status.connectionStatus.message).toContain(`credentials failed: assuming role ${ROLE_ARN} failed: AccessDenied`);
    expect(result.stderr).toMatch(/check bucket: skipped/);
  });
});

describe("assumed-role credentials are refreshed before they expire", () => {
  const settingsFor = (extra: Partial<Settings>): Settings =>
    ({
      aws_region: "us-east-1",
      sts_endpoint: sts.endpoint,
      max_retries: 1,
      aws_access_key_id: TEST_ACCESS_KEY_ID,
      aws_secret_access_key: TEST_SECRET_ACCESS_KEY,
      role_arn: ROLE_ARN,
      role_session_name: "target-s3",
      role_duration_seconds: 3600,
      ...extra,
    }) as Settings;

  it("reuses the session while it is fresh, assumes again inside the refresh window, and coalesces concurrent calls", async () => {
    let clock = Date.now();
    const provider = assumeRoleProvider({
      region: "us-east-1",
      endpoint: sts.endpoint,
      maxRetries: 0,
      requestTimeoutSeconds: 30,
      roleArn: ROLE_ARN,
      externalId: EXTERNAL_ID,
      sessionName: "long-run",
      durationSeconds: 3600,
      source: { accessKeyId: TEST_ACCESS_KEY_ID, secretAccessKey: TEST_SECRET_ACCESS_KEY },
      now: () => clock,
    });
    try {
      const first = await Promise.all([provider(), provider(), provider()]);
      expect(sts.assumeRoleCalls()).toHaveLength(1);
      expect(new Set(first.map((c) => c.accessKeyId)).size).toBe(1);
      clock += 30 * 60_000; // 30 minutes in: 30 left, outside the 10-minute window
      expect((await provider()).accessKeyId).toBe(first[0].accessKeyId);
      expect(sts.assumeRoleCalls()).toHaveLength(1);
      clock += 22 * 60_000; // 8 minutes left: refresh
      const second = await provider();
      expect(sts.assumeRoleCalls()).toHaveLength(2);
      expect(second.accessKeyId).not.toBe(first[0].accessKeyId);
      expect(second.expiration!.getTime()).toBeGreaterThan(first[0].expiration!.getTime());
      expect(sts.assumeRoleCalls()[1]!.externalId).toBe(EXTERNAL_ID);
      // A failed refresh while the session still has minutes left keeps the current one.
      sts.setFailure({ action: "AssumeRole", code: "ServiceUnavailable", status: 503 });
      clock = second.expiration!.getTime() - 5 * 60_000;
      expect((await provider()).accessKeyId).toBe(second.accessKeyId);
    } finally {
      provider.close();
    }
  });

  it("resolveCredentials gives the S3 client a provider that refreshes (via the injected clock)", async () => {
    let clock = Date.now();
    const resolved = await resolveCredentials(settingsFor({}), { now: () => clock });
    try {
      const a = await resolved.provider();
      clock += 55 * 60_000;
      const b = await resolved.provider();
      expect(a.accessKeyId).not.toBe(b.accessKeyId);
      expect(sts.assumeRoleCalls().map((c) => c.roleSessionName)).toEqual(["target-s3", "target-s3"]);
      expect(resolved.description).toBe(`role ${ROLE_ARN} (session target-s3) assumed with access keys`);
    } finally {
      resolved.close();
    }
  });

  it("a CLI run whose session is inside the SDK's refresh window assumes again while uploading", async () => {
    // Sessions that expire in 4 minutes: each S3 request finds the cached session too close to expiry.
    sts.setOptions({ expiration: () => new Date(Date.now() + 4 * 60_000) });
    const config = writeConfig(
      s3Config(proxy, bucket, { file_type: "jsonl", role_arn: ROLE_ARN, sts_endpoint: sts.endpoint, batch_size_rows: 10, max_pending_flushes: 1 }),
    );
    const result = await runCli(["--config", config], { input: singer(30) });
    expect(result.code, result.stderr).toBe(0);
    expect(sts.assumeRoleCalls().length).toBeGreaterThanOrEqual(2);
    const keyIds = new Set(s3Requests().map((r) => /Credential=([^/]+)\//.exec(String(r.headers.authorization))?.[1]));
    expect(keyIds.size).toBeGreaterThanOrEqual(2);
    for (const id of keyIds) expect(sts.issued.map((c) => c.accessKeyId)).toContain(id);
    await expectAllRows(30);
  });
});

describe("credential sources without a role", () => {
  it("aws_session_token goes with the keys on every S3 request", async () => {
    const token = "FwoGZXIvYXdzEPlainSessionTokenForTest0001";
    const config = writeConfig(s3Config(proxy, bucket, { file_type: "jsonl", aws_session_token: token }));
    const result = await runCli(["--config", config], { input: singer(4) });
    expect(result.code, result.stderr).toBe(0);
    for (const r of s3Requests()) expect(r.headers["x-amz-security-token"]).toBe(token);
    expectNoSecrets(result, [token]);
    await expectAllRows(4);
  });

  it("aws_profile reads the named profile from the shared credentials file", async () => {
    s3.allowAccessKey("AKIAPROFILEKEY000001", "profile-secret-value-1");
    const dir = makeTempDir();
    const credentialsFile = join(dir, "credentials");
    writeFileSync(credentialsFile, "[loader]\naws_access_key_id = AKIAPROFILEKEY000001\naws_secret_access_key = profile-secret-value-1\n");
    const { aws_access_key_id: _a, aws_secret_access_key: _b, ...base } = s3Config(proxy, bucket, { file_type: "jsonl", aws_profile: "loader" });
    const result = await runCli(["--config", writeConfig(base)], {
      input: singer(2),
      env: { AWS_SHARED_CREDENTIALS_FILE: credentialsFile, AWS_CONFIG_FILE: join(dir, "config") },
    });
    expect(result.code, result.stderr).toBe(0);
    for (const r of s3Requests()) expect(r.headers.authorization).toContain("Credential=AKIAPROFILEKEY000001/");
    expect(result.stderr).toContain("profile 'loader'");
    expectNoSecrets(result, ["profile-secret-value-1"]);
  });

  it("without keys or profile the default chain is used (here: the environment)", async () => {
    s3.allowAccessKey("AKIAENVKEY0000000001", "env-secret-value-1");
    const { aws_access_key_id: _a, aws_secret_access_key: _b, ...base } = s3Config(proxy, bucket, { file_type: "jsonl" });
    const result = await runCli(["--config", writeConfig(base)], {
      input: singer(2),
      env: { AWS_ACCESS_KEY_ID: "AKIAENVKEY0000000001", AWS_SECRET_ACCESS_KEY: "env-secret-value-1" },
    });
    expect(result.code, result.stderr).toBe(0);
    for (const r of s3Requests()) expect(r.headers.authorization).toContain("Credential=AKIAENVKEY0000000001/");
    expectNoSecrets(result, ["env-secret-value-1"]);
  });

  it("no credentials anywhere fails at start with one sentence that says where credentials can come from", async () => {
    const { aws_access_key_id: _a, aws_secret_access_key: _b, ...base } = s3Config(proxy, bucket);
    const result = await runCli(["--config", writeConfig(base)], { input: singer(1), timeoutMs: 60_000 });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/no usable AWS credentials from the default AWS credential chain/);
    expect(result.stderr).toMatch(/aws_access_key_id and aws_secret_access_key, or aws_profile/);
    expect(s3Requests()).toEqual([]);
  });
});
