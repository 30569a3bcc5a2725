// The floor: what it costs Node merely to read the input and JSON.parse every line.
// `node dist/bench/floor.js [FILE]` reads FILE (or stdin) as a stream, splits lines,
// parses each, counts RECORD messages, and prints one JSON object on stdout:
// { lines, records, bytes, seconds, records_per_s, mb_per_s }.
// The benchmark runs it as a child process, exactly like the target, so wall time and
// peak RSS are measured the same way for both.
import { createReadStream } from "node:fs";
import { StringDecoder } from "node:string_decoder";

export interface FloorResult {
  lines: number;
  records: number;
  bytes: number;
  seconds: number;
  records_per_s: number;
  mb_per_s: number;
}

async function main(file: string | undefined): Promise<void> {
  const t0 = performance.now();
  const input = file === undefined ? process.stdin : createReadStream(file, { highWaterMark: 1 << 20 });
  const decoder = new StringDecoder("utf8");
  let rest = "";
  let lines = 0;
  let records = 0;
  let bytes = 0;
  const parse = (line: string): void => {
    if (line.length === 0) return;
    lines++;
    const msg = JSON.parse(line) as { type?: unknown };
    if (msg.type === "RECORD") records++;
  };
  for await (const chunk of input as AsyncIterable<Buffer>) {
    bytes += chunk.length;
    const text = rest + decoder.write(chunk);
    let start = 0;
    let nl: number;
    while ((nl = text.indexOf("\n", start)) !== -1) {
      parse(text.slice(start, nl));
      start = nl + 1;
    }
    rest = text.slice(start);
  }
  parse(rest + decoder.end());
  const seconds = (performance.now() - t0) / 1000;
  const result: FloorResult = {
    lines,
    records,
    bytes,
    seconds,
    records_per_s: records / seconds,
    mb_per_s: bytes / 1e6 / seconds,
  };
  process.stdout.write(JSON.stringify(result) + "\n");
}

main(process.argv[2]).catch((err: unknown) => {
  process.stderr.write(`floor: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
