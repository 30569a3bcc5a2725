import { createReadStream } from "node:fs";
import { PassThrough, Transform, type Readable, type Writable } from "node:stream";
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

  /** Uploads a local file (gzipped / framed on the way when asked). */
  async upload(request: UploadRequest, fileBytes: number): Promise<UploadReceipt> {
    // 10,000 parts must cover the file: raise the part size for very large files.
    const partSize = Math.max(this.partSize, Math.ceil((fileBytes * 1.1) / MAX_PARTS));
    const { input, done } = this.start(request, partSize);
    createReadStream(request.localPath).pipe(input);
    return done;
  }

  /** Starts an upload fed by writing to `input` (records stream straight to S3); `done` settles when S3 answers. */
  uploadStream(request: Omit<UploadRequest, "localPath">): { input: Writable; done: Promise<UploadReceipt> } {
    return this.start(request, this.partSize);
  }

  private start(request: Omit<UploadRequest, "localPath">, partSize: number): { input: Writable; done: Promise<UploadReceipt> } {
    let bytes = 0;
    const input = new PassThrough({ highWaterMark: 1 << 20 });
    const counter = new PassThrough();
    counter.on("data", (chunk: Buffer) => (bytes += chunk.length));
    const stages: Array<NodeJS.ReadableStream | NodeJS.WritableStream> = [input];
    if (request.jsonArray) stages.push(jsonArrayFraming());
    if (request.gzip) stages.push(createGzip({ level: 6 }));
    stages.push(counter);
    const source = pipeline(stages as unknown as [Readable, ...NodeJS.WritableStream[]]);

    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key: request.key, Body: counter, ContentType: request.contentType, ...this.options },
      partSize,
      queueSize: this.concurrency,
      leavePartsOnError: false,
    });
    const onAbort = (): void => {
      input.destroy(new Error("aborted"));
      void upload.abort().catch(() => undefined);
    };
    request.signal.addEventListener("abort", onAbort, { once: true });
    const done = Promise.all([upload.done(), source]).then(
      ([result]) => ({ key: request.key, etag: "ETag" in result ? result.ETag : undefined, bytes }),
      (error: unknown) => {
        input.destroy();
        counter.destroy();
        void upload.abort().catch(() => undefined);
        throw this.describe(error, request.key);
      },
    );
    void done.finally(() => request.signal.removeEventListener("abort", onAbort)).catch(() => undefined);
    return { input, done };
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
