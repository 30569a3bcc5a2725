import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { duckEncoder } from "../../src/pipeline/record-encoder.js";
import { Spool } from "../../src/pipeline/spool.js";
import { entrySize, entryText } from "../../src/pipeline/spool-entry.js";

const dirs: string[] = [];
function spoolPath(): string {
  const dir = mkdtempSync(join(tmpdir(), "spool-test-"));
  dirs.push(dir);
  return join(dir, "spool.jsonl");
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("Spool", () => {
  it("writes strings and line bytes in order, each line once, across many buffer flushes", async () => {
    const spool = new Spool(spoolPath());
    const expected: string[] = [];
    for (let i = 1; i <= 30_000; i++) {
      if (i % 2 === 0) {
        const text = `{"i":${i},"s":"é日本 ${"x".repeat(i % 97)}"}`;
        await spool.append(text + "\n", i);
        expected.push(text);
      } else {
        // A BOM and spaces before the "{" are dropped: the bytes continue after their first "{".
        const line = Buffer.from(`\uFEFF  {"type":"RECORD","record":{"i":${i}}}`);
        await spool.append({ prefix: `{"n":${i},`, bytes: line }, i);
        expected.push(`{"n":${i},"type":"RECORD","record":{"i":${i}}}`);
      }
    }
    await spool.close();
    expect(readFileSync(spool.path, "utf8").split("\n").slice(0, -1)).toEqual(expected);
    expect([spool.rows, spool.firstLine, spool.lastLine]).toEqual([30_000, 1, 30_000]);
  });

  it("releases its buffers when idle and goes on appending after them: every line once, in order", async () => {
    const spool = new Spool(spoolPath());
    const expected: string[] = [];
    for (let i = 1; i <= 20_000; i++) {
      const text = `{"i":${i},"pad":"${"y".repeat(i % 300)}"}`;
      await spool.append(text + "\n", i);
      expected.push(text);
      expect(spool.holdsBuffers).toBe(true);
      if (i % 777 === 0) {
        spool.release();
        expect(spool.holdsBuffers).toBe(false);
      }
    }
    spool.release();
    await spool.close();
    expect(readFileSync(spool.path, "utf8").split("\n").slice(0, -1)).toEqual(expected);
  });

  it("makes a writer wait (back-pressure) when a buffer is full and the previous write has not finished", async () => {
    const spool = new Spool(spoolPath());
    const line = `{"pad":"${"z".repeat(1000)}"}\n`;
    let waits = 0;
    // Without awaiting: ~1 MiB buffers fill every ~1,000 entries, and each full one hands back the previous write.
    for (let i = 1; i <= 10_000; i++) if (spool.append(line, i) !== undefined) waits++;
    expect(waits).toBeGreaterThanOrEqual(8);
    await spool.close();
    expect(readFileSync(spool.path, "utf8")).toBe(line.repeat(10_000));
  });

  it("takes an entry larger than its buffer", async () => {
    const spool = new Spool(spoolPath());
    const big = `{"s":"${"ü".repeat(3_000_000)}"}\n`;
    await spool.append(big, 1);
    await spool.close();
    expect(readFileSync(spool.path, "utf8")).toBe(big);
    expect(spool.longestLine).toBeGreaterThanOrEqual(Buffer.byteLength(big));
  });
});

describe("duckEncoder", () => {
  const incoming = { record: { id: 1 }, rawText: '{"id": 1}', timeExtracted: "2024-01-01T00:00:00Z", version: 7 };

  it("spools the Singer line's own bytes when nothing in the record changes", () => {
    const lineBytes = Buffer.from('{"type":"RECORD","stream":"s","record":{"id": 1}}');
    const entry = duckEncoder(false)({ ...incoming, lineBytes }, 5, "", undefined);
    expect(typeof entry).toBe("object");
    expect(entryText(entry)).toBe('{"__target_s3_line":5,"type":"RECORD","stream":"s","record":{"id": 1}}\n');
    expect(entrySize(entry)).toBe(entryText(entry).length);
  });

  it("wraps the record text when it must be rewritten or carries metadata", () => {
    const lineBytes = Buffer.from('{"type":"RECORD","stream":"s","record":{"id": 1}}');
    const rewrite = Object.assign((t: string) => t.replace("1", '"1"'), { inLine: () => undefined });
    const rewritten = duckEncoder(false)({ ...incoming, lineBytes }, 5, "", undefined, rewrite);
    expect(rewritten).toBe('{"__target_s3_line":5,"time_extracted":"2024-01-01T00:00:00Z","version":7,"record":{"id": "1"}}\n');
    const withMetadata = duckEncoder(true)({ ...incoming, lineBytes }, 5, "", undefined);
    expect(typeof withMetadata).toBe("string");
    expect(withMetadata).toMatch(/^\{"__target_s3_line":5,"__target_s3_received_ms":\d+,"time_extracted"/);
  });
});
