// Duplicate keys in a record (issue 15 item 10): the exact scan, the quote-count pre-filter that spares it for
// almost every record, and no false positive on the realistic corpus or the conformance samples.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import {
  delimiterQuotes,
  delimiterQuotesOfBytes,
  duplicateKey,
  duplicateKeyPath,
  mayHaveDuplicateKey,
  stringCount,
} from "../../src/protocol/duplicate-keys.js";
import { parseSingerLine } from "../../src/protocol/singer.js";
import { rawFieldText } from "../../src/protocol/raw-record.js";
import { corpus } from "../fixtures/realistic/corpus.js";
import { REPO_ROOT } from "../helpers/run-cli.js";

/** What the router does: the count on the text, the exact scan only when it fails. */
function detect(text: string): string[] | undefined {
  return duplicateKey(text, stringCount(JSON.parse(text)), () => text);
}

const CASES: Array<[string, string, string[] | undefined]> = [
  ["top level", `{"id":1,"name":"a","name":"b"}`, ["name"]],
  ["top level, numbers", `{"id":1,"id":2}`, ["id"]],
  ["nested object", `{"id":1,"address":{"city":"x","zip":"1","city":"y"}}`, ["address", "city"]],
  ["object in an array", `{"id":1,"items":[{"sku":"a"},{"sku":"b","qty":1,"sku":"c"}]}`, ["items", "1", "sku"]],
  ["array in an array", `{"m":[[1,2],[{"a":null,"a":null}]]}`, ["m", "1", "0", "a"]],
  ["key spelled with an escape", `{"name":"a","n\\u0061me":"b"}`, ["name"]],
  ["both spelled with escapes", `{"\\u006eame":1,"n\\u0061me":2}`, ["name"]],
  ["escaped quote in keys", `{"a\\"b":1,"a\\u0022b":2}`, ['a"b']],
  ["empty key twice", `{"":1,"id":2,"":3}`, [""]],
  ["whitespace everywhere", ` { "id" : 1 ,\n\t"name" : "a" ,\r\n "name" : "b" } `, ["name"]],
  ["duplicate whose earlier value holds strings", `{"tags":["a","b",{"c":"d"}],"tags":[]}`, ["tags"]],
  ["same key in sibling objects is fine", `{"a":{"x":1},"b":{"x":1},"c":[{"x":1},{"x":2}]}`, undefined],
  ["escaped quotes in values", `{"body":"say \\"hi\\" \\\\","json":"{\\"a\\":1,\\"a\\":2}"}`, undefined],
  ["\\u0022 in values and keys", `{"q\\u0022":"\\u0022","q":"\\""}`, undefined],
  ["backslash run before a closing quote", `{"a":"x\\\\","b":"\\\\\\"","c":"\\\\\\\\"}`, undefined],
  ["empty objects and arrays", `{"a":{},"b":[],"c":[{}],"d":{"e":[]}}`, undefined],
  ["key equal to a value", `{"name":"name","x":"name"}`, undefined],
];

describe("duplicateKeyPath (exact scan)", () => {
  for (const [name, text, path] of CASES) {
    it(name, () => {
      expect(duplicateKeyPath(text)).toEqual(path);
      expect(detect(text)).toEqual(path);
    });
  }

  it("a million levels deep does not overflow the stack", () => {
    const deep = `{"a":${"[".repeat(1_000_000)}${"]".repeat(1_000_000)},"a":1}`;
    expect(duplicateKeyPath(deep)).toEqual(["a"]);
    expect(stringCount(JSON.parse(`{"a":${"[".repeat(100_000)}"x"${"]".repeat(100_000)}}`))).toBe(2);
  });
});

describe("the quote count", () => {
  it('counts delimiting quotes only: \\" is content, \\\\" closes, \\u0022 is no quote', () => {
    expect(delimiterQuotes(`{"a":"x\\"y"}`)).toBe(4);
    expect(delimiterQuotes(`{"a":"x\\\\"}`)).toBe(4);
    expect(delimiterQuotes(`{"a":"\\\\\\""}`)).toBe(4);
    expect(delimiterQuotes(`{"a\\u0022":"\\u0022"}`)).toBe(4);
  });

  it("counted on the UTF-8 bytes four at a time: the same as on the text, for every length and escape", () => {
    const texts = [
      ...CASES.map(([, text]) => text),
      `{"é":"ü\\\\"}`,
      `{"a":"😀\\"","b":"\\\\\\\\\\""}`,
      `"\\\\"`,
      `""`,
      ...Array.from({ length: 9 }, (_, i) => `{"${"x".repeat(i)}":"${"\\\\".repeat(i)}"}`),
      ...corpus().flatMap((s) => s.records),
    ];
    for (const text of texts) expect(delimiterQuotesOfBytes(Buffer.from(text), text), text).toBe(delimiterQuotes(text));
    // A longer text than the scratch buffer holds.
    const long = `{"a":"${'\\"x'.repeat(50_000)}"}`;
    expect(delimiterQuotesOfBytes(Buffer.from(long), long)).toBe(4);
    // Longer still and of odd length: the grown scratch buffer must still be viewable as 32-bit words.
    const odd = `{"a":"${"y".repeat(400_001)}"}`;
    expect(delimiterQuotesOfBytes(Buffer.from(odd), odd)).toBe(4);
    // A view at an odd offset of a larger buffer, as the line reader hands them out.
    const pool = Buffer.from(`xyz{"a":"b","c":"d"}tail`);
    expect(delimiterQuotesOfBytes(pool.subarray(3, 20), `{"a":"b","c":"d"}`)).toBe(8);
  });

  it("proves most texts free of duplicates without the scan; every duplicate fails the count", () => {
    for (const [, text, path] of CASES) expect(mayHaveDuplicateKey(text, stringCount(JSON.parse(text)))).toBe(path !== undefined);
  });

  it("with the Singer envelope counted, the whole line is checked; a duplicate only in the envelope passes", () => {
    const check = (line: string): string[] | undefined => {
      const m = parseSingerLine(line, 1);
      if (m.type !== "RECORD") throw new Error("not a record");
      return duplicateKey(line, m.envelopeStrings + stringCount(m.record), () => rawFieldText(line, "record"));
    };
    expect(check(`{"type":"RECORD","stream":"s","record":{"id":1,"name":"a"},"time_extracted":"2024-01-01T00:00:00Z","version":3}`)).toBeUndefined();
    expect(check(`{"type":"RECORD","stream":"s","record":{"id":1,"name":"a","name":"b"}}`)).toEqual(["name"]);
    expect(check(`{"type":"RECORD","stream":"s","stream":"s","record":{"id":1}}`)).toBeUndefined();
    expect(check(`{"type":"RECORD","x":{"k":"v","k":"w"},"stream":"s","record":{"id":1}}`)).toBeUndefined();
  });
});

describe("no false positives", () => {
  it("on the realistic corpus (pipelinewise, SDK, Salesforce-wide, GitHub records)", () => {
    let n = 0;
    for (const s of corpus()) {
      for (const r of s.records) {
        expect(mayHaveDuplicateKey(r, stringCount(JSON.parse(r))), r).toBe(false);
        expect(duplicateKeyPath(r)).toBeUndefined();
        n++;
      }
    }
    expect(n).toBeGreaterThan(0);
  });

  const dir = resolve(REPO_ROOT, "..", "shared", "conformance");
  it.skipIf(!existsSync(dir))("on every RECORD line of the conformance samples", () => {
    let n = 0;
    const walk = (d: string): string[] => readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(d, e.name)) : [join(d, e.name)]));
    for (const file of walk(dir).filter((f) => /\.(singer|json|jsonl)$/.test(f) && !f.endsWith("expected.json"))) {
      for (const line of readFileSync(file, "utf8").split("\n")) {
        let m: ReturnType<typeof parseSingerLine>;
        try {
          m = parseSingerLine(line, 1);
        } catch {
          continue; // the samples of invalid input
        }
        if (m.type !== "RECORD") continue;
        const record = rawFieldText(line, "record")!;
        expect(
          duplicateKey(line, m.envelopeStrings + stringCount(m.record), () => record),
          `${file}: ${line.slice(0, 200)}`,
        ).toBeUndefined();
        expect(mayHaveDuplicateKey(line, m.envelopeStrings + stringCount(m.record)), line.slice(0, 200)).toBe(false);
        n++;
      }
    }
    expect(n).toBeGreaterThan(100);
  });
});
