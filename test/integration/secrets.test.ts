// Secrets never reach stdout, stderr or object metadata: the CLI runs in several modes with recognisable fake
// credentials, and every output line and every stored object's metadata are scanned for them.
import { HeadObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, writeConfig, type CliResult } from "../helpers/run-cli.js";
import { startS3Server, type S3TestServer } from "../helpers/s3-server.js";

const ACCESS_KEY = "AKIASECRETSCANTEST01";
const SECRET_KEY = "sEcReT/scan+test/0123456789abcdefABCDEFxyz";
const SESSION_TOKEN = "FwoGZXIvYXdzSECRETSCANSESSIONTOKEN0123456789";
const EXTERNAL_ID = "ext-id-SECRETSCAN-42";
const SECRETS = [ACCESS_KEY.slice(4), SECRET_KEY, SECRET_KEY.slice(0, 12), SESSION_TOKEN, EXTERNAL_ID];

let s3: S3TestServer;
beforeAll(async () => {
  s3 = await startS3Server();
  s3.allowAccessKey(ACCESS_KEY, SECRET_KEY);
});
afterAll(async () => {
  await s3?.close();
});

function configFor(bucket: string, extra: Record<string, unknown> = {}): string {
  return writeConfig({
    bucket,
    aws_endpoint: s3.endpoint,
    force_path_style: true,
    aws_region: "us-east-1",
    aws_access_key_id: ACCESS_KEY,
    aws_secret_access_key: SECRET_KEY,
    aws_session_token: SESSION_TOKEN,
    object_metadata: { team: "data" },
    ...extra,
  });
}

const input =
  [
    JSON.stringify({ type: "SCHEMA", stream: "s", schema: { type: "object", properties: { id: { type: "integer" } } }, key_properties: ["id"] }),
    JSON.stringify({ type: "RECORD", stream: "s", record: { id: 1 } }),
    JSON.stringify({ type: "STATE", value: { n: 1 } }),
  ].join("\n") + "\n";

function scan(label: string, result: Pick<CliResult, "stdout" | "stderr">): void {
  for (const [stream, text] of [
    ["stdout", result.stdout],
    ["stderr", result.stderr],
  ] as const) {
    for (const line of text.split("\n")) {
      for (const secret of SECRETS) expect(line.includes(secret), `${label} ${stream} line leaks a secret: ${line}`).toBe(false);
    }
  }
}

describe("no secret in any output", () => {
  it("a successful run (debug log level), and the stored objects' metadata", { timeout: 60_000 }, async () => {
    const bucket = await s3.createBucket();
    const result = await runCli(["--config", configFor(bucket, { log_level: "debug" })], { input });
    expect(result.code, result.stderr).toBe(0);
    scan("run", result);
    const objects = await s3.listObjects(bucket);
    expect(objects.length).toBeGreaterThan(0);
    for (const o of objects) {
      const head = await s3.client.send(new HeadObjectCommand({ Bucket: bucket, Key: o.key }));
      const meta = JSON.stringify({ metadata: head.Metadata, tags: head.TagCount, key: o.key });
      for (const secret of SECRETS) expect(meta.includes(secret), meta).toBe(false);
    }
  });

  it("a run failing on bad input, and one failing on S3 (unknown bucket)", { timeout: 60_000 }, async () => {
    const bucket = await s3.createBucket();
    const bad = await runCli(["--config", configFor(bucket)], { input: input + "not json\n" });
    expect(bad.code).not.toBe(0);
    scan("bad input", bad);
    const noBucket = await runCli(["--config", configFor("no-such-bucket-secrets", { max_retries: 0 })], { input });
    expect(noBucket.code).not.toBe(0);
    scan("no bucket", noBucket);
  });

  it("a run whose role cannot be assumed (external ID in the config)", { timeout: 60_000 }, async () => {
    const result = await runCli(
      [
        "--config",
        configFor("b", { role_arn: "arn:aws:iam::123456789012:role/x", external_id: EXTERNAL_ID, sts_endpoint: "http://127.0.0.1:9", max_retries: 0 }),
      ],
      { input },
    );
    expect(result.code).not.toBe(0);
    scan("role", result);
  });

  it("a config error that mentions the secret settings", { timeout: 60_000 }, async () => {
    const result = await runCli(["--config", configFor("b", { aws_secret_access_key: 42, file_type: "orc" })], { input });
    expect(result.code).toBe(2);
    scan("config error", result);
  });

  it("--about (text, json, markdown), --version, spec, and check when available", { timeout: 60_000 }, async () => {
    const config = configFor(await s3.createBucket());
    for (const args of [
      ["--about"],
      ["--about", "--format", "json"],
      ["--about", "--format", "markdown"],
      ["--version"],
      ["spec"],
      ["--about", "--config", config],
    ]) {
      const result = await runCli(args);
      scan(args.join(" "), result);
    }
    const check = await runCli(["check", "--config", config]);
    scan("check", check);
  });

  it("settings from the environment (--config ENV)", { timeout: 60_000 }, async () => {
    const bucket = await s3.createBucket();
    const result = await runCli(["--config", "ENV"], {
      input: input + "not json\n",
      env: {
        TARGET_S3_BUCKET: bucket,
        TARGET_S3_AWS_ENDPOINT: s3.endpoint,
        TARGET_S3_AWS_ACCESS_KEY_ID: ACCESS_KEY,
        TARGET_S3_AWS_SECRET_ACCESS_KEY: SECRET_KEY,
        TARGET_S3_AWS_SESSION_TOKEN: SESSION_TOKEN,
        TARGET_S3_LOG_LEVEL: "debug",
      },
    });
    expect(result.code).not.toBe(0);
    scan("env", result);
  });
});
