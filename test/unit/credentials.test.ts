// Pure parts of AWS access: credential source choice, role ARN accounts, refresh decisions, and the IAM grant hints
// that S3 failures and `check` print.
import { describe, expect, it } from "vitest";
import type { Settings } from "../../src/config/settings.js";
import { accountOfArn, needsRefresh } from "../../src/s3/assume-role.js";
import { connectionStatusOf, formatStep } from "../../src/s3/check.js";
import { baseCredentials, describeSource, stsOptionsOf } from "../../src/s3/credentials.js";
import { folderOf, grantHint, grantResource, iamActionsFor, partitionOf } from "../../src/s3/iam.js";
import { isRetryableS3Error, s3ErrorFacts } from "../../src/s3/error-facts.js";

const settings = (extra: Partial<Settings>): Settings => ({ aws_region: "eu-west-1", sts_endpoint: undefined, max_retries: 5, ...extra }) as Settings;

describe("credential source", () => {
  it("keys (with session token) win over a profile; a profile over the default chain", () => {
    expect(baseCredentials(settings({ aws_access_key_id: "AKIA1", aws_secret_access_key: "s", aws_session_token: "t", aws_profile: "p" }))).toEqual({
      accessKeyId: "AKIA1",
      secretAccessKey: "s",
      sessionToken: "t",
    });
    expect(typeof baseCredentials(settings({ aws_profile: "p" }))).toBe("function");
    expect(baseCredentials(settings({}))).toBeUndefined();
  });

  it("is described without any secret", () => {
    expect(describeSource(settings({ aws_access_key_id: "AKIASECRET", aws_secret_access_key: "s" }))).toBe("access keys");
    expect(describeSource(settings({ aws_access_key_id: "AKIASECRET", aws_secret_access_key: "s", aws_session_token: "t" }))).toBe(
      "access keys with session token",
    );
    expect(describeSource(settings({ aws_profile: "loader" }))).toBe("profile 'loader'");
    expect(describeSource(settings({}))).toBe("the default AWS credential chain");
  });

  it("STS uses sts_endpoint only; aws_endpoint (S3) never applies to it", () => {
    expect(stsOptionsOf(settings({ aws_endpoint: "http://minio:9000" }))).toEqual({ region: "eu-west-1", endpoint: undefined, maxRetries: 5 });
    expect(stsOptionsOf(settings({ sts_endpoint: "http://127.0.0.1:1" })).endpoint).toBe("http://127.0.0.1:1");
  });
});

describe("roles", () => {
  it("reads the account of a role ARN", () => {
    expect(accountOfArn("arn:aws:iam::123456789012:role/x")).toBe("123456789012");
    expect(accountOfArn("arn:aws-cn:iam::123456789012:role/path/x")).toBe("123456789012");
    expect(accountOfArn("arn:aws:iam:::role/x")).toBeUndefined();
  });

  it("refreshes inside the window before expiry, never for credentials without expiry", () => {
    const now = Date.parse("2026-01-01T00:00:00Z");
    expect(needsRefresh(new Date(now + 11 * 60_000), now, 10 * 60_000)).toBe(false);
    expect(needsRefresh(new Date(now + 10 * 60_000), now, 10 * 60_000)).toBe(true);
    expect(needsRefresh(new Date(now - 1), now, 10 * 60_000)).toBe(true);
    expect(needsRefresh(undefined, now, 10 * 60_000)).toBe(false);
  });
});

describe("IAM grants", () => {
  it("maps S3 operations to IAM actions, adding tagging, ACL and KMS actions when those options are set", () => {
    expect(iamActionsFor("UploadPart")).toEqual(["s3:PutObject"]);
    expect(iamActionsFor("CreateMultipartUpload", { tags: true, acl: true, kms: true })).toEqual([
      "s3:PutObject",
      "s3:PutObjectTagging",
      "s3:PutObjectAcl",
      "kms:GenerateDataKey",
      "kms:Decrypt",
    ]);
    expect(iamActionsFor("HeadBucket")).toEqual(["s3:ListBucket"]);
    expect(iamActionsFor("ListObjectsV2")).toEqual(["s3:ListBucket"]);
    expect(iamActionsFor("DeleteObject")).toEqual(["s3:DeleteObject"]);
    expect(iamActionsFor("AbortMultipartUpload")).toEqual(["s3:AbortMultipartUpload"]);
  });

  it("names the bucket ARN for bucket actions and bucket/prefix* for object actions, in the region's partition", () => {
    expect(grantResource("ListObjectsV2", "b", "p/")).toBe("arn:aws:s3:::b");
    expect(grantResource("PutObject", "b", "p/")).toBe("arn:aws:s3:::b/p/*");
    expect(grantResource("PutObject", "b", "")).toBe("arn:aws:s3:::b/*");
    expect(partitionOf("cn-north-1")).toBe("aws-cn");
    expect(partitionOf("us-gov-west-1")).toBe("aws-us-gov");
    expect(grantHint("PutObject", "b", "x/", "us-east-1")).toBe("grant s3:PutObject on arn:aws:s3:::b/x/*");
    expect(grantHint("PutObject", "b", "x/", "us-east-1", { kms: true, kmsKeyId: "alias/lake" })).toBe(
      "grant s3:PutObject on arn:aws:s3:::b/x/* and kms:GenerateDataKey, kms:Decrypt on alias/lake",
    );
    expect(folderOf("a/b/c.csv")).toBe("a/b/");
    expect(folderOf("c.csv")).toBe("");
  });

  it("reads S3 error facts from SDK errors (HEAD 404 is NoSuchBucket, 403 without body is AccessDenied)", () => {
    const head = Object.assign(new Error("UnknownError"), { name: "NotFound", $command: "HeadBucket", $metadata: { httpStatusCode: 404, attempts: 1 } });
    expect(s3ErrorFacts(head)).toMatchObject({ code: "NoSuchBucket", status: 404, operation: "HeadBucket" });
    const denied = Object.assign(new Error("Forbidden"), { name: "Forbidden", $metadata: { httpStatusCode: 403 } });
    expect(s3ErrorFacts(denied).code).toBe("AccessDenied");
    const slow = Object.assign(new Error("slow"), { name: "SlowDown", Code: "SlowDown", $metadata: { httpStatusCode: 503, attempts: 6 } });
    expect(s3ErrorFacts(slow)).toMatchObject({ code: "SlowDown", attempts: 6 });
  });

  it("knows which failures pass (5xx, 429, throttling, timeouts, resets)", () => {
    expect(isRetryableS3Error({ code: "InternalError", status: 500 })).toBe(true);
    expect(isRetryableS3Error({ code: "SlowDown", status: 503 })).toBe(true);
    expect(isRetryableS3Error({ code: "TooManyRequests", status: 429 })).toBe(true);
    expect(isRetryableS3Error({ code: "ECONNRESET", status: undefined })).toBe(true);
    expect(isRetryableS3Error({ code: "TimeoutError", status: undefined })).toBe(true);
    expect(isRetryableS3Error({ code: "AccessDenied", status: 403 })).toBe(false);
    expect(isRetryableS3Error({ code: "NoSuchBucket", status: 404 })).toBe(false);
  });
});

describe("check output", () => {
  it("prints one line per step and a CONNECTION_STATUS message", () => {
    expect(formatStep({ name: "bucket", status: "ok", what: "HeadBucket s3://b", detail: "ok" })).toBe("check bucket: ok (HeadBucket s3://b)");
    expect(connectionStatusOf({ ok: false, steps: [], message: "m" })).toEqual({
      type: "CONNECTION_STATUS",
      connectionStatus: { status: "FAILED", message: "m" },
    });
    expect(connectionStatusOf({ ok: true, steps: [], message: "fine" }).connectionStatus.status).toBe("SUCCEEDED");
  });
});
