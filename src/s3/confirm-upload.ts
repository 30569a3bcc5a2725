import { createHash, type Hash } from "node:crypto";
import { HeadObjectCommand, type S3Client } from "@aws-sdk/client-s3";

/**
 * The ETag S3 gives an object uploaded from these bytes: the MD5 of the body for a single PutObject, or, for a
 * multipart upload in parts of `partSize` bytes (lib-storage cuts exactly there), the MD5 of the parts' binary MD5s
 * followed by `-<number of parts>`. Fed chunk by chunk as the body streams to the upload.
 */
export class ExpectedEtag {
  private readonly partDigests: Buffer[] = [];
  private part: Hash = createHash("md5");
  private partBytes = 0;
  private whole: Hash = createHash("md5");
  bytes = 0;

  constructor(private readonly partSize: number) {}

  update(chunk: Buffer): void {
    this.bytes += chunk.length;
    this.whole.update(chunk);
    let offset = 0;
    while (offset < chunk.length) {
      const take = Math.min(chunk.length - offset, this.partSize - this.partBytes);
      this.part.update(chunk.subarray(offset, offset + take));
      this.partBytes += take;
      offset += take;
      if (this.partBytes === this.partSize) {
        this.partDigests.push(this.part.digest());
        this.part = createHash("md5");
        this.partBytes = 0;
      }
    }
  }

  /**
   * The quoted ETags these bytes may have, once the whole body went through `update`: S3's (MD5 of the body, or the
   * multipart form) first; for a multipart upload also the MD5 of the whole body, which some S3-compatible stores
   * (s3rver among them) give multipart objects. Either one proves the same bytes.
   */
  etags(): string[] {
    const whole = `"${this.whole.copy().digest("hex")}"`;
    if (this.bytes < this.partSize) return [whole];
    const digests = this.partBytes > 0 ? [...this.partDigests, this.part.copy().digest()] : this.partDigests;
    return [`"${createHash("md5").update(Buffer.concat(digests)).digest("hex")}-${digests.length}"`, whole];
  }
}

export type Confirmation =
  | { stored: true; etag: string | undefined; exact: boolean }
  | { stored: false; reason: string };

/**
 * Asks the store whether `key` holds exactly these bytes (HeadObject: size, and ETag unless `etagIsMd5` is false, as
 * with SSE-KMS or SSE-C). Used when an upload failed after the whole body was sent: a CompleteMultipartUpload whose
 * answer was lost and whose retry got NoSuchUpload (AWS) or an error (other stores) although the object was made,
 * or a 412 PreconditionFailed under `If-None-Match: *` (deterministic keys: already written).
 */
export async function confirmUpload(
  client: S3Client,
  bucket: string,
  key: string,
  expected: { bytes: number; etags: string[] },
  options: { etagIsMd5: boolean; sizeIsEnough: boolean; signal?: AbortSignal },
): Promise<Confirmation> {
  let head;
  try {
    head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }), options.signal ? { abortSignal: options.signal } : {});
  } catch (error) {
    const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
    return { stored: false, reason: `HeadObject found no object (${e.name ?? "error"}${e.$metadata?.httpStatusCode ? `, HTTP ${e.$metadata.httpStatusCode}` : ""})` };
  }
  const size = head.ContentLength;
  if (size !== expected.bytes) return { stored: false, reason: `the object there has ${size ?? "unknown"} bytes, not ${expected.bytes}` };
  const exact = head.ETag !== undefined && expected.etags.includes(head.ETag);
  if (exact || !options.etagIsMd5 || options.sizeIsEnough) return { stored: true, etag: head.ETag, exact };
  return { stored: false, reason: `the object there has ETag ${head.ETag ?? "(none)"}, not ${expected.etags.join(" or ")}` };
}
