import { randomUUID } from "node:crypto";
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  HeadBucketCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  UploadPartCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import type { Settings } from "../config/settings.js";
import { objectOptionsOf, type ObjectOptions } from "./object-options.js";
import { parseBucket } from "./bucket-uri.js";
import { clientOptionsOf, createS3Client } from "./client.js";
import { resolveCredentials, type ResolvedCredentials } from "./credentials.js";
import { s3ErrorFacts } from "./error-facts.js";
import { grantHint } from "./iam.js";
import { joinKey } from "./safe-key.js";

export type CheckStepName = "credentials" | "bucket" | "put object" | "multipart upload" | "list" | "delete";

export interface CheckStep {
  name: CheckStepName;
  status: "ok" | "failed" | "skipped";
  /** What was tried, e.g. "HeadBucket s3://bucket". */
  what: string;
  /** S3 (or STS) error code when failed. */
  code?: string;
  /** The IAM action(s) to grant, when a permission is missing. */
  action?: string;
  /** The one-line outcome: `ok`, `failed: AccessDenied — grant s3:PutObject on arn:aws:s3:::bucket/prefix*`, `skipped (…)`. */
  detail: string;
}

export interface CheckResult {
  ok: boolean;
  steps: CheckStep[];
  /** One sentence for CONNECTION_STATUS.message. */
  message: string;
}

export interface ConnectionStatusMessage {
  type: "CONNECTION_STATUS";
  connectionStatus: { status: "SUCCEEDED" | "FAILED"; message: string };
}

/** The second part must be ≥ 0 bytes; every part but the last must be ≥ 5 MiB. */
const FIRST_PART_BYTES = 5 * 1024 * 1024;
const CHECK_FOLDER = "_target_s3_check";

/** `check` as one line per step, e.g. `check bucket: ok (HeadBucket s3://b)`. */
export function formatStep(step: CheckStep): string {
  return `check ${step.name}: ${step.detail} (${step.what})`;
}

export function connectionStatusOf(result: CheckResult): ConnectionStatusMessage {
  return { type: "CONNECTION_STATUS", connectionStatus: { status: result.ok ? "SUCCEEDED" : "FAILED", message: result.message } };
}

/**
 * Tests what a run needs, step by step: credentials (and the role), the bucket, a PutObject and a two-part
 * multipart upload under the configured prefix (with the configured object options), a listing, and the deletion of
 * its own test objects (always attempted for whatever it created). Never throws for S3 or STS failures: they are
 * failed steps. Airbyte's `check` and the Singer `--test-connection` both print from the returned steps.
 */
export async function runCheck(settings: Settings, options: { onStep?: (step: CheckStep) => void; now?: () => number } = {}): Promise<CheckResult> {
  const steps: CheckStep[] = [];
  const report = (step: CheckStep): void => {
    steps.push(step);
    options.onStep?.(step);
  };
  const { bucket, prefix: uriPrefix } = parseBucket(settings.bucket);
  const checkPrefix = joinKey([uriPrefix, settings.object_key_path, CHECK_FOLDER, randomUUID()]) + "/";
  const grantPrefix = checkPrefix.slice(0, checkPrefix.length - `${CHECK_FOLDER}/`.length - 37);
  const where = `s3://${bucket}/${grantPrefix}`;
  const objectOptions = objectOptionsOf(settings);
  const grantContext = {
    tags: objectOptions.Tagging !== undefined,
    acl: objectOptions.ACL !== undefined,
    kms: objectOptions.ServerSideEncryption === "aws:kms",
    kmsKeyId: objectOptions.SSEKMSKeyId,
  };

  const failed = (name: CheckStepName, what: string, error: unknown, operation?: string): CheckStep => {
    const facts = s3ErrorFacts(error);
    const op = facts.operation ?? operation;
    let detail = `failed: ${facts.code}`;
    let action: string | undefined;
    if (facts.code === "NoSuchBucket") detail += ` — bucket '${bucket}' does not exist (check bucket, aws_region and aws_endpoint)`;
    else if (["InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken", "InvalidToken"].includes(facts.code)) {
      detail += " — the credentials were refused: check aws_access_key_id and aws_secret_access_key (or the profile or role)";
    } else if (facts.code === "AccessDenied" || facts.status === 403) {
      const hint = grantHint(op, bucket, grantPrefix, settings.aws_region, grantContext);
      action = hint.slice("grant ".length).split(" on ")[0];
      detail += ` — ${hint}`;
    } else detail += ` — ${facts.message}`;
    return { name, status: "failed", what, code: facts.code, ...(action ? { action } : {}), detail };
  };
  const skipped = (name: CheckStepName, what: string, why: string): CheckStep => ({ name, status: "skipped", what, detail: `skipped (${why})` });

  // 1. Credentials (and the role).
  let credentials: ResolvedCredentials | undefined;
  try {
    credentials = await resolveCredentials(settings, options.now ? { now: options.now } : {});
    report({ name: "credentials", status: "ok", what: credentials.description, detail: "ok" });
  } catch (error) {
    const e = error as { message?: string };
    report({
      name: "credentials",
      status: "failed",
      what: settings.role_arn ? `AssumeRole ${settings.role_arn}` : "resolve credentials",
      code: "CredentialsError",
      detail: `failed: ${e.message ?? String(error)}`,
    });
    for (const [name, what] of [
      ["bucket", `HeadBucket s3://${bucket}`],
      ["put object", `PutObject ${where}`],
      ["multipart upload", `multipart upload ${where}`],
      ["list", `ListObjectsV2 ${where}`],
      ["delete", `DeleteObject ${where}`],
    ] as const) {
      report(skipped(name, what, "no credentials"));
    }
    return finish(steps, where);
  }

  const client = createS3Client(clientOptionsOf(settings, credentials.provider));
  const created: string[] = [];
  try {
    // 2. The bucket.
    const bucketWhat = `HeadBucket s3://${bucket}`;
    let bucketOk = false;
    try {
      await client.send(new HeadBucketCommand({ Bucket: bucket }));
      bucketOk = true;
      report({ name: "bucket", status: "ok", what: bucketWhat, detail: "ok" });
    } catch (error) {
      report(failed("bucket", bucketWhat, error, "HeadBucket"));
    }
    const bucketMissing = steps.at(-1)?.code === "NoSuchBucket";

    // 3. PutObject.
    const putKey = `${checkPrefix}put.txt`;
    const putWhat = `PutObject s3://${bucket}/${putKey}`;
    if (bucketMissing) report(skipped("put object", putWhat, "no bucket"));
    else {
      try {
        await client.send(
          new PutObjectCommand({ Bucket: bucket, Key: putKey, Body: Buffer.from("target-s3 check\n"), ContentType: "text/plain", ...objectOptions }),
        );
        created.push(putKey);
        report({ name: "put object", status: "ok", what: putWhat, detail: "ok" });
      } catch (error) {
        report(failed("put object", putWhat, error, "PutObject"));
      }
    }

    // 4. Multipart upload of two parts (the first at the 5 MiB minimum).
    const mpuKey = `${checkPrefix}multipart.bin`;
    const mpuWhat = `CreateMultipartUpload, 2 × UploadPart, CompleteMultipartUpload s3://${bucket}/${mpuKey}`;
    if (bucketMissing) report(skipped("multipart upload", mpuWhat, "no bucket"));
    else report(await multipartStep(client, bucket, mpuKey, objectOptions, mpuWhat, created, failed));

    // 5. List under the prefix.
    const listWhat = `ListObjectsV2 s3://${bucket}/${checkPrefix}`;
    if (bucketMissing) report(skipped("list", listWhat, "no bucket"));
    else {
      try {
        const out = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: checkPrefix, MaxKeys: 100 }));
        const listed = new Set((out.Contents ?? []).map((o) => o.Key));
        const missing = created.filter((k) => !listed.has(k));
        if (missing.length > 0) {
          report({
            name: "list",
            status: "failed",
            what: listWhat,
            code: "NotListed",
            detail: `failed: NotListed — the listing did not include ${missing.join(", ")}`,
          });
        } else report({ name: "list", status: "ok", what: listWhat, detail: "ok" });
      } catch (error) {
        report(failed("list", listWhat, error, "ListObjectsV2"));
      }
    }

    // 6. Delete what was created, whatever failed before.
    const deleteWhat = `DeleteObject s3://${bucket}/${checkPrefix}*`;
    if (created.length === 0) report(skipped("delete", deleteWhat, bucketOk ? "nothing was created" : "no object was created"));
    else {
      const failures: CheckStep[] = [];
      for (const key of created) {
        try {
          await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
        } catch (error) {
          failures.push(failed("delete", deleteWhat, error, "DeleteObject"));
        }
      }
      const first = failures[0];
      if (first) {
        report({ ...first, detail: `${first.detail}; test objects left behind under s3://${bucket}/${checkPrefix}` });
      } else report({ name: "delete", status: "ok", what: deleteWhat, detail: "ok" });
    }
  } finally {
    client.destroy();
    credentials.close();
  }
  return finish(steps, where);
}

async function multipartStep(
  client: S3Client,
  bucket: string,
  key: string,
  objectOptions: ObjectOptions,
  what: string,
  created: string[],
  failed: (name: CheckStepName, what: string, error: unknown, operation?: string) => CheckStep,
): Promise<CheckStep> {
  let uploadId: string | undefined;
  let operation = "CreateMultipartUpload";
  try {
    const created0 = await client.send(
      new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ContentType: "application/octet-stream", ...objectOptions }),
    );
    uploadId = created0.UploadId;
    if (!uploadId) throw Object.assign(new Error("CreateMultipartUpload returned no UploadId"), { name: "NoUploadId" });
    operation = "UploadPart";
    const parts = [Buffer.alloc(FIRST_PART_BYTES, 0x61), Buffer.from("target-s3 check, part 2\n")];
    const etags: string[] = [];
    for (const [i, body] of parts.entries()) {
      const out = await client.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumber: i + 1, Body: body }));
      etags.push(out.ETag ?? "");
    }
    operation = "CompleteMultipartUpload";
    await client.send(
      new CompleteMultipartUploadCommand({
        Bucket: bucket,
        Key: key,
        UploadId: uploadId,
        MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) },
      }),
    );
    created.push(key);
    return { name: "multipart upload", status: "ok", what, detail: "ok" };
  } catch (error) {
    if (uploadId) {
      await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId })).catch(() => undefined);
    }
    const step = failed("multipart upload", what, error, operation);
    return { ...step, detail: step.detail.replace(/^failed: (\S+)/, `failed: $1 in ${s3ErrorFacts(error).operation ?? operation}`) };
  }
}

function finish(steps: CheckStep[], where: string): CheckResult {
  const bad = steps.filter((s) => s.status === "failed");
  const ok = bad.length === 0;
  const message = ok
    ? `target-s3 can write to ${where}: credentials, bucket, put object, multipart upload, list and delete all ok`
    : `target-s3 cannot write to ${where}: ` + bad.map((s) => `${s.name} ${s.detail}`).join("; ");
  return { ok, steps, message };
}
