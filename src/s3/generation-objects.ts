/**
 * The S3 calls of the end-of-sync generation cleanup (Airbyte overwrite and truncate refreshes): list a stream's
 * prefix, read each object's user metadata, delete an object. Errors name the call, the key and, for AccessDenied,
 * the permission to grant.
 */
import { DeleteObjectCommand, HeadObjectCommand, ListObjectsV2Command, type S3Client } from "@aws-sdk/client-s3";
import { UploadError } from "../errors.js";

/** HEAD requests in flight at once while reading the metadata of a prefix's objects. */
const HEAD_CONCURRENCY = 8;

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
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < keys.length) {
      const key = keys[next++]!;
      const head = await s3Call(bucket, key, "head", () => client.send(new HeadObjectCommand({ Bucket: bucket, Key: key })));
      out.set(key, head.Metadata ?? {});
    }
  };
  await Promise.all(Array.from({ length: Math.min(HEAD_CONCURRENCY, keys.length) }, worker));
  return out;
}

export async function deleteObject(client: S3Client, bucket: string, key: string): Promise<void> {
  await s3Call(bucket, key, "delete", () => client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key })));
}

const PERMISSION: Record<string, string> = { list: "s3:ListBucket", head: "s3:GetObject", delete: "s3:DeleteObject" };

async function s3Call<T>(bucket: string, key: string, what: "list" | "head" | "delete", call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    const e = error as { name?: string; Code?: string; message?: string };
    const code = e.Code ?? e.name;
    const hint = code === "AccessDenied" ? ` (grant ${PERMISSION[what]} for overwrite and refreshed streams)` : "";
    throw new UploadError(`generation cleanup: ${what} of s3://${bucket}/${key} failed: ${code ?? "error"}: ${e.message ?? String(error)}${hint}`, bucket, key, code, { cause: error });
  }
}
