import { open, type FileHandle } from "node:fs/promises";

const CHUNK_CHARS = 1 << 20;

/**
 * An append-only local file that buffers one partition of a batch. Lines are joined in memory up to ~1 MiB and
 * written with one syscall; while a write is in flight the next full chunk waits for it (back-pressure), so memory
 * stays bounded whatever the batch size.
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

  private constructor(
    readonly path: string,
    private readonly handle: FileHandle,
  ) {}

  static async create(path: string): Promise<Spool> {
    return new Spool(path, await open(path, "wx"));
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
    if (this.partChars < CHUNK_CHARS) return undefined;
    return this.flushChunk();
  }

  /** Writes what is buffered and closes the file; the spool is then ready to be read. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.flushChunk();
    } finally {
      await this.handle.close();
    }
  }

  /** Closes without caring about the content (the run failed or was stopped). */
  async discard(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.writing.catch(() => undefined);
    await this.handle.close().catch(() => undefined);
  }

  private flushChunk(): Promise<void> {
    if (this.writeError) return Promise.reject(this.writeError);
    const data = this.parts.join("");
    this.parts = [];
    this.partChars = 0;
    const previous = this.writing;
    this.writing = previous.then(async () => {
      if (data.length > 0) await this.handle.write(data);
    });
    this.writing.catch((error: unknown) => {
      this.writeError = error;
    });
    // Wait for the previous chunk only: one chunk may be in flight while the next one fills.
    return previous;
  }
}
