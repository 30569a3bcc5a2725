import { close, openSync, write } from "node:fs";
import type { SpoolEntry } from "./spool-entry.js";

/** Bytes gathered in memory before one write. */
const CHUNK_BYTES = 1 << 20;

function writeAsync(fd: number, data: Buffer): Promise<void> {
  return new Promise((resolve, reject) => write(fd, data, 0, data.length, null, (error) => (error ? reject(error) : resolve())));
}

function closeAsync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => close(fd, (error) => (error ? reject(error) : resolve())));
}

/**
 * An append-only local NDJSON file. Entries are encoded straight into a ~1 MiB buffer (no joined string in
 * between) and written with one syscall; while a write is in flight the next full buffer waits for it
 * (back-pressure), so memory stays bounded. Opening is synchronous (rare, and it keeps the hot path simple).
 */
export class Spool {
  rows = 0;
  /** Bytes appended (UTF-16 code units for strings): the batch size counted against max_file_bytes. */
  chars = 0;
  firstLine = 0;
  lastLine = 0;
  /** Longest entry in bytes (an upper bound for strings): sizes DuckDB's read buffer. */
  longestLine = 0;
  private buffer: Buffer = Buffer.allocUnsafe(CHUNK_BYTES);
  private readonly spare: Buffer[] = [];
  private used = 0;
  private writing: Promise<void> = Promise.resolve();
  private writeError: unknown;
  private closed = false;
  private readonly fd: number;

  constructor(readonly path: string) {
    this.fd = openSync(path, "wx");
  }

  /** Appends one entry (a string ends with its newline; LineBytes get one). Returns a promise only when the caller should wait. */
  append(entry: SpoolEntry, line: number): Promise<void> | undefined {
    if (this.rows === 0) this.firstLine = line;
    this.lastLine = line;
    this.rows++;
    if (typeof entry === "string") {
      this.chars += entry.length;
      // UTF-8 needs at most 3 bytes per UTF-16 code unit; only a very long string is measured exactly.
      const room = entry.length * 3 > CHUNK_BYTES ? Buffer.byteLength(entry) : entry.length * 3;
      this.reserve(room);
      this.used += this.buffer.write(entry, this.used, "utf8");
      this.noteLength(room);
    } else {
      const from = entry.bytes.indexOf(0x7b) + 1; // the line continues after its first "{"
      const length = entry.prefix.length + entry.bytes.length - from + 1;
      this.chars += length;
      this.reserve(length);
      this.used += this.buffer.write(entry.prefix, this.used, "latin1");
      this.used += entry.bytes.copy(this.buffer, this.used, from);
      this.buffer[this.used++] = 0x0a;
      this.noteLength(length);
    }
    return this.used < CHUNK_BYTES ? undefined : this.flushChunk();
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

  /** Makes room for `bytes` more: a full buffer goes to disk first (without waiting), a huge entry gets its own. */
  private reserve(bytes: number): void {
    if (this.used + bytes <= this.buffer.length) return;
    if (this.used > 0) void this.flushChunk().catch(() => undefined);
    if (bytes > this.buffer.length) this.buffer = Buffer.allocUnsafe(bytes);
  }

  private flushChunk(): Promise<void> {
    if (this.writeError) return Promise.reject(this.writeError);
    const full = this.buffer;
    const data = full.subarray(0, this.used);
    // The buffer being written is handed over; appends continue into a spare one. Buffers come back once
    // written: fresh 1 MiB buffers would have V8 run full collections for their external memory.
    this.buffer = this.spare.pop() ?? Buffer.allocUnsafe(CHUNK_BYTES);
    this.used = 0;
    const previous = this.writing;
    const recycle = (): void => {
      if (full.length === CHUNK_BYTES) this.spare.push(full);
    };
    this.writing = previous.then(() => (data.length > 0 ? writeAsync(this.fd, data).then(recycle) : recycle()));
    this.writing.catch((error: unknown) => {
      this.writeError = error;
    });
    // Wait for the previous chunk only: one chunk may be in flight while the next one fills.
    return previous;
  }
}
