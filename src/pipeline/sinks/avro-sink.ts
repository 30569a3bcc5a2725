import { once } from "node:events";
import type { Writable } from "node:stream";
import avro from "avsc";
import { InputError } from "../../errors.js";
import { avroTypeOptions } from "../../formats/avro-long.js";
import { compressBlock, containerBlock, containerHeader, newSyncMarker, type AvroCodec } from "../../formats/avro-container.js";
import type { AvroPlan } from "../../formats/avro-schema.js";
import { AvroValueError, recordConverter } from "../../formats/avro-value.js";
import type { Uploader, UploadReceipt } from "../../s3/uploader.js";
import { entryText, type SpoolEntry } from "../spool-entry.js";
import type { PartitionSink, SinkResult } from "./partition-sink.js";
import { FirstFailure } from "../first-failure.js";

/** Uncompressed bytes of records per Avro block (avsc's default block size). */
const BLOCK_BYTES = 64 * 1024;
/** Blocks being compressed (deflate in the thread pool) before appends wait. */
const MAX_BLOCKS_IN_FLIGHT = 4;

export interface AvroSinkOptions {
  uploader: Uploader;
  key: string;
  contentType: string;
  plan: AvroPlan;
  codec: AvroCodec;
  stream: string;
  signal: AbortSignal;
  onError: (error: unknown) => void;
  /** The stream's next free key, for a key another writer took first (uploader.ts); undefined with deterministic_keys. */
  nextKey?: (() => string) | undefined;
}

/** Per plan: compiling the avsc type and the converters once per stream schema, not per file. */
const compiled = new WeakMap<AvroPlan, { type: avro.Type; convert: (text: string) => Record<string, unknown> }>();

/**
 * Avro object container files: each record's JSON text (metadata, flattening, casing applied by the JSON encoder)
 * becomes an Avro value (exact: see avro-value.ts), is encoded by avsc into a 64 KiB block, and each full block is
 * compressed and streamed into the upload, in order. Memory: one block being filled, a few being compressed, the
 * upload's part.
 */
export class AvroSink implements PartitionSink {
  rows = 0;
  chars = 0;
  firstLine = 0;
  lastLine = 0;
  private readonly type: avro.Type;
  private readonly convert: (text: string) => Record<string, unknown>;
  private readonly sync = newSyncMarker();
  private block = Buffer.allocUnsafe(BLOCK_BYTES);
  private used = 0;
  private count = 0;
  /** Blocks go out in order: each waits for the one before it. */
  private sending: Promise<void> = Promise.resolve();
  private inFlight = 0;
  private readonly input: Writable;
  private readonly done: Promise<UploadReceipt>;
  private readonly failure = new FirstFailure();
  private readonly partBytes: number;

  constructor(private readonly o: AvroSinkOptions) {
    let c = compiled.get(o.plan);
    if (!c) {
      c = { type: avro.Type.forSchema(o.plan.schema as avro.Schema, avroTypeOptions()), convert: recordConverter(o.plan.fields) };
      compiled.set(o.plan, c);
    }
    this.type = c.type;
    this.convert = c.convert;
    const framing = { gzip: false, jsonArray: false };
    this.partBytes = o.uploader.streamPartSize(framing);
    const { input, done } = o.uploader.uploadStream({ key: o.key, contentType: o.contentType, ...framing, signal: o.signal, nextKey: o.nextKey });
    this.input = input;
    this.done = done;
    done.catch((error: unknown) => this.fail(error));
    this.input.write(containerHeader(o.plan.schema, o.codec, this.sync));
  }

  get key(): string {
    return this.o.key;
  }

  release(): void {}

  /** The part being filled, the block being filled and those being compressed. */
  get heldBytes(): number {
    return Math.min(this.chars, this.partBytes) + (1 + MAX_BLOCKS_IN_FLIGHT) * BLOCK_BYTES + (1 << 20);
  }

  append(entry: SpoolEntry, line: number): Promise<void> | undefined {
    if (this.failure.happened) return this.failure.rejection();
    const text = entryText(entry);
    let value: Record<string, unknown>;
    try {
      value = this.convert(text);
    } catch (error) {
      throw this.describe(error, line);
    }
    if (this.rows === 0) this.firstLine = line;
    this.lastLine = line;
    this.rows++;
    this.chars += text.length;
    let wait: Promise<void> | undefined;
    let end = this.encode(value, line);
    if (end < 0) {
      wait = this.flushBlock();
      if (-end > this.block.length) this.block = Buffer.allocUnsafe(-end * 2);
      end = this.encode(value, line);
    }
    this.used = end;
    this.count++;
    if (this.used >= BLOCK_BYTES) wait = this.flushBlock() ?? wait;
    return wait;
  }

  async complete(): Promise<SinkResult> {
    await this.flushBlock();
    await this.sending;
    this.failure.throwIfAny();
    this.input.end();
    const receipt = await this.done;
    return { receipt, rows: this.rows };
  }

  async discard(): Promise<void> {
    this.failure.record(new Error("discarded"));
    this.input.destroy();
    await this.done.catch(() => undefined);
  }

  /** The position after the encoded value, or minus the bytes it needs when the block has no room. */
  private encode(value: Record<string, unknown>, line: number): number {
    try {
      const end = this.type.encode(value, this.block, this.used);
      // avsc returns the (negative) count of bytes missing: turn it into minus the value's whole size.
      return end < 0 ? -(this.block.length - end - this.used) : end;
    } catch (error) {
      throw this.describe(error, line);
    }
  }

  /** Hands the filled block to compression; returns a promise when too many blocks are still on their way. */
  private flushBlock(): Promise<void> | undefined {
    if (this.count === 0) return undefined;
    const raw = this.block.subarray(0, this.used);
    const count = this.count;
    this.block = Buffer.allocUnsafe(BLOCK_BYTES);
    this.used = 0;
    this.count = 0;
    this.inFlight++;
    const compressed = compressBlock(this.o.codec, raw);
    compressed.catch(() => undefined);
    this.sending = this.sending.then(async () => {
      const data = await compressed;
      this.inFlight--;
      if (this.failure.happened) return;
      if (!this.input.write(containerBlock(count, data, this.sync))) {
        await Promise.race([once(this.input, "drain"), this.done]);
      }
    });
    this.sending.catch((error: unknown) => this.fail(error));
    return this.inFlight >= MAX_BLOCKS_IN_FLIGHT ? this.sending.catch(() => undefined).then(() => this.rethrow()) : undefined;
  }

  private rethrow(): void {
    this.failure.throwIfAny();
  }

  private fail(error: unknown): void {
    if (this.failure.record(error)) this.o.onError(error);
  }

  private describe(error: unknown, line: number): unknown {
    const reason = error instanceof Error ? error.message : String(error);
    if (!(error instanceof AvroValueError) && !/invalid/i.test(reason)) return error;
    return new InputError(
      `record for stream '${this.o.stream}' cannot be written as Avro: ${reason}; fix the tap or its SCHEMA, or use another file_type`,
      line,
    );
  }
}
