import { AbortMultipartUploadCommand, ListMultipartUploadsCommand, type S3Client } from "@aws-sdk/client-s3";
import { s3ErrorFacts } from "./error-facts.js";

/** Uploads of this key begun this long before ours still count as ours (clock skew between us and the store). */
const SKEW_MS = 5 * 60_000;

/**
 * A CreateMultipartUpload that was retried (its answer lost, or a reset after the store acted) may have opened
 * uploads nobody will complete or abort: billed, invisible parts. Lists the key's open uploads and aborts those
 * begun since our first attempt, except `keep` (the one the retry answered with). Returns a note when the store
 * could not be asked (s3rver answers 501; a missing s3:ListBucketMultipartUploads grant answers 403).
 */
export async function abortOrphanUploads(
  client: S3Client,
  bucket: string,
  key: string,
  keep: string | undefined,
  since: Date,
): Promise<{ aborted: string[]; note?: string }> {
  const aborted: string[] = [];
  try {
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    for (;;) {
      const page = await client.send(
        new ListMultipartUploadsCommand({
          Bucket: bucket,
          Prefix: key,
          ...(keyMarker !== undefined ? { KeyMarker: keyMarker } : {}),
          ...(uploadIdMarker !== undefined ? { UploadIdMarker: uploadIdMarker } : {}),
        }),
      );
      for (const upload of page.Uploads ?? []) {
        if (upload.Key !== key || !upload.UploadId || upload.UploadId === keep) continue;
        if (upload.Initiated && upload.Initiated.getTime() < since.getTime() - SKEW_MS) continue;
        await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: upload.UploadId }));
        aborted.push(upload.UploadId);
      }
      if (!page.IsTruncated) break;
      keyMarker = page.NextKeyMarker;
      uploadIdMarker = page.NextUploadIdMarker;
    }
    return { aborted };
  } catch (error) {
    const facts = s3ErrorFacts(error);
    return {
      aborted,
      note:
        `CreateMultipartUpload was retried, and target-s3 could not look for multipart uploads an earlier attempt may have left open ` +
        `(${facts.operation ?? "ListMultipartUploads"}: ${facts.code}${facts.status ? `, HTTP ${facts.status}` : ""}): grant s3:ListBucketMultipartUploads and ` +
        `s3:AbortMultipartUpload, or let a bucket lifecycle rule (AbortIncompleteMultipartUpload) remove them`,
    };
  }
}
