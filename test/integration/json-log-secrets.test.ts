// An external_id holding characters JSON escapes, echoed by STS in its error, never reaches stderr in JSON logs
// (masking used to run on the finished line, after `"` had become `\"`).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeSts, type FakeSts } from "../helpers/fake-sts.js";
import { runCli, s3Config, writeConfig } from "../helpers/run-cli.js";
import { startS3Server, type S3TestServer } from "../helpers/s3-server.js";

let s3: S3TestServer;
let sts: FakeSts;
beforeAll(async () => {
  s3 = await startS3Server();
  sts = await startFakeSts();
});
afterAll(async () => {
  await sts?.close();
  await s3?.close();
});

const input = JSON.stringify({ type: "SCHEMA", stream: "s", schema: { type: "object", properties: { id: { type: "integer" } } }, key_properties: [] }) + "\n";

describe("secrets in log_format json", () => {
  for (const [label, externalId] of [
    ["a quote", 'ext"id-SECRET-1'],
    ["a backslash", "ext\\id-SECRET-2"],
    ["a tab and a newline", "ext\tid\nSECRET-3"],
  ] as const) {
    it(`an external_id with ${label}, echoed by STS's ValidationError, is masked`, async () => {
      sts.setFailure({ action: "AssumeRole", code: "ValidationError", status: 400, message: `Invalid ExternalId ${externalId}: must match [\\w+=,.@:/-]*` });
      const config = writeConfig(
        s3Config(s3, await s3.createBucket(), {
          role_arn: "arn:aws:iam::123456789012:role/loader",
          external_id: externalId,
          sts_endpoint: sts.endpoint,
          log_format: "json",
        }),
      );
      const result = await runCli(["--config", config], { input });
      expect(result.code).toBe(1);
      expect(result.stdout).toBe("");
      const lines = result.stderr.split("\n").filter((l) => l !== "");
      const error = lines.map((l) => JSON.parse(l) as { level: string; message: string }).find((l) => l.level === "error");
      expect(error?.message).toMatch(/ValidationError/);
      expect(error?.message).toContain("Invalid ExternalId ***");
      for (const text of [result.stderr, ...lines.map((l) => (JSON.parse(l) as { message: string }).message)]) {
        expect(text).not.toContain(externalId);
        expect(text).not.toContain(JSON.stringify(externalId).slice(1, -1));
        expect(text).not.toContain("SECRET-");
      }
    });
  }
});
