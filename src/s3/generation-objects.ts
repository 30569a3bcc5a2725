/**
 * The S3 calls of the end-of-sync generation cleanup (Airbyte overwrite and truncate refreshes): list a stream's
 * prefix, read each object's user metadata, delete an object. Errors name the call, the key and, for AccessDenied,
 * the permission to grant.
 */
import { DeleteObjectCommand, HeadObjectCommand, ListObjectsV2Command, type S3Client } from "@aws-sdk/client-s3";
import { UploadError } from "../errors.js";

/** HEAD or DELETE requests in flight at once. */
const CONCURRENCY = 8;

/** Every key under `prefix` (all pages). */
export async function listKeys(client: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3Call(bucket, prefix, "list", () =>
      client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ...(token ? { ContinuationToken: token } : {}) })),
    );
    for (const o of page.Contents ?? []) if (o.Key !== undefined) keys.push(o.Key);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return keys;
}

/** The user metadata (`x-amz-meta-*`, names without the prefix, lower case) of each key, a few HEADs at a time. */
export async function readMetadata(client: S3Client, bucket: string, keys: readonly string[]): Promise<Map<string, Record<string, string>>> {
  const out = new Map<string, Record<string, string>>();
  await forEachLimited(keys, async (key) => {
    const head = await s3Call(bucket, key, "head", () => client.send(new HeadObjectCommand({ Bucket: bucket, Key: key })));
    out.set(key, head.Metadata ?? {});
  });
  return out;
}

/**
 * Deletes the keys, a few at a time. One DeleteObject per key rather than DeleteObjects: the batch call needs a
 * checksum header that several S3-compatible stores handle differently, and the count here is that of old files.
 */
export async function deleteObjects(client: S3Client, bucket: string, keys: readonly string[]): Promise<void> {
  await forEachLimited(keys, async (key) => {
    await s3Call(bucket, key, "delete", () => client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key })));
  });
}

async function forEachLimited(items: readonly string[], fn: (item: string) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, items.length) }, worker));
}

const PERMISSION: Record<string, string> = { list: "s3:ListBucket", head: "s3:GetObject", delete: "s3:DeleteObject" };

async function s3Call<T>(bucket: string, key: string, what: "list" | "head" | "delete", call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    const e = error as { name?: string; Code?: string; message?: string };
    const code = e.Code ?? e.name;
    const hint = code === "AccessDenied" ? ` (grant ${PERMISSION[what]} for overwrite and refreshed streams)` : "";
    throw new UploadError(
      `generation cleanup: ${what} of s3://${bucket}/${key} failed: ${code ?? "error"}: ${e.message ?? String(error)}${hint}`,
      bucket,
      key,
      code,
      { cause: error },
    );
  }
}
