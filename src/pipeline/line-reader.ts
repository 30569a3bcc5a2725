import type { Readable } from "node:stream";
import { InputError } from "../errors.js";

/**
 * Called once per non-blank line with its text and its bytes (a view into the input, valid for as long as it is
 * referenced); returning a promise pauses reading until it settles (back-pressure).
 */
export type LineHandler = (text: string, lineNumber: number, bytes: Buffer) => void | Promise<void>;

const NEWLINE = 0x0a;
const CR = 0x0d;
const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Splits a byte stream into lines without a per-line allocation beyond the string itself:
 * `\n` or `\r\n` ends a line, a last line without newline counts, a line longer than
 * `maxLineBytes` is an error before it is buffered whole.
 */
export async function readLines(input: Readable, maxLineBytes: number, onLine: LineHandler): Promise<number> {
  let carry: Buffer[] = [];
  let carryBytes = 0;
  let lineNumber = 0;

  // Synchronous unless the handler asks to wait: an await per line would cost a promise and a microtask turn each.
  const emit = (buf: Buffer, start: number, end: number): void | Promise<void> => {
    lineNumber++;
    if (end > start && buf[end - 1] === CR) end--;
    if (end - start > maxLineBytes) throw tooLong(lineNumber, maxLineBytes);
    let text = decode(buf, start, end, lineNumber);
    // A UTF-8 byte order mark at the very start (Windows tools write one) is not part of the first message.
    if (lineNumber === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    if (isBlank(text)) return;
    return onLine(text, lineNumber, buf.subarray(start, end));
  };

  for await (const chunk of input as AsyncIterable<Buffer | string>) {
    const buf = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
    let start = 0;
    let nl = buf.indexOf(NEWLINE, start);
    while (nl !== -1) {
      if (carryBytes > 0) {
        carry.push(buf.subarray(start, nl));
        const joined = Buffer.concat(carry, carryBytes + nl - start);
        carry = [];
        carryBytes = 0;
        const pending = emit(joined, 0, joined.length);
        if (pending) await pending;
      } else {
        const pending = emit(buf, start, nl);
        if (pending) await pending;
      }
      start = nl + 1;
      nl = buf.indexOf(NEWLINE, start);
    }
    if (start < buf.length) {
      carry.push(buf.subarray(start));
      carryBytes += buf.length - start;
      if (carryBytes > maxLineBytes + 1) throw tooLong(lineNumber + 1, maxLineBytes);
    }
  }
  if (carryBytes > 0) {
    const joined = Buffer.concat(carry, carryBytes);
    const pending = emit(joined, 0, joined.length);
    if (pending) await pending;
  }
  return lineNumber;
}

function decode(buf: Buffer, start: number, end: number, lineNumber: number): string {
  const text = buf.toString("utf8", start, end);
  // U+FFFD is legal input; only when it shows up do we pay for a strict check of the bytes.
  if (text.includes("\uFFFD")) {
    try {
      strictUtf8.decode(buf.subarray(start, end));
    } catch {
      throw new InputError("the line is not valid UTF-8: the tap must write UTF-8 encoded JSON", lineNumber);
    }
  }
  return text;
}

function isBlank(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 0x20 && c !== 0x09 && c !== 0x0d) return false;
  }
  return true;
}

function tooLong(lineNumber: number, maxLineBytes: number): InputError {
  return new InputError(
    `the line is longer than max_line_bytes (${maxLineBytes} bytes): raise max_line_bytes or check that the tap writes one message per line`,
    lineNumber,
  );
}
