import { describe, it, expect } from "vitest";
import { ConfigError } from "../../src/errors.js";
import { MAX_KEY_BYTES, decodeSegment, joinKey, safeLiteralSegment, safeSegment, utf8Length, validateKeyLiteral } from "../../src/s3/safe-key.js";

describe("safeSegment table (documented in safe-key.ts)", () => {
  const table: Array<[string, string]> = [
    ["sales_summary_daily", "sales_summary_daily"],
    ["../../x", "..~2F..~2Fx"],
    ["/abs", "~2Fabs"],
    ["a\u0001b", "a~01b"],
    ["test:SpecialChars!in?attributes", "test~3ASpecialChars!in~3Fattributes"],
    [".", "~2E"],
    ["..", "~2E~2E"],
    ["...", "..."],
    ["a b", "a~20b"],
    ["a\\b", "a~5Cb"],
    ["50%~off", "50~25~7Eoff"],
    ["public.users", "public.users"],
    ["café", "café"],
    ["日本", "日本"],
    ["😀", "~F0~9F~98~80"],
    ["a+b&c=d", "a~2Bb~26c=d"],
    ["x\u007fy\u0000z", "x~7Fy~00z"],
    ["tab\there\nnl\r", "tab~09here~0Anl~0D"],
    ["!_.*'()=-", "!_.*'()=-"],
    ["~2F", "~7E2F"],
    ["\ud800", "~uD800"],
    ["\u00a0", "~C2~A0"],
    ["\u202e", "~E2~80~AE"],
    ["", ""],
  ];
  it.each(table)("%j → %s", (input, expected) => {
    expect(safeSegment(input)).toBe(expected);
    expect(decodeSegment(expected)).toBe(input);
  });
});

function mulberry(seed: number): () => number {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ALPHABET = [
  "a",
  "Z",
  "0",
  ".",
  "/",
  "\\",
  "~",
  "%",
  " ",
  ":",
  "?",
  "!",
  "=",
  "-",
  "_",
  "*",
  "'",
  "(",
  ")",
  "\u0000",
  "\u0001",
  "\u001f",
  "\u007f",
  "\u0085",
  "é",
  "日",
  "😀",
  "\ud800",
  "\udc00",
  "~2E",
  "~7E",
  "..",
  "//",
  "\u200b",
  "\u2028",
  "+",
  "&",
  "#",
  "[",
  "]",
  "\t",
  "\n",
];

function randomString(rand: () => number): string {
  const len = Math.floor(rand() * 8);
  let s = "";
  for (let i = 0; i < len; i++) s += ALPHABET[Math.floor(rand() * ALPHABET.length)];
  return s;
}

describe("safeSegment properties", () => {
  it("is injective and safe over random strings", () => {
    const rand = mulberry(42);
    const seen = new Map<string, string>();
    for (let i = 0; i < 5000; i++) {
      const input = randomString(rand);
      const out = safeSegment(input);
      const previous = seen.get(out);
      if (previous !== undefined) expect(previous).toBe(input);
      seen.set(out, input);
      expect(decodeSegment(out)).toBe(input);
      expect(out).not.toContain("/");
      expect(out).not.toContain("\\");
      expect(out).not.toMatch(/[\u0000-\u001f\u007f]/);
      expect(out === "." || out === "..").toBe(false);
      // Well-formed UTF-16 (no lone surrogates reach the key).
      expect(out).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/);
    }
    expect(seen.size).toBeGreaterThan(3000);
  });

  it("keys built from random stream names stay under the prefix and never collide", () => {
    const rand = mulberry(7);
    const keys = new Map<string, string>();
    for (let i = 0; i < 3000; i++) {
      const name = randomString(rand);
      if (name === "") continue;
      const key = joinKey(["exports/", "/raw", `${safeSegment(name)}/part-00001.csv`], name);
      const previous = keys.get(key);
      if (previous !== undefined) expect(previous).toBe(name);
      keys.set(key, name);
      expect(key.startsWith("exports/raw/")).toBe(true);
      expect(key.split("/")).toHaveLength(4);
      expect(key).not.toMatch(/(^|\/)\.\.?(\/|$)/);
      expect(key).not.toContain("//");
      expect(key.startsWith("/")).toBe(false);
      expect(key).not.toMatch(/[\u0000-\u001f\u007f\\]/);
    }
  });
});

describe("joinKey", () => {
  const table: Array<[string[], string]> = [
    [["prefix", "path", "stream/file.csv"], "prefix/path/stream/file.csv"],
    [["", "", "stream/file.csv"], "stream/file.csv"],
    [["/prefix/", "/a//b/", "/stream//file.csv"], "prefix/a/b/stream/file.csv"],
    [["p", "../x", "f"], "p/~2E~2E/x/f"],
    [["p", "./x", "f"], "p/~2E/x/f"],
    [["p\u0001", "a\\b", "f"], "p~01/a~5Cb/f"],
    [["日本/データ", "f.csv"], "日本/データ/f.csv"],
  ];
  it.each(table)("%j → %s", (parts, expected) => {
    expect(joinKey(parts)).toBe(expected);
  });

  it("allows exactly 1024 bytes and rejects more, naming the stream", () => {
    const ok = "a".repeat(MAX_KEY_BYTES - 4) + "/b.c";
    expect(joinKey([ok])).toBe(ok);
    expect(() => joinKey([ok + "x"], "orders")).toThrow(ConfigError);
    try {
      joinKey(["prefix", "é".repeat(600)], "orders");
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      const message = (e as Error).message;
      expect(message).toContain('stream "orders"');
      expect(message).toContain("1207 UTF-8 bytes");
      expect(message).toMatch(/shorten key_template/);
      expect(message).toContain("prefix");
    }
  });

  it("rejects an empty key", () => {
    expect(() => joinKey(["", "/", "//"], "s")).toThrow(ConfigError);
  });
});

describe("literal helpers", () => {
  it("safeLiteralSegment escapes only dangerous characters", () => {
    expect(safeLiteralSegment("dt=2025-04-14 UTC:x")).toBe("dt=2025-04-14 UTC:x");
    expect(safeLiteralSegment("..")).toBe("~2E~2E");
    expect(safeLiteralSegment("a\u0000\\")).toBe("a~00~5C");
  });
  it("validateKeyLiteral", () => {
    expect(validateKeyLiteral("object_key_path", "a/b")).toEqual([]);
    expect(validateKeyLiteral("object_key_path", "a/../b\\c\u0001")).toHaveLength(3);
  });
  it("utf8Length", () => {
    expect(utf8Length("abc")).toBe(3);
    expect(utf8Length("é日😀")).toBe(2 + 3 + 4);
  });
});
