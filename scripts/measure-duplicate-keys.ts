/**
 * Cost of the duplicate-key check per record (issue 15 item 10) next to the JSON.parse every record gets anyway, on
 * the bench's records (bench/generate.ts) and on the realistic corpus (test/fixtures/realistic): the check as the
 * router runs it (the line's delimiting quotes, counted on its bytes, against the parsed strings, envelope included),
 * its parts, and for reference
 * the exact scan it spares. Run: `npm run build && node dist/scripts/measure-duplicate-keys.js`.
 */
import { generateSinger } from "../bench/generate.js";
import { delimiterQuotes, delimiterQuotesOfBytes, duplicateKey, duplicateKeyPath, stringCount } from "../src/protocol/duplicate-keys.js";
import { rawFieldText } from "../src/protocol/raw-record.js";
import { parseSingerLine } from "../src/protocol/singer.js";
import { corpus, singerLines } from "../test/fixtures/realistic/corpus.js";

interface Sample {
  line: string;
  record: Record<string, unknown>;
  envelope: number;
  recordText: string;
  bytes: Buffer;
}

function samples(lines: string[]): Sample[] {
  const out: Sample[] = [];
  for (const line of lines) {
    if (!line.includes(`"RECORD"`)) continue;
    const m = parseSingerLine(line, 1);
    if (m.type === "RECORD")
      out.push({ line, record: m.record, envelope: m.envelopeStrings, recordText: rawFieldText(line, "record")!, bytes: Buffer.from(line) });
  }
  return out;
}

/** Microseconds per record of `fn` over every sample, best of 5 rounds (after a warm-up round). */
function perRecord(list: Sample[], fn: (s: Sample) => unknown): number {
  let sink = 0;
  let best = Infinity;
  for (let round = 0; round < 6; round++) {
    const started = process.hrtime.bigint();
    for (const s of list) if (fn(s) !== undefined) sink++;
    const us = Number(process.hrtime.bigint() - started) / 1000 / list.length;
    if (round > 0) best = Math.min(best, us);
  }
  if (sink < 0) console.log(sink);
  return best;
}

function report(name: string, list: Sample[]): void {
  const bytes = list.reduce((n, s) => n + s.line.length, 0) / list.length;
  const parse = perRecord(list, (s) => JSON.parse(s.line));
  const check = perRecord(list, (s) => duplicateKey(s.line, s.envelope + stringCount(s.record), () => rawFieldText(s.line, "record"), s.bytes));
  const quotes = perRecord(list, (s) => (delimiterQuotesOfBytes(s.bytes, s.line) > 0 ? 1 : undefined));
  const textQuotes = perRecord(list, (s) => (delimiterQuotes(s.line) > 0 ? 1 : undefined));
  const count = perRecord(list, (s) => (stringCount(s.record) > 0 ? 1 : undefined));
  const exact = perRecord(list, (s) => duplicateKeyPath(s.recordText));
  let scanned = 0;
  let backslash = 0;
  for (const s of list) {
    if (delimiterQuotesOfBytes(s.bytes, s.line) !== 2 * (s.envelope + stringCount(s.record))) scanned++;
    if (s.line.includes("\\")) backslash++;
  }
  const f = (us: number): string => `${us.toFixed(3)} µs`;
  console.log(
    `${name}: ${list.length} records, ${Math.round(bytes)} chars/line | JSON.parse ${f(parse)} | check ${f(check)} (${(check / parse).toFixed(2)}× parse: quotes ${f(quotes)}, parsed strings ${f(count)}; quotes on the text alone ${f(textQuotes)}) | exact scan ${f(exact)} (${(exact / parse).toFixed(2)}×) | lines with a backslash: ${backslash} | fell back to the exact scan: ${scanned}`,
  );
}

let text = "";
generateSinger(100_000, (chunk) => (text += chunk));
report("bench (orders, customers, events)", samples(text.split("\n")));
const realistic = corpus().flatMap((s) => singerLines(s).split("\n"));
// The corpus is small: repeated so each round runs long enough to time.
report("realistic corpus (pipelinewise, SDK, Salesforce-wide, GitHub)", samples(Array.from({ length: 200 }, () => realistic).flat()));
