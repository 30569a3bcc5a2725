import { createHash } from "node:crypto";
import { S3Client, type S3ClientConfig } from "@aws-sdk/client-s3";
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from "@aws-sdk/types";
import type { Settings } from "../config/settings.js";
import { httpHandler, nameSilentEndpoint } from "./request-timeout.js";

export interface ClientOptions {
  region: string;
  endpoint: string | undefined;
  forcePathStyle: boolean | undefined;
  credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider | undefined;
  maxRetries: number;
  /** A request silent this long is given up (and retried). */
  requestTimeoutSeconds: number;
  /** Send Content-MD5 with every PutObject and UploadPart (buckets with Object Lock require it). */
  contentMd5?: boolean;
}

/** The client options a run (or `check`) uses for these settings and resolved credentials. */
export function clientOptionsOf(settings: Settings, credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider | undefined): ClientOptions {
  return {
    region: settings.aws_region,
    endpoint: settings.aws_endpoint,
    forcePathStyle: settings.force_path_style,
    credentials,
    maxRetries: settings.max_retries,
    requestTimeoutSeconds: settings.s3_request_timeout_seconds,
    contentMd5: settings.content_md5,
  };
}

/**
 * One S3 client per run. With a custom endpoint (MinIO, R2, Ceph, s3rver) checksums are computed only when an
 * operation requires them: those stores mis-store or reject the aws-chunked bodies the SDK sends otherwise.
 */
export function createS3Client(options: ClientOptions): S3Client {
  const custom = options.endpoint !== undefined && options.endpoint !== "";
  const config: S3ClientConfig = {
    region: options.region,
    maxAttempts: options.maxRetries + 1,
    retryMode: "adaptive",
    requestHandler: httpHandler(options.requestTimeoutSeconds),
  };
  if (options.credentials) config.credentials = options.credentials;
  if (custom && options.endpoint) {
    config.endpoint = options.endpoint;
    config.forcePathStyle = options.forcePathStyle ?? true;
    config.requestChecksumCalculation = "WHEN_REQUIRED";
    config.responseChecksumValidation = "WHEN_REQUIRED";
  } else if (options.forcePathStyle !== undefined) {
    config.forcePathStyle = options.forcePathStyle;
  }
  const client = new S3Client(config);
  nameSilentEndpoint(client, custom && options.endpoint ? options.endpoint : `the S3 endpoint of ${options.region}`, options.requestTimeoutSeconds);
  // Errors carry the operation that failed (`$command`), so messages can name the IAM action to grant.
  client.middlewareStack.add(
    (next, context) => async (args) => {
      try {
        return await next(args);
      } catch (error) {
        if (error !== null && typeof error === "object" && context.commandName) {
          Object.assign(error, { $command: String(context.commandName).replace(/Command$/, "") });
        }
        throw error;
      }
    },
    { step: "initialize", name: "targetS3CommandNameOnError", priority: "high" },
  );
  if (options.contentMd5) {
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const input = args.input as { Body?: unknown; ContentMD5?: string };
        const name = String(context.commandName);
        if ((name === "PutObjectCommand" || name === "UploadPartCommand") && input.ContentMD5 === undefined) {
          const body = input.Body;
          if (typeof body === "string" || body instanceof Uint8Array) {
            input.ContentMD5 = createHash("md5").update(body).digest("base64");
          }
        }
        return next(args);
      },
      { step: "initialize", name: "targetS3ContentMd5" },
    );
  }
  return client;
}
