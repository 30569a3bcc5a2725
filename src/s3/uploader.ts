import { createReadStream } from "node:fs";
import { PassThrough, type Readable, type Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGzip } from "node:zlib";
import { AbortMultipartUploadCommand, CompleteMultipartUploadCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { UploadError } from "../errors.js";
import { ConditionalWrites, isConditionNotImplemented, isPreconditionFailed } from "./conditional-writes.js";
import { confirmUpload, ExpectedEtag } from "./confirm-upload.js";
import { isRetryableS3Error, s3ErrorFacts } from "./error-facts.js";
import { folderOf, grantHint } from "./iam.js";
import { jsonArrayFraming } from "./json-array-framing.js";
import { abortOrphanUploads } from "./orphan-uploads.js";
import type { ObjectOptions } from "./object-options.js";
import { uploadInternals } from "./upload-internals.js";

export interface UploadRequest {
  localPath: string;
  key: string;
  contentType: string;
  gzip: boolean;
  /** Wrap JSON lines into one JSON array (file_type json). */
  jsonArray: boolean;
  signal: AbortSignal;
  /**
   * The next free key of this file's stream (its next part number), for a run-unique key another writer took first
   * (If-None-Match: * answered 412). Undefined where the key is the file's identity (deterministic_keys).
   */
  nextKey?: (() => string) | undefined;
}

export interface UploadReceipt {
  key: string;
  etag: string | undefined;
  bytes: number;
}

const MAX_PARTS = 10_000;
/** How many further part numbers a file taken at its key tries before the run fails. */
const MAX_NEXT_KEYS = 20;
const MAX_PART_SIZE = 5 * 1024 * 1024 * 1024;

/** What an upload that failed at its last request still has to retry with. */
interface Leftovers {
  upload: Upload;
  request: Omit<UploadRequest, "localPath">;
  /** Whether the upload was sent with If-None-Match: *. */
  conditional: boolean;
  /** The whole body when it went up as one PutObject (kept for a retry), else undefined. */
  body: Buffer | undefined;
  expected: { bytes: number; etags: string[] };
  /** Set once the multipart upload was completed here: nothing is left to abort. */
  completed?: boolean;
}

/**
 * The part size for a local file of `fileBytes`: the configured size, raised so 10,000 parts cover what is sent
 * (gzip can grow incompressible data slightly; JSON array framing adds up to one byte per line).
 */
export function partSizeFor(fileBytes: number, configured: number, framing: { gzip: boolean; jsonArray: boolean }): number {
  const growth = framing.jsonArray ? 1.6 : 1.1;
  const sent = fileBytes * growth + (framing.gzip ? 64 * 1024 : 0);
  return Math.min(MAX_PART_SIZE, Math.max(configured, Math.ceil(sent / MAX_PARTS)));
}

/** Streams a local file (gzipped in Node when asked) into one S3 object; multipart for large files. */
export class Uploader {
  constructor(
    private readonly client: S3Client,
    readonly bucket: string,
    private readonly options: ObjectOptions,
    private readonly partSize: number,
    private readonly concurrency: number,
    /** For the grant hint in error messages. */
    private readonly region = "us-east-1",
  ) {}

  /** Uploads a local file (gzipped / framed on the way when asked). */
  async upload(request: UploadRequest, fileBytes: number): Promise<UploadReceipt> {
    // 10,000 parts must cover the file: raise the part size for very large files.
    const partSize = partSizeFor(fileBytes, this.partSize, { gzip: request.gzip, jsonArray: request.jsonArray });
    const { input, done } = this.start(request, partSize);
    createReadStream(request.localPath).pipe(input);
    return done;
  }

  /** Starts an upload fed by writing to `input` (data streams straight to S3); `done` settles when S3 answers. */
  uploadStream(request: Omit<UploadRequest, "localPath">, sizeHint?: number): { input: Writable; done: Promise<UploadReceipt> } {
    return this.start(request, this.streamPartSize(request, sizeHint));
  }

  /** The part size of `uploadStream`: with an upper bound of the size, parts grow so 10,000 of them hold it. */
  streamPartSize(framing: { gzip: boolean; jsonArray: boolean }, sizeHint?: number): number {
    return sizeHint === undefined ? this.partSize : partSizeFor(sizeHint, this.partSize, framing);
  }

  private start(request: Omit<UploadRequest, "localPath">, partSize: number): { input: Writable; done: Promise<UploadReceipt> } {
    let bytes = 0;
    const input = new PassThrough({ highWaterMark: 1 << 20 });
    const counter = new PassThrough();
    // The ETag S3 will give these bytes: lets a failed upload whose object exists anyway be confirmed (confirm-upload.ts).
    const expected = new ExpectedEtag(partSize);
    const conditional = this.options.IfNoneMatch === "*" && (this.conditionalWrites?.enabled ?? true);
    // A body that fits one PutObject is kept (lib-storage buffers it anyway): a 412 or a 501 to If-None-Match is
    // then retried at another key or without the header; a multipart body is not kept (its parts stay on S3).
    let kept: Buffer[] | undefined = conditional ? [] : undefined;
    counter.on("data", (chunk: Buffer) => {
      bytes += chunk.length;
      expected.update(chunk);
      if (kept && bytes <= partSize) kept.push(chunk);
      else kept = undefined;
    });
    let sourceDone = false;
    const stages: Array<NodeJS.ReadableStream | NodeJS.WritableStream> = [input];
    if (request.jsonArray) stages.push(jsonArrayFraming());
    if (request.gzip) stages.push(createGzip({ level: 6 }));
    stages.push(counter);
    const source = pipeline(stages as unknown as [Readable, ...NodeJS.WritableStream[]]).then(() => {
      sourceDone = true;
    });

    const upload = new Upload({
      client: conditional ? this.checkingBeforeComplete(request.key, request.signal) : this.client,
      params: { Bucket: this.bucket, Key: request.key, Body: counter, ContentType: request.contentType, ...this.optionsFor(conditional) },
      partSize,
      queueSize: this.concurrency,
      // We abort ourselves (abortMultipart): lib-storage would throw the abort's own error instead of the failure's.
      leavePartsOnError: true,
    });
    const onAbort = (): void => {
      input.destroy(new Error("aborted"));
      void upload.abort().catch(() => undefined);
    };
    request.signal.addEventListener("abort", onAbort, { once: true });
    const startedAt = new Date();
    const done = Promise.all([upload.done(), source]).then(
      async ([result]) => {
        await this.abortRetriedCreates(upload, request.key, startedAt);
        const etag = "ETag" in result ? result.ETag : undefined;
        if (etag) return { key: request.key, etag, bytes };
        const internals = uploadInternals(upload);
        const operation = internals.uploadId === undefined ? "PutObject" : "CompleteMultipartUpload";
        return this.confirmWithoutEtag(request.key, operation, { bytes, etags: expected.etags(internals.uploadedParts) });
      },
      async (error: unknown) => {
        await this.abortRetriedCreates(upload, request.key, startedAt);
        let left: Leftovers | undefined;
        if (sourceDone && !request.signal.aborted) {
          const single = uploadInternals(upload).uploadId === undefined;
          const body = single && kept ? Buffer.concat(kept) : undefined;
          const etags = expected.etags(uploadInternals(upload).uploadedParts);
          left = { upload, request, conditional, body, expected: { bytes, etags } };
          try {
            const rescued = await this.rescue(error, left);
            if (rescued) return rescued;
          } catch (later) {
            error = later;
          }
        }
        input.destroy();
        counter.destroy();
        void upload.abort().catch(() => undefined);
        const abortNote = left?.completed ? undefined : await this.abortMultipart(upload, request.key);
        if (error instanceof UploadError)
          throw abortNote ? new UploadError(`${error.message}; ${abortNote}`, this.bucket, error.key, error.code, { cause: error }) : error;
        throw this.describe(error, request.key, abortNote, request.nextKey !== undefined && uploadInternals(upload).uploadId !== undefined);
      },
    );
    void done.finally(() => request.signal.removeEventListener("abort", onAbort)).catch(() => undefined);
    return { input, done };
  }

  /**
   * The client lib-storage uploads with, asking HeadObject before CompleteMultipartUpload: a key already taken is
   * refused as a 412 there, also by stores that ignore If-None-Match on Complete (Ceph 16, s3rver). The header still
   * goes with the Complete and closes the moment between the two where the store honours it.
   */
  private checkingBeforeComplete(key: string, signal: AbortSignal): S3Client {
    const { client, bucket } = this;
    return new Proxy(client, {
      get(target, prop, receiver): unknown {
        if (prop !== "send") return Reflect.get(target, prop, receiver) as unknown;
        const send = target.send.bind(target) as (command: unknown, options?: unknown) => Promise<unknown>;
        return async (command: unknown, options?: unknown): Promise<unknown> => {
          if (command instanceof CompleteMultipartUploadCommand && (await keyExists(client, bucket, key, signal))) throw keyTaken();
          return send(command, options);
        };
      },
    });
  }

  /** The object options of one upload: without If-None-Match when the upload is not conditional. */
  private optionsFor(conditional: boolean): ObjectOptions {
    if (conditional) return this.options;
    const { IfNoneMatch: _dropped, ...plain } = this.options;
    return plain;
  }

  /**
   * After the whole body was sent and the last request failed: a store that does not implement If-None-Match gets
   * the same write without it (the kept body, or the parts that stay uploaded); an object that turns out stored
   * counts; a run-unique key another writer took goes to the next part number when the body was kept. Undefined
   * when nothing helps (the original error stands); throws what a retry failed with.
   */
  private async rescue(error: unknown, left: Leftovers): Promise<UploadReceipt | undefined> {
    const facts = s3ErrorFacts(error);
    if (left.conditional && isConditionNotImplemented(facts)) {
      this.conditionalWrites?.refuse(facts);
      return this.writePlain(left);
    }
    const confirmed = await this.confirmStored(left.request.key, error, left.expected);
    if (confirmed) return confirmed;
    if (left.conditional && isPreconditionFailed(facts) && left.request.nextKey && left.body) return this.putElsewhere(left, left.body, left.request.nextKey);
    return undefined;
  }

  /** The write again without If-None-Match: PutObject of the kept body, or CompleteMultipartUpload of the parts. */
  private async writePlain(left: Leftovers): Promise<UploadReceipt | undefined> {
    const { key, signal, contentType } = left.request;
    const uploadId = uploadInternals(left.upload).uploadId;
    const plain = this.optionsFor(false);
    let etag: string | undefined;
    if (uploadId !== undefined) {
      const parts = [...uploadInternals(left.upload).uploadedParts].sort((a, b) => (a.PartNumber ?? 0) - (b.PartNumber ?? 0));
      const out = await this.client.send(
        new CompleteMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId, MultipartUpload: { Parts: parts } }),
        { abortSignal: signal },
      );
      etag = out.ETag;
      left.completed = true;
    } else if (left.body) {
      const out = await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: left.body, ContentType: contentType, ...plain }), {
        abortSignal: signal,
      });
      etag = out.ETag;
    } else {
      return undefined;
    }
    if (etag) return { key, etag, bytes: left.expected.bytes };
    return this.confirmWithoutEtag(key, uploadId === undefined ? "PutObject" : "CompleteMultipartUpload", left.expected);
  }

  /** The kept body under the stream's next free part number (If-None-Match: * again; a taken one moves on). */
  private async putElsewhere(left: Leftovers, body: Buffer, nextKey: () => string): Promise<UploadReceipt> {
    const { key, signal, contentType } = left.request;
    let last: unknown;
    for (let attempt = 0; attempt < MAX_NEXT_KEYS; attempt++) {
      const next = nextKey();
      try {
        const out = await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: next, Body: body, ContentType: contentType, ...this.options }), {
          abortSignal: signal,
        });
        this.onWarning?.(
          key,
          `another writer stored an object under this key first (If-None-Match: * answered 412): this file was written to s3://${this.bucket}/${next} instead`,
        );
        if (out.ETag) return { key: next, etag: out.ETag, bytes: left.expected.bytes };
        return await this.confirmWithoutEtag(next, "PutObject", left.expected);
      } catch (error) {
        if (error instanceof UploadError) throw error;
        if (!isPreconditionFailed(s3ErrorFacts(error))) throw this.describe(error, next);
        // A 412 to our own retried PutObject (the first answer lost) is this very object.
        const confirmed = await this.confirmStored(next, error, left.expected);
        if (confirmed) return confirmed;
        last = error;
      }
    }
    throw this.describe(last, key);
  }

  /**
   * The whole body was sent but the upload failed: a CompleteMultipartUpload whose answer was lost and whose retry
   * found the upload gone (NoSuchUpload on AWS, an error on other stores), or a 412 under If-None-Match: * (an
   * earlier run wrote this deterministic key). HeadObject decides: the same size and ETag mean the object holds
   * exactly these bytes, so it counts as stored; anything else keeps the original error.
   */
  private async confirmStored(key: string, error: unknown, expected: { bytes: number; etags: string[] }): Promise<UploadReceipt | undefined> {
    const facts = s3ErrorFacts(error);
    const check = await this.confirm(key, expected);
    if (!check.stored) return undefined;
    if (isPreconditionFailed(facts)) this.onConfirmed?.(key, `already written (If-None-Match: * answered ${facts.code} and the object there is identical)`);
    else this.onConfirmed?.(key, `stored although the upload reported ${facts.code} (HeadObject found the object with the expected size and ETag)`);
    return { key, etag: check.etag, bytes: expected.bytes };
  }

  /**
   * CompleteMultipartUpload answered 200 without an ETag (Ceph 16 does): HeadObject must find exactly these bytes
   * (size and ETag) before the object counts as stored, so the receipt and the manifest carry the stored ETag.
   */
  private async confirmWithoutEtag(key: string, operation: string, expected: { bytes: number; etags: string[] }): Promise<UploadReceipt> {
    const check = await this.confirm(key, expected);
    if (check.stored) return { key, etag: check.etag, bytes: expected.bytes };
    if (this.kms) return { key, etag: undefined, bytes: expected.bytes };
    throw new UploadError(
      `upload of s3://${this.bucket}/${key}: ${operation} answered without an ETag, and HeadObject does not find the bytes sent: ${check.reason}; ` +
        "the object is not counted as stored: run again, and check whether another writer uses the same keys",
      this.bucket,
      key,
      "EtagMismatch",
    );
  }

  /** HeadObject: does `key` hold these bytes? Under SSE-KMS the ETag is not an MD5 of the bytes: no ETag is expected, so nothing is confirmed. */
  private confirm(key: string, expected: { bytes: number; etags: string[] }): ReturnType<typeof confirmUpload> {
    return confirmUpload(this.client, this.bucket, key, { bytes: expected.bytes, etags: this.kms ? [] : expected.etags });
  }

  private get kms(): boolean {
    return this.options.ServerSideEncryption === "aws:kms";
  }

  /** Told when a failed-looking upload turned out stored (logged by the caller). */
  onConfirmed: ((key: string, how: string) => void) | undefined;

  /** Told what went wrong that the run survives (logged by the caller as a warning). */
  onWarning: ((key: string, message: string) => void) | undefined;

  /** Whether the store honours If-None-Match: *, shared by the run's uploaders; undefined: assume it does. */
  conditionalWrites: ConditionalWrites | undefined;

  /** When CreateMultipartUpload needed more than one attempt, aborts the uploads the lost attempts opened. */
  private async abortRetriedCreates(upload: Upload, key: string, startedAt: Date): Promise<void> {
    const answer = uploadInternals(upload).createMultipartAnswer;
    if (!answer) return;
    const attempts = await answer.then(
      (out) => out.$metadata.attempts ?? 1,
      (error: unknown) => s3ErrorFacts(error).attempts ?? 1,
    );
    if (attempts <= 1) return;
    const { note } = await abortOrphanUploads(this.client, this.bucket, key, uploadInternals(upload).uploadId, startedAt);
    if (note) this.onWarning?.(key, note);
  }

  /**
   * Aborts the multipart upload lib-storage started, once its part uploaders have stopped, so no parts are left
   * behind (billed, invisible). Returns a note when the abort itself failed; the upload's own error stays the error.
   */
  private async abortMultipart(upload: Upload, key: string): Promise<string | undefined> {
    const internals = uploadInternals(upload);
    await Promise.allSettled(internals.concurrentUploaders);
    const uploadId = uploadInternals(upload).uploadId;
    if (uploadId === undefined) return undefined;
    try {
      await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId }));
      return undefined;
    } catch (error) {
      const facts = s3ErrorFacts(error);
      return `aborting its multipart upload also failed (${facts.code}): let a bucket lifecycle rule (AbortIncompleteMultipartUpload) remove the parts, or grant s3:AbortMultipartUpload`;
    }
  }

  /** One sentence: which object, which S3 code and operation, and what to do (grant, check settings, retry later). */
  describe(error: unknown, key: string, abortNote?: string, multipartTaken = false): UploadError {
    const facts = s3ErrorFacts(error);
    const status = facts.status;
    const where = facts.operation ? ` in ${facts.operation}` : "";
    let fix = "";
    const refused = ["InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken", "InvalidToken"].includes(facts.code);
    if (!refused && (facts.code === "AccessDenied" || facts.code === "AllAccessDisabled" || status === 403)) {
      fix = grantHint(facts.operation ?? "PutObject", this.bucket, folderOf(key), this.region, {
        tags: this.options.Tagging !== undefined,
        acl: this.options.ACL !== undefined,
        kms: this.kms,
        kmsKeyId: this.options.SSEKMSKeyId,
      });
    } else if (facts.code === "NoSuchBucket") fix = "check `bucket` and `aws_region`";
    else if (isPreconditionFailed(facts) && multipartTaken) {
      fix =
        "another writer stored an object under this key first, which is never overwritten (If-None-Match: *); this file went up as a multipart upload, " +
        "whose parts cannot move to another key, so it was aborted and nothing after the last printed STATE counts as stored: " +
        "give each concurrent run its own connection_run_id (or a key_template with {connection_run_id} and no fixed connection_run_id) and run again";
    } else if (isPreconditionFailed(facts)) {
      fix =
        "an object with other content is already stored under this key and is never overwritten (If-None-Match: *): " +
        "a run with the same connection_run_id wrote it; give each run its own connection_run_id, or delete the object if it is stale";
    } else if (refused) {
      fix = "the credentials were refused: check the keys, profile or role";
    } else if (isRetryableS3Error(facts)) {
      fix = `gave up after ${facts.attempts ?? 1} attempt(s): raise max_retries or try again later`;
    }
    const message =
      `upload of s3://${this.bucket}/${key} failed${where}: ${facts.code}${status ? ` (HTTP ${status})` : ""}${said(facts)}` +
      (fix ? `; ${fix}` : "") +
      (abortNote ? `; ${abortNote}` : "");
    return new UploadError(message, this.bucket, key, facts.code, { cause: error });
  }
}

/** Whether HeadObject finds an object at `key` (an error other than "not found" is left to the write itself). */
async function keyExists(client: S3Client, bucket: string, key: string, signal: AbortSignal): Promise<boolean> {
  try {
    await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: signal });
    return true;
  } catch {
    return false;
  }
}

/** The error a store honouring If-None-Match on CompleteMultipartUpload would have answered. */
function keyTaken(): Error {
  return Object.assign(new Error("HeadObject found an object at the key before CompleteMultipartUpload"), {
    name: "PreconditionFailed",
    Code: "PreconditionFailed",
    $metadata: { httpStatusCode: 412 },
    $command: "CompleteMultipartUpload",
  });
}

/** The store's own message, unless it said nothing (the SDK then reports "UnknownError" or the code again). */
function said(facts: { code: string; message: string }): string {
  return facts.message === "" || facts.message === "UnknownError" || facts.message === facts.code ? "" : `: ${facts.message}`;
}
