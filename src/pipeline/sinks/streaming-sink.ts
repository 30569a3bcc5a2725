import { once } from "node:events";
import type { Writable } from "node:stream";
import type { Uploader, UploadReceipt } from "../uploader.js";
import { entryText, type SpoolEntry } from "../spool-entry.js";
import { WRITE_CHUNK_CHARS, type PartitionSink, type SinkResult } from "./partition-sink.js";

export interface StreamingSinkOptions {
  uploader: Uploader;
  key: string;
  contentType: string;
  gzip: boolean;
  jsonArray: boolean;
  signal: AbortSignal;
  onError: (error: unknown) => void;
}

/**
 * JSON Lines and JSON: the records' source text streams straight into the upload (gzip in Node, parts uploaded
 * as soon as they fill), so nothing touches the local disk and upload overlaps reading. The object only exists
 * once `complete` has ended the stream and S3 has answered.
 */
export class StreamingSink implements PartitionSink {
  rows = 0;
  chars = 0;
  firstLine = 0;
  lastLine = 0;
  private parts: string[] = [];
  private partChars = 0;
  private readonly input: Writable;
  private readonly done: Promise<UploadReceipt>;
  private failure: unknown;
  private readonly partBytes: number;

  constructor(private readonly o: StreamingSinkOptions) {
    this.partBytes = o.uploader.streamPartSize(o);
    const { input, done } = o.uploader.uploadStream({ key: o.key, contentType: o.contentType, gzip: o.gzip, jsonArray: o.jsonArray, signal: o.signal });
    this.input = input;
    this.done = done;
    done.catch((error: unknown) => {
      if (this.failure === undefined) {
        this.failure = error;
        o.onError(error);
      }
    });
  }

  get key(): string {
    return this.o.key;
  }

  /** Nothing to let go: the part being filled must reach the part size (S3's minimum) before it can be sent. */
  release(): void {}

  /** The part being filled (at most one part size) plus the joined lines and the upload's input buffer. */
  get heldBytes(): number {
    return Math.min(this.chars, this.partBytes) + 2 * WRITE_CHUNK_CHARS;
  }

  append(entry: SpoolEntry, line: number): Promise<void> | undefined {
    const text = entryText(entry);
    if (this.rows === 0) this.firstLine = line;
    this.lastLine = line;
    this.rows++;
    this.chars += text.length;
    this.parts.push(text);
    this.partChars += text.length;
    if (this.partChars < WRITE_CHUNK_CHARS) return undefined;
    return this.writeParts();
  }

  async complete(): Promise<SinkResult> {
    await this.writeParts();
    this.input.end();
    const receipt = await this.done;
    return { receipt, rows: this.rows };
  }

  async discard(): Promise<void> {
    this.failure ??= new Error("discarded");
    this.input.destroy();
    await this.done.catch(() => undefined);
  }

  private writeParts(): Promise<void> | undefined {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    const data = this.parts.join("");
    this.parts = [];
    this.partChars = 0;
    if (data.length === 0 || this.input.write(data)) return undefined;
    // Back-pressure: the upload is behind; wait until its buffer drains (or it fails).
    return Promise.race([once(this.input, "drain").then(() => undefined), this.done.then(() => undefined)]);
  }
}
