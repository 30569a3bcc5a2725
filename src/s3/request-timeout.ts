import type { S3Client } from "@aws-sdk/client-s3";
import type { STSClient } from "@aws-sdk/client-sts";
import { NodeHttpHandler } from "@smithy/node-http-handler";

/**
 * The HTTP handler of the S3 and STS clients. `socketTimeout` gives a request up once the connection has been
 * silent for `timeoutSeconds` (nothing received, nothing sent), as a TimeoutError the SDK retries under
 * max_retries; the handler's `requestTimeout` would only log a warning and wait forever.
 */
export function httpHandler(timeoutSeconds: number): NodeHttpHandler {
  return new NodeHttpHandler({ connectionTimeout: 10_000, socketTimeout: timeoutSeconds * 1000 });
}

/** The sentence for a request given up by httpHandler: which endpoint was silent, for how long, which setting. */
export function silentEndpointMessage(endpoint: string, timeoutSeconds: number): string {
  return `no answer from ${endpoint} for ${timeoutSeconds} s (s3_request_timeout_seconds): check the endpoint and the network, or raise s3_request_timeout_seconds`;
}

export function isRequestTimeout(error: unknown): boolean {
  return error !== null && typeof error === "object" && (error as { name?: unknown }).name === "TimeoutError";
}

/** Gives a client's timed-out requests (after every retry) the sentence of silentEndpointMessage. */
export function nameSilentEndpoint(client: S3Client | STSClient, endpoint: string, timeoutSeconds: number): void {
  (client as S3Client).middlewareStack.add(
    (next) => async (args) => {
      try {
        return await next(args);
      } catch (error) {
        if (isRequestTimeout(error)) Object.assign(error as object, { message: silentEndpointMessage(endpoint, timeoutSeconds) });
        throw error;
      }
    },
    { step: "initialize", name: "targetS3SilentEndpoint" },
  );
}
