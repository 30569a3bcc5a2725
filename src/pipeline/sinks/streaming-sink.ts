import { once } from "node:events";
import type { Writable } from "node:stream";
import type { Uploader, UploadReceipt } from "../../s3/uploader.js";
import { entryText, type SpoolEntry } from "../spool-entry.js";
import type { PartitionSink, SinkResult } from "./partition-sink.js";
import { FirstFailure } from "../first-failure.js";

/** Bytes of records gathered before one write to the upload stream. */
const CHUNK_BYTES = 1 << 20;

export interface StreamingSinkOptions {
  uploader: Uploader;
  key: string;
  contentType: string;
  gzip: boolean;
  jsonArray: boolean;
  /** XML: the record's JSON text → what is written (see xml-record.ts); undefined = the text itself. */
  encode?: ((text: string) => string) | undefined;
  /** Written before the first record and after the last (XML prologue and root element). */
  framing?: { head: string; tail: string } | undefined;
  signal: AbortSignal;
  onError: (error: unknown) => void;
  /** The stream's next free key, for a key another writer took first (uploader.ts); undefined with deterministic_keys. */
  nextKey?: (() => string) | undefined;
}

/**
 * JSON Lines, JSON and XML: the records' source text (XML: each record encoded on the way) streams straight into the upload (gzip in Node, parts uploaded
 * as soon as they fill), so nothing touches the local disk and upload overlaps reading. The object only exists
 * once `complete` has ended the stream and S3 has answered.
 */
export class StreamingSink implements PartitionSink {
  rows = 0;
  chars = 0;
  firstLine = 0;
  lastLine = 0;
  /** Records are encoded straight into this buffer (no joined string in between), sent when ~1 MiB is full. */
  private chunk: Buffer | undefined;
  private used = 0;
  private readonly input: Writable;
  private readonly done: Promise<UploadReceipt>;
  private readonly failure = new FirstFailure();
  private readonly partBytes: number;

  constructor(private readonly o: StreamingSinkOptions) {
    this.partBytes = o.uploader.streamPartSize(o);
    const { input, done } = o.uploader.uploadStream({
      key: o.key,
      contentType: o.contentType,
      gzip: o.gzip,
      jsonArray: o.jsonArray,
      signal: o.signal,
      nextKey: o.nextKey,
    });
    this.input = input;
    this.done = done;
    done.catch((error: unknown) => {
      if (this.failure.record(error)) o.onError(error);
    });
    // The first put fills an empty chunk: it never waits, so there is no promise to keep.
    if (o.framing) void this.put(o.framing.head);
  }

  get key(): string {
    return this.o.key;
  }

  /** Nothing to let go: the part being filled must reach the part size (S3's minimum) before it can be sent. */
  release(): void {}

  /** The part being filled (at most one part size) plus the chunk being filled and the upload's input buffer. */
  get heldBytes(): number {
    return Math.min(this.chars, this.partBytes) + 2 * CHUNK_BYTES;
  }

  append(entry: SpoolEntry, line: number): Promise<void> | undefined {
    const source = entryText(entry);
    const text = this.o.encode ? this.o.encode(source) : source;
    if (this.rows === 0) this.firstLine = line;
    this.lastLine = line;
    this.rows++;
    this.chars += text.length;
    return this.put(text);
  }

  /** Encodes text into the chunk being filled; sends the chunk first when the text does not fit. */
  private put(text: string): Promise<void> | undefined {
    // UTF-8 needs at most 3 bytes per UTF-16 code unit; only a very long string is measured exactly.
    const room = text.length * 3 > CHUNK_BYTES ? Buffer.byteLength(text) : text.length * 3;
    let wait: Promise<void> | undefined;
    if (this.chunk !== undefined && this.used + room > this.chunk.length) wait = this.writeChunk();
    const chunk = (this.chunk ??= Buffer.allocUnsafe(Math.max(CHUNK_BYTES, room)));
    this.used += chunk.write(text, this.used, "utf8");
    return wait;
  }

  async complete(): Promise<SinkResult> {
    if (this.o.framing) await this.put(this.o.framing.tail);
    await this.writeChunk();
    this.input.end();
    const receipt = await this.done;
    return { receipt, rows: this.rows };
  }

  async discard(): Promise<void> {
    this.failure.record(new Error("discarded"));
    this.input.destroy();
    await this.done.catch(() => undefined);
  }

  private writeChunk(): Promise<void> | undefined {
    if (this.failure.happened) return this.failure.rejection();
    const data = this.chunk?.subarray(0, this.used);
    // The buffer now belongs to the upload stream (the SDK gathers parts from it): the next records get a new one.
    this.chunk = undefined;
    this.used = 0;
    if (data === undefined || data.length === 0 || this.input.write(data)) return undefined;
    // Back-pressure: the upload is behind; wait until its buffer drains (or it fails).
    return Promise.race([once(this.input, "drain").then(() => undefined), this.done.then(() => undefined)]);
  }
}
