import { close, openSync, write } from "node:fs";
import { WRITE_CHUNK_CHARS } from "./sinks/partition-sink.js";

function writeAsync(fd: number, data: string): Promise<void> {
  return new Promise((resolve, reject) => write(fd, data, null, "utf8", (error) => (error ? reject(error) : resolve())));
}

function closeAsync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => close(fd, (error) => (error ? reject(error) : resolve())));
}

/**
 * An append-only local NDJSON file. Lines are joined in memory up to ~1 MiB and written with one syscall; while
 * a write is in flight the next full chunk waits for it (back-pressure), so memory stays bounded.
 * Opening is synchronous (rare, and it keeps the hot path free of pending opens).
 */
export class Spool {
  rows = 0;
  chars = 0;
  firstLine = 0;
  lastLine = 0;
  /** Longest line in UTF-16 code units: sizes DuckDB's read buffer. */
  longestLine = 0;
  private parts: string[] = [];
  private partChars = 0;
  private writing: Promise<void> = Promise.resolve();
  private writeError: unknown;
  private closed = false;
  private readonly fd: number;

  constructor(readonly path: string) {
    this.fd = openSync(path, "wx");
  }

  /** Appends one line (with its newline). Returns a promise only when the caller should wait. */
  append(text: string, line: number): Promise<void> | undefined {
    if (this.rows === 0) this.firstLine = line;
    this.lastLine = line;
    this.rows++;
    this.chars += text.length;
    if (text.length > this.longestLine) this.longestLine = text.length;
    this.parts.push(text);
    this.partChars += text.length;
    if (this.partChars < WRITE_CHUNK_CHARS) return undefined;
    return this.flushChunk();
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

  private flushChunk(): Promise<void> {
    if (this.writeError) return Promise.reject(this.writeError);
    const data = this.parts.length === 1 ? (this.parts[0] as string) : this.parts.join("");
    this.parts = [];
    this.partChars = 0;
    const previous = this.writing;
    this.writing = previous.then(() => (data.length > 0 ? writeAsync(this.fd, data) : undefined));
    this.writing.catch((error: unknown) => {
      this.writeError = error;
    });
    // Wait for the previous chunk only: one chunk may be in flight while the next one fills.
    return previous;
  }
}
