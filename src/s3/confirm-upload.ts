import { createHash, type Hash } from "node:crypto";
import { HeadObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { s3ErrorFacts } from "./error-facts.js";

/** What lib-storage records for each uploaded part (its `uploadedParts`). */
export interface UploadedPart {
  PartNumber?: number | undefined;
  ETag?: string | undefined;
}

/**
 * The ETag S3 gives an object uploaded from these bytes. lib-storage sends a body of at most `partSize` bytes as one
 * PutObject, whose ETag is the body's MD5: only those first bytes are hashed here. A longer body goes up as parts of
 * `partSize` bytes, and the object's ETag is the MD5 of the parts' binary MD5s followed by `-<number of parts>`; each
 * part's MD5 is the ETag S3 answered its UploadPart with, so the body is not hashed again on the main thread.
 */
export class ExpectedEtag {
  private readonly head: Hash = createHash("md5");
  bytes = 0;

  constructor(private readonly partSize: number) {}

  update(chunk: Buffer): void {
    if (this.bytes < this.partSize) this.head.update(this.bytes + chunk.length <= this.partSize ? chunk : chunk.subarray(0, this.partSize - this.bytes));
    this.bytes += chunk.length;
  }

  /**
   * The quoted ETag these bytes have once the whole body went through `update`, given the parts S3 acknowledged
   * (multipart). Empty when the parts cannot tell: one missing, or an ETag that is not an MD5 (SSE-KMS).
   */
  etags(parts: readonly UploadedPart[]): string[] {
    if (this.bytes <= this.partSize) return [`"${this.head.copy().digest("hex")}"`];
    const count = Math.ceil(this.bytes / this.partSize);
    const sorted = [...parts].sort((a, b) => (a.PartNumber ?? 0) - (b.PartNumber ?? 0));
    if (sorted.length !== count || sorted.some((p, i) => p.PartNumber !== i + 1)) return [];
    const digests: Buffer[] = [];
    for (const part of sorted) {
      const hex = /^"?([0-9a-fA-F]{32})"?$/.exec(part.ETag ?? "")?.[1];
      if (hex === undefined) return [];
      digests.push(Buffer.from(hex, "hex"));
    }
    return [`"${createHash("md5").update(Buffer.concat(digests)).digest("hex")}-${count}"`];
  }
}

export type Confirmation = { stored: true; etag: string | undefined } | { stored: false; reason: string };

/**
 * Asks the store whether `key` holds exactly these bytes (HeadObject: the same size and ETag). With SSE-KMS the ETag
 * is not an MD5, so no ETag is expected and the answer is no rather than a guess from the size. Used when an upload
 * failed after the whole body was sent: a CompleteMultipartUpload whose answer was lost and whose retry got
 * NoSuchUpload (AWS) or an error (other stores) although the object was made, or a 412 PreconditionFailed under
 * `If-None-Match: *` (deterministic keys: already written).
 */
export async function confirmUpload(
  client: S3Client,
  bucket: string,
  key: string,
  expected: { bytes: number; etags: string[] },
  options: { signal?: AbortSignal } = {},
): Promise<Confirmation> {
  let head;
  try {
    head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }), options.signal ? { abortSignal: options.signal } : {});
  } catch (error) {
    const { code, status } = s3ErrorFacts(error);
    return { stored: false, reason: `HeadObject found no object (${code}${status ? `, HTTP ${status}` : ""})` };
  }
  const size = head.ContentLength;
  if (size !== expected.bytes) return { stored: false, reason: `the object there has ${size ?? "unknown"} bytes, not ${expected.bytes}` };
  const exact = head.ETag !== undefined && expected.etags.includes(head.ETag);
  if (exact) return { stored: true, etag: head.ETag };
  const wanted =
    expected.etags.length > 0 ? `not ${expected.etags.join(" or ")}` : "and no ETag was expected (SSE-KMS, or the parts S3 acknowledged do not tell)";
  return { stored: false, reason: `the object there has ETag ${head.ETag ?? "(none)"}, ${wanted}` };
}
