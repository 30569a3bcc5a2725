import { close, openSync, write } from "node:fs";
import type { SpoolEntry } from "./spool-entry.js";

/** Bytes gathered in memory before one write. */
const CHUNK_BYTES = 1 << 20;

/** What a spool keeps in memory while records arrive: the buffer being filled and the one being written. */
export const SPOOL_BUFFER_BYTES = 2 * CHUNK_BYTES;

function writeAsync(fd: number, data: Buffer): Promise<void> {
  return new Promise((resolve, reject) => write(fd, data, 0, data.length, null, (error) => (error ? reject(error) : resolve())));
}

function closeAsync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => close(fd, (error) => (error ? reject(error) : resolve())));
}

/**
 * An append-only local NDJSON file. Entries are encoded straight into a ~1 MiB buffer (no joined string in
 * between) and written with one syscall; while a write is in flight the next full buffer waits for it
 * (back-pressure), so memory stays bounded. An idle spool can `release` its buffers (many streams open at once).
 * Opening is synchronous (rare, and it keeps the hot path simple).
 */
export class Spool {
  rows = 0;
  /** Bytes appended (UTF-16 code units for strings): the batch size counted against max_file_bytes. */
  chars = 0;
  firstLine = 0;
  lastLine = 0;
  /** Longest entry in bytes (an upper bound for strings): sizes DuckDB's read buffer. */
  longestLine = 0;
  private buffer: Buffer | undefined;
  private spare: Buffer[] = [];
  private used = 0;
  private writing: Promise<void> = Promise.resolve();
  /** A failed write of the spool file (an fs error, always an Error). */
  private writeError: Error | undefined;
  private closed = false;
  private released = false;
  private readonly fd: number;

  constructor(readonly path: string) {
    this.fd = openSync(path, "wx");
  }

  /** Appends one entry (a string ends with its newline; LineBytes get one). Returns a promise only when the caller should wait. */
  append(entry: SpoolEntry, line: number): Promise<void> | undefined {
    if (this.rows === 0) this.firstLine = line;
    this.lastLine = line;
    this.rows++;
    this.released = false;
    let wait: Promise<void> | undefined;
    if (typeof entry === "string") {
      this.chars += entry.length;
      // UTF-8 needs at most 3 bytes per UTF-16 code unit; only a very long string is measured exactly.
      const room = entry.length * 3 > CHUNK_BYTES ? Buffer.byteLength(entry) : entry.length * 3;
      const [buffer, previous] = this.reserve(room);
      wait = previous;
      this.used += buffer.write(entry, this.used, "utf8");
      this.noteLength(room);
    } else {
      const from = entry.bytes.indexOf(0x7b) + 1; // the line continues after its first "{"
      const length = entry.prefix.length + entry.bytes.length - from + 1;
      this.chars += length;
      const [buffer, previous] = this.reserve(length);
      wait = previous;
      this.used += buffer.write(entry.prefix, this.used, "latin1");
      this.used += entry.bytes.copy(buffer, this.used, from);
      buffer[this.used++] = 0x0a;
      this.noteLength(length);
    }
    return this.used < CHUNK_BYTES ? wait : this.flushChunk();
  }

  /** Whether the spool may hold buffers (SPOOL_BUFFER_BYTES at most): from an append until `release`. */
  get holdsBuffers(): boolean {
    return !this.released;
  }

  /** Writes what is buffered and lets the buffers go; the next append takes a fresh one. */
  release(): void {
    this.released = true;
    if (this.closed) return;
    if (this.buffer !== undefined && this.used > 0) void this.flushChunk().catch(() => undefined);
    this.buffer = undefined;
    this.spare = [];
  }

  /** Writes what is buffered and closes the file; the spool is then ready to be read. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.flushChunk();
      await this.writing;
    } finally {
      await closeAsync(this.fd);
    }
  }

  /** Closes without caring about the content (the run failed or was stopped). */
  async discard(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.writing.catch(() => undefined);
    await closeAsync(this.fd).catch(() => undefined);
  }

  private noteLength(bytes: number): void {
    if (bytes > this.longestLine) this.longestLine = bytes;
  }

  /**
   * The buffer to append `bytes` to: a full buffer goes to disk first and the previous write is returned to wait
   * for (back-pressure); a huge entry gets a buffer of its own.
   */
  private reserve(bytes: number): [Buffer, Promise<void> | undefined] {
    let previous: Promise<void> | undefined;
    if (this.buffer !== undefined && this.used > 0 && this.used + bytes > this.buffer.length) previous = this.flushChunk();
    let buffer = (this.buffer ??= this.spare.pop() ?? Buffer.allocUnsafe(CHUNK_BYTES));
    if (bytes > buffer.length) buffer = this.buffer = Buffer.allocUnsafe(bytes);
    return [buffer, previous];
  }

  private flushChunk(): Promise<void> {
    if (this.writeError) return Promise.reject(this.writeError);
    const full = this.buffer;
    if (full === undefined) return this.writing;
    const data = full.subarray(0, this.used);
    // The buffer being written is handed over; appends continue into a spare one. Buffers come back once
    // written (unless released meanwhile): fresh 1 MiB buffers would have V8 run full collections for their
    // external memory.
    this.buffer = undefined;
    this.used = 0;
    const previous = this.writing;
    const spare = this.spare;
    const recycle = (): void => {
      if (full.length === CHUNK_BYTES && spare === this.spare) spare.push(full);
    };
    this.writing = previous.then(() => (data.length > 0 ? writeAsync(this.fd, data).then(recycle) : recycle()));
    this.writing.catch((error: unknown) => {
      this.writeError = error instanceof Error ? error : new Error(String(error));
    });
    // Wait for the previous chunk only: one chunk may be in flight while the next one fills.
    return previous;
  }
}
