import { createReadStream } from "node:fs";
import { once } from "node:events";
import type { Writable } from "node:stream";
import { ParquetConcat, readPiece } from "../../parquet/parquet-concat.js";
import type { Uploader, UploadReceipt } from "../../s3/uploader.js";
import { FirstFailure } from "../first-failure.js";

/** Converted segments are read in 1 MiB chunks: each read costs the main thread, whatever its size. */
const READ_BYTES = 1 << 20;

export interface SegmentedUploadOptions {
  uploader: Uploader;
  key: string;
  contentType: string;
  gzip: boolean;
  parquet: boolean;
  /** An upper bound of the object's size, for the multipart part size (10,000 parts must hold it). */
  sizeHint: number;
  signal: AbortSignal;
  onError: (error: unknown) => void;
  /** The stream's next free key, for a key another writer took first (uploader.ts); undefined with deterministic_keys. */
  nextKey?: (() => string) | undefined;
}

/**
 * One object uploaded as a stream while its pieces are still being written: each converted segment file is
 * appended as it is ready (CSV: the files one after another, the header only in the first; Parquet: the row
 * groups of every piece, then one footer listing them all). The object exists only once `finish` has ended the
 * stream and S3 has answered.
 */
export class SegmentedUpload {
  private upload: { input: Writable; done: Promise<UploadReceipt> } | undefined;
  private readonly concat: ParquetConcat | undefined;
  private readonly failure = new FirstFailure();

  constructor(private readonly o: SegmentedUploadOptions) {
    this.concat = o.parquet ? new ParquetConcat() : undefined;
  }

  /** The size of the multipart parts the upload is cut into. */
  get partBytes(): number {
    return this.o.uploader.streamPartSize({ gzip: this.o.gzip, jsonArray: false }, this.o.sizeHint);
  }

  /** Appends a converted segment (once its bytes are in the upload stream, the file may be removed). */
  async append(path: string): Promise<void> {
    const first = this.upload === undefined;
    const upload = this.started();
    if (!this.concat) return this.copy(createReadStream(path, { highWaterMark: READ_BYTES }), upload);
    const piece = await readPiece(path);
    const range = this.concat.add(piece);
    if (first) await this.write(this.concat.header(), upload);
    await this.copy(createReadStream(path, { start: range.start, end: range.end - 1, highWaterMark: READ_BYTES }), upload);
  }

  async finish(): Promise<UploadReceipt> {
    const upload = this.started();
    if (this.concat) await this.write(this.concat.footer(), upload);
    upload.input.end();
    return upload.done;
  }

  /** Stops the upload (a multipart upload in progress is aborted) and waits for it to end. */
  async abort(): Promise<void> {
    this.failure.record(new Error("discarded"));
    if (!this.upload) return;
    this.upload.input.destroy();
    await this.upload.done.catch(() => undefined);
  }

  private started(): { input: Writable; done: Promise<UploadReceipt> } {
    if (this.upload) return this.upload;
    const { uploader, key, contentType, gzip, signal, sizeHint, nextKey } = this.o;
    this.upload = uploader.uploadStream({ key, contentType, gzip, jsonArray: false, signal, nextKey }, sizeHint);
    this.upload.done.catch((error: unknown) => {
      if (this.failure.record(error)) this.o.onError(error);
    });
    return this.upload;
  }

  private async copy(source: AsyncIterable<Buffer>, upload: { input: Writable; done: Promise<UploadReceipt> }): Promise<void> {
    for await (const chunk of source) await this.write(chunk, upload);
  }

  private async write(chunk: Buffer, upload: { input: Writable; done: Promise<UploadReceipt> }): Promise<void> {
    this.failure.throwIfAny();
    if (upload.input.write(chunk)) return;
    // Back-pressure: wait until the upload has taken the buffered bytes (or failed).
    await Promise.race([once(upload.input, "drain"), upload.done]);
    this.failure.throwIfAny();
  }
}
