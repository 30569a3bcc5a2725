/**
 * The one place that reads an AWS SDK error (S3 or STS): its code, HTTP status, operation and attempts. SDK errors
 * are plain objects with optional fields (`Code`, `name`, `$metadata`, and `$command`, which client.ts adds).
 */

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
