import { S3Client, type S3ClientConfig } from "@aws-sdk/client-s3";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from "@aws-sdk/types";

export interface ClientOptions {
  region: string;
  endpoint: string | undefined;
  forcePathStyle: boolean | undefined;
  credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider | undefined;
  maxRetries: number;
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
    requestHandler: new NodeHttpHandler({ connectionTimeout: 10_000, requestTimeout: 300_000 }),
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
  return new S3Client(config);
}
