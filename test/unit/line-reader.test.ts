import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { InputError } from "../../src/errors.js";
import { readLines } from "../../src/pipeline/line-reader.js";

/** Feeds the chunks as given (strings or bytes) and collects [line number, text]. */
async function collect(chunks: Array<string | Buffer>, maxLineBytes = 1 << 20): Promise<{ lines: Array<[number, string]>; count: number }> {
  const lines: Array<[number, string]> = [];
  const count = await readLines(Readable.from(chunks.map((c) => (typeof c === "string" ? Buffer.from(c) : c))), maxLineBytes, (text, n) => {
    lines.push([n, text]);
  });
  return { lines, count };
}

describe("readLines", () => {
  it("splits on \\n and numbers lines from 1", async () => {
    expect((await collect(["a\nb\nc\n"])).lines).toEqual([
      [1, "a"],
      [2, "b"],
      [3, "c"],
    ]);
  });

  it("strips \\r of \\r\\n line ends, keeps a \\r inside a line", async () => {
    expect((await collect(["a\r\nb\rc\r\n"])).lines).toEqual([
      [1, "a"],
      [2, "b\rc"],
    ]);
  });

  it("a \\r\\n split across chunks is still one line end", async () => {
    expect((await collect(["a\r", "\nb\n"])).lines).toEqual([
      [1, "a"],
      [2, "b"],
    ]);
  });

  it("emits a last line without a newline (also with a trailing \\r)", async () => {
    expect((await collect(["a\nlast"])).lines).toEqual([
      [1, "a"],
      [2, "last"],
    ]);
    expect((await collect(["a\nlast\r"])).lines).toEqual([
      [1, "a"],
      [2, "last"],
    ]);
  });

  it("skips blank lines (spaces, tabs, \\r) but counts them", async () => {
    const { lines, count } = await collect(["\n  \n\t\r\nx\n\r\n\ny"]);
    expect(lines).toEqual([[4, "x"]].concat([[7, "y"]]) as Array<[number, string]>);
    expect(count).toBe(7);
  });

  it("returns the number of lines read; empty input is 0", async () => {
    expect((await collect([])).count).toBe(0);
    expect((await collect(["a\nb"])).count).toBe(2);
    expect((await collect(["a\nb\n"])).count).toBe(2);
  });

  it("joins a line split over many chunks, including inside a multi-byte UTF-8 character", async () => {
    const text = "héllo wörld 日本 😀";
    const bytes = Buffer.from(`${text}\n${text}`);
    const chunks = Array.from(bytes).map((b) => Buffer.from([b])); // one byte per chunk
    expect((await collect(chunks)).lines).toEqual([
      [1, text],
      [2, text],
    ]);
  });

  it("keeps NUL and other control characters inside a line", async () => {
    expect((await collect(["a\u0000b\u0001c\n"])).lines).toEqual([[1, "a\u0000b\u0001c"]]);
  });

  it("reads a multi-MB line whole", async () => {
    const big = "x".repeat(5 * 1024 * 1024);
    const chunks: Buffer[] = [];
    const all = Buffer.from(`{"a":1}\n${big}\n{"b":2}`);
    for (let i = 0; i < all.length; i += 65536) chunks.push(all.subarray(i, i + 65536));
    const { lines } = await collect(chunks, 8 * 1024 * 1024);
    expect(lines.map(([n, t]) => [n, t.length])).toEqual([
      [1, 7],
      [2, big.length],
      [3, 7],
    ]);
    expect(lines[1]![1]).toBe(big);
  });

  it("a line longer than maxLineBytes is an InputError naming its line (within one chunk)", async () => {
    const err = await collect(["ok\n" + "y".repeat(11) + "\n"], 10).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).line).toBe(2);
    expect((err as InputError).message).toMatch(/^line 2: .*max_line_bytes \(10 bytes\)/);
  });

  it("a line longer than maxLineBytes fails before it is buffered whole (across chunks)", async () => {
    let pulled = 0;
    function* endless(): Generator<Buffer> {
      yield Buffer.from("ok\n");
      for (;;) {
        pulled++;
        yield Buffer.alloc(1024, 0x61);
      }
    }
    const err = await readLines(Readable.from(endless()), 4096, () => {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).line).toBe(2);
    expect(pulled).toBeLessThan(10);
  });

  it("a line of exactly maxLineBytes passes, with or without \\r\\n", async () => {
    expect((await collect(["abcde\n"], 5)).lines).toEqual([[1, "abcde"]]);
    expect((await collect(["abcde\r\n"], 5)).lines).toEqual([[1, "abcde"]]);
    expect((await collect(["abc", "de\r", "\n"], 5)).lines).toEqual([[1, "abcde"]]);
    expect((await collect(["abcde"], 5)).lines).toEqual([[1, "abcde"]]);
    await expect(collect(["abcdef"], 5)).rejects.toThrow(InputError);
  });

  it("invalid UTF-8 is an InputError naming the line; a real U+FFFD passes", async () => {
    expect((await collect(["ok \uFFFD\n"])).lines).toEqual([[1, "ok \uFFFD"]]);
    const bad = Buffer.concat([Buffer.from("ok\nbad "), Buffer.from([0xff, 0xfe]), Buffer.from("\n")]);
    const err = await collect([bad]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).message).toMatch(/^line 2: the line is not valid UTF-8/);
  });

  it("waits for a handler's promise before the next line (back-pressure, order kept)", async () => {
    const events: string[] = [];
    await readLines(Readable.from([Buffer.from("a\nb\nc\n")]), 100, async (text) => {
      events.push(`start ${text}`);
      await new Promise((r) => setTimeout(r, 5));
      events.push(`end ${text}`);
    });
    expect(events).toEqual(["start a", "end a", "start b", "end b", "start c", "end c"]);
  });

  it("a handler's error stops reading and propagates", async () => {
    const seen: string[] = [];
    const err = await readLines(Readable.from([Buffer.from("a\nb\nc\n")]), 100, (text) => {
      seen.push(text);
      if (text === "b") throw new Error("boom");
    }).catch((e: unknown) => e);
    expect((err as Error).message).toBe("boom");
    expect(seen).toEqual(["a", "b"]);
  });

  it("accepts string chunks", async () => {
    const lines: string[] = [];
    await readLines(Readable.from(["x\ny"], { objectMode: true }), 100, (t) => {
      lines.push(t);
    });
    expect(lines).toEqual(["x", "y"]);
  });
});
