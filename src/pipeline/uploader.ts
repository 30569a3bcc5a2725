import { createReadStream } from "node:fs";
import { PassThrough, Transform, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGzip } from "node:zlib";
import { StringDecoder } from "node:string_decoder";
import type { S3Client, PutObjectCommandInput } from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { UploadError } from "../errors.js";

/** Object options applied to every upload (SSE, storage class, ACL, tags, metadata). */
export type ObjectOptions = Pick<
  PutObjectCommandInput,
  "ServerSideEncryption" | "SSEKMSKeyId" | "StorageClass" | "ACL" | "Tagging" | "Metadata"
>;

export interface UploadRequest {
  localPath: string;
  key: string;
  contentType: string;
  gzip: boolean;
  /** Wrap JSON lines into one JSON array (file_type json). */
  jsonArray: boolean;
  signal: AbortSignal;
}

export interface UploadReceipt {
  key: string;
  etag: string | undefined;
  bytes: number;
}

const MAX_PARTS = 10_000;

/** Streams a local file (gzipped in Node when asked) into one S3 object; multipart for large files. */
export class Uploader {
  constructor(
    private readonly client: S3Client,
    readonly bucket: string,
    private readonly options: ObjectOptions,
    private readonly partSize: number,
    private readonly concurrency: number,
  ) {}

  async upload(request: UploadRequest, fileBytes: number): Promise<UploadReceipt> {
    let bytes = 0;
    const counter = new PassThrough();
    counter.on("data", (chunk: Buffer) => (bytes += chunk.length));
    const stages: Array<NodeJS.ReadableStream | NodeJS.WritableStream> = [createReadStream(request.localPath)];
    if (request.jsonArray) stages.push(jsonArrayFraming());
    if (request.gzip) stages.push(createGzip({ level: 6 }));
    stages.push(counter);
    const source = pipeline(stages as unknown as [Readable, ...NodeJS.WritableStream[]]);

    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key: request.key, Body: counter, ContentType: request.contentType, ...this.options },
      // 10,000 parts must cover the file: raise the part size for very large files.
      partSize: Math.max(this.partSize, Math.ceil((fileBytes * 1.1) / MAX_PARTS)),
      queueSize: this.concurrency,
      leavePartsOnError: false,
    });
    const onAbort = (): void => void upload.abort().catch(() => undefined);
    request.signal.addEventListener("abort", onAbort, { once: true });
    try {
      const [result] = await Promise.all([upload.done(), source]);
      return { key: request.key, etag: "ETag" in result ? result.ETag : undefined, bytes };
    } catch (error) {
      counter.destroy();
      throw this.describe(error, request.key);
    } finally {
      request.signal.removeEventListener("abort", onAbort);
    }
  }

  private describe(error: unknown, key: string): UploadError {
    const e = error as { name?: string; Code?: string; message?: string; $metadata?: { httpStatusCode?: number } };
    const code = e.Code ?? e.name;
    const status = e.$metadata?.httpStatusCode;
    const hint = code === "AccessDenied" ? " (grant s3:PutObject on the bucket and prefix)" : code === "NoSuchBucket" ? " (check `bucket` and `aws_region`)" : "";
    return new UploadError(
      `upload of s3://${this.bucket}/${key} failed: ${code ?? "error"}${status ? ` (HTTP ${status})` : ""}: ${e.message ?? String(error)}${hint}`,
      this.bucket,
      key,
      code,
      { cause: error },
    );
  }
}

/** JSON lines in, one JSON array out: `[` line `,` line … `]`. */
function jsonArrayFraming(): Transform {
  let first = true;
  let tail = "";
  const decoder = new StringDecoder("utf8");
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      const text = tail + decoder.write(chunk);
      const lastNl = text.lastIndexOf("\n");
      tail = text.slice(lastNl + 1);
      const body = text.slice(0, lastNl + 1);
      if (body.length === 0) return done();
      const lines = body.slice(0, -1).split("\n");
      let out = "";
      for (const line of lines) {
        out += (first ? "[\n" : ",\n") + line;
        first = false;
      }
      done(null, out);
    },
    flush(done) {
      tail += decoder.end();
      let out = tail.length > 0 ? (first ? "[\n" : ",\n") + tail : "";
      if (tail.length > 0) first = false;
      out += first ? "[]\n" : "\n]\n";
      done(null, out);
    },
  });
}
