// Reads back every object a run wrote and groups the rows by stream (for the conformance and core tests).
// Streams are found from the object key: with the default key_template the first segment under the prefix is the
// stream name made safe by safeSegment (src/s3/safe-key.ts), which decodeSegment inverts.
import { gunzipSync } from "node:zlib";
import { decodeSegment } from "../../src/s3/safe-key.js";
import { formatFromKey, readObjectRows, readParquetIndependently, toJsonSafe } from "./read-back.js";
import type { S3TestServer } from "./s3-server.js";
import { readAvro } from "./read-avro.js";
import { readXml, xmlRecordObject } from "./read-xml.js";

export interface StreamObject {
  key: string;
  stream: string;
  /**
   * Rows as read back: DuckDB for csv/parquet (JSON-safe), JSON.parse per line for jsonl, JSON.parse for json, avsc for
   * avro (longs past 2^53 as BigInt), fast-xml-parser for xml (text values, null for xsi:nil, objects for children).
   */
  rows: Record<string, unknown>[];
  /** The object's bytes (gunzipped when the key ends in .gz). */
  body: Buffer;
}

/** The stream an object belongs to: the first key segment after `prefix`, decoded. */
export function streamOfKey(key: string, prefix = ""): string {
  const rest = prefix === "" ? key : key.slice(prefix.replace(/\/+$/, "").length + 1);
  const first = rest.split("/")[0] ?? "";
  return decodeSegment(first);
}

/** JSON lines of a jsonl body, each parsed with JSON.parse (an independent reader: no DuckDB). */
export function parseJsonLines(text: string): Record<string, unknown>[] {
  return text
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

export async function readStreamObjects(
  server: S3TestServer,
  bucket: string,
  prefix = "",
  opts: { parquetReader?: "duckdb" | "hyparquet"; csvReader?: "duckdb" | "rfc4180" } = {},
): Promise<StreamObject[]> {
  const out: StreamObject[] = [];
  for (const { key } of await server.listObjects(bucket, prefix === "" ? undefined : prefix)) {
    const raw = await server.getObject(bucket, key);
    if (key.endsWith(".avro")) {
      out.push({ key, stream: streamOfKey(key, prefix), rows: (await readAvro(raw)).records, body: raw });
      continue;
    }
    if (key.endsWith(".xml") || key.endsWith(".xml.gz")) {
      const body = key.endsWith(".gz") ? gunzipSync(raw) : raw;
      out.push({ key, stream: streamOfKey(key, prefix), rows: readXml(body).records.map(xmlRecordObject), body });
      continue;
    }
    const { format, gzip } = formatFromKey(key);
    const body = gzip ? gunzipSync(raw) : raw;
    let rows: Record<string, unknown>[];
    if (format === "jsonl") rows = parseJsonLines(body.toString("utf8"));
    else if (format === "json") rows = JSON.parse(body.toString("utf8")) as Record<string, unknown>[];
    else if (format === "csv" && opts.csvReader === "rfc4180") rows = parseCsv(body.toString("utf8"));
    else if (format === "parquet" && opts.parquetReader === "hyparquet")
      rows = (await readParquetIndependently(body)).map((r) => toJsonSafe(r) as Record<string, unknown>);
    else rows = await readObjectRows(server, bucket, key);
    out.push({ key, stream: streamOfKey(key, prefix), rows, body });
  }
  return out;
}

/**
 * A small RFC 4180 reader (header row, `"` quotes, `""` escapes, CRLF or LF), independent of DuckDB and without its
 * 2 MB line limit. Like DuckDB's all_varchar read: an empty unquoted cell is null, a quoted empty cell is "".
 */
export function parseCsv(text: string, delimiter = ",", quote = '"'): Record<string, unknown>[] {
  const records: Array<Array<string | null>> = [];
  let row: Array<string | null> = [];
  let i = 0;
  while (i < text.length) {
    let cell = "";
    let quoted = false;
    if (text[i] === quote) {
      quoted = true;
      i++;
      for (;;) {
        const q = text.indexOf(quote, i);
        if (q === -1) throw new Error("unterminated quoted CSV cell");
        cell += text.slice(i, q);
        if (text[q + 1] === quote) {
          cell += quote;
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
    } else {
      while (i < text.length && text[i] !== delimiter && text[i] !== "\n" && text[i] !== "\r") cell += text[i++];
    }
    row.push(quoted || cell !== "" ? cell : null);
    if (text[i] === delimiter) {
      i++;
      continue;
    }
    if (text[i] === "\r") i++;
    if (text[i] === "\n" || i >= text.length) {
      i++;
      records.push(row);
      row = [];
    }
  }
  const [header, ...data] = records;
  return data.map((r) => Object.fromEntries((header ?? []).map((h, k) => [h ?? "", r[k] ?? null])));
}

/** Rows per stream. */
export function rowsPerStream(objects: StreamObject[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const o of objects) counts[o.stream] = (counts[o.stream] ?? 0) + o.rows.length;
  return counts;
}

/** Runs at most `n` tasks at once (spawned CLIs share two cores with the rest of the suite). */
export function limiter(n: number): <T>(task: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: Array<() => void> = [];
  return async <T>(task: () => Promise<T>): Promise<T> => {
    // A finished task hands its slot straight to the next waiter, so `active` never exceeds n.
    if (active >= n) await new Promise<void>((r) => waiting.push(r));
    else active++;
    try {
      return await task();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else active--;
    }
  };
}
