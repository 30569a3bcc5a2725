/** What to grant when S3 says no: the IAM action behind each S3 operation, and the resource ARN to grant it on. */

export interface S3ErrorFacts {
  /** S3 error code (AccessDenied, NoSuchBucket, SlowDown, ...) or the SDK error name. */
  code: string;
  status: number | undefined;
  /** The operation that failed (PutObject, UploadPart, ...), when known. */
  operation: string | undefined;
  message: string;
  attempts: number | undefined;
}

/** Reads the facts out of an SDK error (the S3 client tags errors with `$command`, see client.ts). */
export function s3ErrorFacts(error: unknown): S3ErrorFacts {
  const e = (error ?? {}) as {
    name?: string;
    Code?: string;
    message?: string;
    $command?: string;
    $metadata?: { httpStatusCode?: number; attempts?: number };
  };
  let code = e.Code ?? e.name ?? "Error";
  const status = e.$metadata?.httpStatusCode;
  // HEAD answers have no body: the SDK names them after the status.
  if (code === "NotFound" && e.$command === "HeadBucket") code = "NoSuchBucket";
  if (code === "Forbidden" || ((code === "UnknownError" || code === "Unknown") && status === 403)) code = "AccessDenied";
  return {
    code,
    status,
    operation: e.$command,
    message: e.message ?? String(error),
    attempts: e.$metadata?.attempts,
  };
}

export interface ObjectGrantContext {
  tags?: boolean;
  acl?: boolean;
  kms?: boolean;
}

/** The IAM actions an S3 operation needs (object writes need more when tags, ACLs or KMS are in play). */
export function iamActionsFor(operation: string | undefined, context: ObjectGrantContext = {}): string[] {
  switch (operation) {
    case "PutObject":
    case "CreateMultipartUpload":
    case "UploadPart":
    case "CompleteMultipartUpload": {
      const actions = ["s3:PutObject"];
      if (context.tags) actions.push("s3:PutObjectTagging");
      if (context.acl) actions.push("s3:PutObjectAcl");
      if (context.kms) actions.push("kms:GenerateDataKey", "kms:Decrypt");
      return actions;
    }
    case "AbortMultipartUpload":
      return ["s3:AbortMultipartUpload"];
    case "HeadBucket":
    case "ListObjects":
    case "ListObjectsV2":
      return ["s3:ListBucket"];
    case "DeleteObject":
    case "DeleteObjects":
      return ["s3:DeleteObject"];
    case "GetObject":
    case "HeadObject":
      return ["s3:GetObject"];
    case "GetBucketLocation":
      return ["s3:GetBucketLocation"];
    default:
      return ["s3:PutObject"];
  }
}

/** `aws`, or `aws-cn` / `aws-us-gov` for those regions. */
export function partitionOf(region: string): string {
  if (region.startsWith("cn-")) return "aws-cn";
  if (region.startsWith("us-gov-")) return "aws-us-gov";
  return "aws";
}

/** The ARN a grant names: the bucket for bucket-level actions, else `bucket/prefix*`. */
export function grantResource(operation: string | undefined, bucket: string, keyPrefix: string, region = "us-east-1"): string {
  const arn = `arn:${partitionOf(region)}:s3:::${bucket}`;
  if (operation === "HeadBucket" || operation === "ListObjects" || operation === "ListObjectsV2" || operation === "GetBucketLocation") {
    return arn;
  }
  return `${arn}/${keyPrefix}*`;
}

/** `grant s3:PutObject on arn:aws:s3:::bucket/prefix*` (KMS actions name the key instead). */
export function grantHint(
  operation: string | undefined,
  bucket: string,
  keyPrefix: string,
  region: string,
  context: ObjectGrantContext & { kmsKeyId?: string | undefined } = {},
): string {
  const actions = iamActionsFor(operation, context);
  const s3Actions = actions.filter((a) => a.startsWith("s3:"));
  const kmsActions = actions.filter((a) => a.startsWith("kms:"));
  let hint = `grant ${s3Actions.join(", ")} on ${grantResource(operation, bucket, keyPrefix, region)}`;
  if (kmsActions.length > 0) hint += ` and ${kmsActions.join(", ")} on ${context.kmsKeyId ?? "the bucket's KMS key"}`;
  return hint;
}

/** The folder of a key with a trailing slash (`a/b/c.csv` → `a/b/`), for grants. */
export function folderOf(key: string): string {
  const slash = key.lastIndexOf("/");
  return slash >= 0 ? key.slice(0, slash + 1) : "";
}

/** S3 errors that pass: 5xx, throttling, timeouts and connection resets (the SDK retries them with backoff). */
export function isRetryableS3Error(facts: Pick<S3ErrorFacts, "code" | "status">): boolean {
  if (facts.status !== undefined && (facts.status >= 500 || facts.status === 429)) return true;
  return [
    "SlowDown",
    "Throttling",
    "ThrottlingException",
    "RequestTimeout",
    "RequestTimeTooSkewed",
    "TimeoutError",
    "ECONNRESET",
    "EPIPE",
    "ETIMEDOUT",
    "InternalError",
    "ServiceUnavailable",
  ].includes(facts.code);
}
