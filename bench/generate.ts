// Deterministic generator of realistic Singer tap output for the benchmark.
//
// Three streams (orders, customers, events) with ~12 properties each: integers (a few
// beyond 2^53, all within int64), decimals, strings of varied length with unicode,
// quotes and escapes, booleans, date-times with UTC offsets and microseconds, nullable
// fields that are often null, a nested object with typed properties and an array of
// strings. SCHEMA messages come first; RECORD messages are interleaved (shuffled in
// blocks of ten) and carry time_extracted; a STATE with per-stream bookmarks follows
// every 10,000th record, plus a final STATE when the count is not a multiple of 10,000.
//
// Output is streamed to `write` in chunks of about 64 KiB: the whole input is never
// held in memory. Same seed and record count → same bytes.
import { closeSync, openSync, renameSync, writeSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const STREAMS = ["orders", "customers", "events"] as const;
export type StreamName = (typeof STREAMS)[number];

export const DEFAULT_SEED = 20240601;
export const STATE_EVERY = 10_000;
/** Bump when the output format changes, so cached benchmark inputs are regenerated. */
export const GENERATOR_VERSION = 1;

/** In every block of ten records: 4 orders, 2 customers, 4 events, in shuffled order. */
const BLOCK: readonly StreamName[] = ["orders", "orders", "orders", "orders", "customers", "customers", "events", "events", "events", "events"];

export interface GenerateOptions {
  seed?: number;
  /**
   * Amounts declared as pipelinewise tap-postgres declares NUMERIC(p, s) columns: `multipleOf` 0.01 (totals,
   * lifetime values), 0.0001 (tax rates), 0.001 (event values), 0.000001 (coordinates, inside a STRUCT); the
   * values are the same. Parquet then writes them as DECIMAL, and validation checks every multipleOf.
   */
  decimalAmounts?: boolean;
  /** Flush to `write` when the pending text reaches this many characters. */
  chunkChars?: number;
}

export interface GenerateSummary {
  records: number;
  perStream: Record<StreamName, number>;
  states: number;
  schemas: number;
  lines: number;
  /** UTF-8 bytes written. */
  bytes: number;
}

/** mulberry32: small, fast, good enough for test data; never Math.random. */
export class Prng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** Integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)] as T;
  }
}

/** Expected RECORD count per stream for a given total (exact, independent of the seed). */
export function streamCounts(records: number): Record<StreamName, number> {
  const counts: Record<StreamName, number> = { orders: 0, customers: 0, events: 0 };
  const full = Math.floor(records / BLOCK.length);
  for (const s of BLOCK) counts[s] += full;
  // A trailing partial block is not shuffled: it takes BLOCK's first entries.
  for (const s of BLOCK.slice(0, records % BLOCK.length)) counts[s]++;
  return counts;
}

// ---------------------------------------------------------------------------------------
// Schemas

const nullable = (type: string, extra: Record<string, unknown> = {}) => ({ type: ["null", type], ...extra });
const dateTime = { type: ["null", "string"], format: "date-time" };

export const SCHEMAS: Record<StreamName, { schema: object; key_properties: string[]; bookmark_properties: string[] }> = {
  orders: {
    key_properties: ["id"],
    bookmark_properties: ["updated_at"],
    schema: {
      type: "object",
      additionalProperties: false,
      properties: {
        id: { type: "integer" },
        customer_id: { type: "integer" },
        order_number: { type: "string" },
        status: { type: "string", enum: ["pending", "paid", "shipped", "delivered", "cancelled", "refunded"] },
        total: { type: "number" },
        tax_rate: nullable("number"),
        currency: { type: "string" },
        is_gift: { type: "boolean" },
        note: nullable("string"),
        external_id: nullable("integer"),
        created_at: { type: "string", format: "date-time" },
        updated_at: { type: "string", format: "date-time" },
        shipping: {
          type: ["null", "object"],
          additionalProperties: false,
          properties: {
            street: { type: "string" },
            city: { type: "string" },
            postal_code: nullable("string"),
            country: { type: "string" },
            lat: { type: "number" },
            lon: { type: "number" },
          },
        },
        tags: { type: ["null", "array"], items: { type: "string" } },
      },
    },
  },
  customers: {
    key_properties: ["id"],
    bookmark_properties: ["updated_at"],
    schema: {
      type: "object",
      properties: {
        id: { type: "integer" },
        email: { type: "string" },
        first_name: { type: "string" },
        last_name: nullable("string"),
        phone: nullable("string"),
        is_active: { type: "boolean" },
        lifetime_value: nullable("number"),
        loyalty_points: nullable("integer"),
        bio: nullable("string"),
        signup_at: { type: "string", format: "date-time" },
        updated_at: { type: "string", format: "date-time" },
        address: {
          type: ["null", "object"],
          properties: {
            line1: { type: "string" },
            city: { type: "string" },
            region: nullable("string"),
            country: { type: "string" },
            verified: { type: "boolean" },
          },
        },
        segments: { type: "array", items: { type: "string" } },
      },
    },
  },
  events: {
    key_properties: ["id"],
    bookmark_properties: ["occurred_at"],
    schema: {
      type: "object",
      properties: {
        id: { type: "integer" },
        event_id: { type: "string" },
        customer_id: nullable("integer"),
        event_type: { type: "string" },
        occurred_at: { type: "string", format: "date-time" },
        session_id: nullable("string"),
        is_bot: { type: "boolean" },
        value: nullable("number"),
        sequence: { type: "integer" },
        user_agent: nullable("string"),
        received_at: dateTime,
        context: {
          type: "object",
          properties: {
            page: { type: "string" },
            referrer: nullable("string"),
            duration_ms: { type: "integer" },
            score: nullable("number"),
            screen: {
              type: ["null", "object"],
              properties: { width: { type: "integer" }, height: { type: "integer" } },
            },
          },
        },
        labels: { type: "array", items: { type: "string" } },
      },
    },
  },
};

/** `multipleOf` per property path, for GenerateOptions.decimalAmounts. */
const DECIMAL_AMOUNTS: Record<StreamName, Record<string, number>> = {
  orders: { total: 0.01, tax_rate: 0.0001, "shipping.lat": 0.000001, "shipping.lon": 0.000001 },
  customers: { lifetime_value: 0.01 },
  events: { value: 0.001 },
};

/** The stream's schema, with `multipleOf` on its amounts when asked. */
export function schemaOf(stream: StreamName, options: GenerateOptions = {}): object {
  const schema = SCHEMAS[stream].schema;
  if (!options.decimalAmounts) return schema;
  const copy = structuredClone(schema) as { properties: Record<string, Record<string, unknown>> };
  for (const [path, multipleOf] of Object.entries(DECIMAL_AMOUNTS[stream])) {
    let node: Record<string, unknown> = copy;
    for (const part of path.split(".")) node = (node["properties"] as Record<string, Record<string, unknown>>)[part]!;
    node["multipleOf"] = multipleOf;
  }
  return copy;
}

// ---------------------------------------------------------------------------------------
// Value vocabularies

const FIRST_NAMES = [
  "Anna",
  "Björn",
  "Chloé",
  "Dmitri",
  "Émile",
  "Fatima",
  "Giulia",
  "Hiroshi",
  "Ingrid",
  "José",
  "Kwame",
  "Łukasz",
  "María",
  "Nguyễn",
  "Olu",
  "Priya",
  "Quentin",
  "Renée",
  "Søren",
  "Tomás",
  "李",
  "山田",
  "Zoë",
  "D'Arcy",
  "Jean-Luc",
  "Αλέξανδρος",
  "Владимир",
  "محمد",
];
const LAST_NAMES = [
  "Smith",
  "Müller",
  "García",
  "O'Brien",
  "Øvergaard",
  "Kowalski",
  "Nakamura",
  "Dubois",
  "Rossi",
  "van der Berg",
  "Ivanova",
  "Okafor",
  "Patel",
  "Silva",
  "Jäger",
  "Svensson",
  "王",
  "Çelik",
  "Núñez",
];
const CITIES = [
  "Berlin",
  "São Paulo",
  "Zürich",
  "Kraków",
  "Tōkyō",
  "New York",
  "Montréal",
  "Reykjavík",
  "Lagos",
  "Mumbai",
  "Sydney",
  "Ciudad de México",
  "İstanbul",
  "Malmö",
  "Düsseldorf",
  "Québec",
  "Seoul",
];
const COUNTRIES = ["DE", "BR", "CH", "PL", "JP", "US", "CA", "IS", "NG", "IN", "AU", "MX", "TR", "SE", "KR"];
const STREETS = ["Hauptstraße", "Rua Augusta", "Main St", "Baker Street", "Rue de Rivoli", "Calle Mayor", "Ulica Długa"];
const STATUSES = ["pending", "paid", "shipped", "delivered", "cancelled", "refunded"];
const CURRENCIES = ["USD", "EUR", "GBP", "JPY", "BRL", "CHF", "PLN"];
const TAGS = ["priority", "wholesale", "gift-wrap", "fragile", "b2b", "promo:SUMMER24", "first-order", "répété", "🎁", "vip"];
const SEGMENTS = ["newsletter", "churn-risk", "high-value", "beta", "mobile", "desktop", "eu", "apac", "läuft"];
const EVENT_TYPES = ["page_view", "click", "add_to_cart", "checkout_started", "purchase", "search", "signup", "logout"];
const PAGES = ["/", "/products", "/products/42", "/cart", "/checkout", "/search?q=caf%C3%A9", "/account", "/blog/ünïcödé"];
const LABELS = ["ab:control", "ab:variant-b", 'campaign:"spring"', "utm_source=mail", "mobile", "retargeted", "重要"];
const AGENTS = [
  "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
  "curl/8.5.0",
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:127.0) Gecko/20100101 Firefox/127.0",
];
const WORDS = [
  "the",
  "quick",
  "brown",
  "fox",
  "jumps",
  "over",
  "lazy",
  "dog",
  "café",
  "naïve",
  "résumé",
  "smörgåsbord",
  '"quoted"',
  "it's",
  "comma,separated",
  "semi;colon",
  "tab\there",
  "new\nline",
  "back\\slash",
  "日本語",
  "emoji🚀",
  "Ελληνικά",
  "кириллица",
  "العربية",
  "ok",
  "delivery",
  "please",
  "leave",
  "at",
  "door",
];
const OFFSETS: readonly [string, number][] = [
  ["Z", 0],
  ["+00:00", 0],
  ["+02:00", 120],
  ["-05:00", -300],
  ["+05:30", 330],
  ["-03:00", -180],
  ["+09:00", 540],
  ["+01:00", 60],
];

// ---------------------------------------------------------------------------------------
// Formatting helpers (hand-built JSON so integers beyond 2^53 stay exact)

const q = (s: string): string => JSON.stringify(s);
const pad2 = (n: number): string => (n < 10 ? "0" + n : String(n));

/** ISO-8601 local time for an instant (epoch ms) at a UTC offset, optionally with microseconds. */
function isoAt(epochMs: number, offset: readonly [string, number], micros: number | null): string {
  const d = new Date(epochMs + offset[1] * 60_000);
  let s =
    d.getUTCFullYear() +
    "-" +
    pad2(d.getUTCMonth() + 1) +
    "-" +
    pad2(d.getUTCDate()) +
    "T" +
    pad2(d.getUTCHours()) +
    ":" +
    pad2(d.getUTCMinutes()) +
    ":" +
    pad2(d.getUTCSeconds());
  if (micros !== null) s += "." + String(micros).padStart(6, "0");
  return s + offset[0];
}

function sentence(r: Prng, minWords: number, maxWords: number): string {
  const n = r.int(minWords, maxWords);
  const parts: string[] = [];
  for (let i = 0; i < n; i++) parts.push(r.pick(WORDS));
  return parts.join(" ");
}

function stringArray(r: Prng, vocab: readonly string[], max: number): string {
  const n = r.int(0, max);
  const parts: string[] = [];
  for (let i = 0; i < n; i++) parts.push(q(r.pick(vocab)));
  return "[" + parts.join(",") + "]";
}

/** A decimal with `digits` fractional digits, written the way JSON.stringify would (no trailing zeros issues). */
function decimal(r: Prng, min: number, max: number, digits: number): string {
  const f = 10 ** digits;
  return String(Math.round((min + r.next() * (max - min)) * f) / f);
}

const INT64_MAX = 9223372036854775807n;
const TWO_53 = 2n ** 53n;

function bigIntish(r: Prng): string {
  // 2% beyond 2^53, where a float64 parse loses digits; now and then exactly int64 max.
  if (r.chance(0.02)) {
    if (r.chance(0.05)) return INT64_MAX.toString();
    const hi = BigInt(Math.floor(r.next() * 2 ** 31));
    const lo = BigInt(Math.floor(r.next() * 2 ** 31));
    return (TWO_53 + 1n + ((hi << 31n) | lo)).toString();
  }
  return String(r.int(1, 2_000_000_000) * 1000 + r.int(0, 999));
}

// ---------------------------------------------------------------------------------------
// Records

const BASE_MS = Date.UTC(2024, 0, 1, 0, 0, 0);

interface Cursors {
  ids: Record<StreamName, number>;
  bookmark: Record<StreamName, string | null>;
}

function orderRecord(r: Prng, id: number, clockMs: number, c: Cursors): string {
  const offset = r.pick(OFFSETS);
  const created = clockMs - r.int(0, 86_400_000);
  const updated = isoAt(clockMs, offset, r.chance(0.5) ? r.int(0, 999_999) : null);
  c.bookmark.orders = updated;
  const shipping = r.chance(0.15)
    ? "null"
    : '{"street":' +
      q(r.int(1, 999) + " " + r.pick(STREETS)) +
      ',"city":' +
      q(r.pick(CITIES)) +
      ',"postal_code":' +
      (r.chance(0.2) ? "null" : q(String(r.int(1000, 99999)))) +
      ',"country":' +
      q(r.pick(COUNTRIES)) +
      ',"lat":' +
      decimal(r, -60, 70, 6) +
      ',"lon":' +
      decimal(r, -180, 180, 6) +
      "}";
  return (
    '{"id":' +
    id +
    ',"customer_id":' +
    r.int(1, 500_000) +
    ',"order_number":' +
    q("SO-" + String(id).padStart(9, "0")) +
    ',"status":' +
    q(r.pick(STATUSES)) +
    ',"total":' +
    decimal(r, 0, 5000, 2) +
    ',"tax_rate":' +
    (r.chance(0.3) ? "null" : decimal(r, 0, 0.27, 4)) +
    ',"currency":' +
    q(r.pick(CURRENCIES)) +
    ',"is_gift":' +
    r.chance(0.1) +
    ',"note":' +
    (r.chance(0.7) ? "null" : q(sentence(r, 1, 30))) +
    ',"external_id":' +
    (r.chance(0.4) ? "null" : bigIntish(r)) +
    ',"created_at":' +
    q(isoAt(created, r.pick(OFFSETS), null)) +
    ',"updated_at":' +
    q(updated) +
    ',"shipping":' +
    shipping +
    ',"tags":' +
    (r.chance(0.25) ? "null" : stringArray(r, TAGS, 4)) +
    "}"
  );
}

function customerRecord(r: Prng, id: number, clockMs: number, c: Cursors): string {
  const first = r.pick(FIRST_NAMES);
  const updated = isoAt(clockMs, r.pick(OFFSETS), r.chance(0.5) ? r.int(0, 999_999) : null);
  c.bookmark.customers = updated;
  const address = r.chance(0.2)
    ? "null"
    : '{"line1":' +
      q(r.int(1, 999) + " " + r.pick(STREETS)) +
      ',"city":' +
      q(r.pick(CITIES)) +
      ',"region":' +
      (r.chance(0.5) ? "null" : q(r.pick(CITIES) + " Region")) +
      ',"country":' +
      q(r.pick(COUNTRIES)) +
      ',"verified":' +
      r.chance(0.6) +
      "}";
  return (
    '{"id":' +
    id +
    ',"email":' +
    q("user" + id + "@example" + r.int(1, 50) + ".com") +
    ',"first_name":' +
    q(first) +
    ',"last_name":' +
    (r.chance(0.1) ? "null" : q(r.pick(LAST_NAMES))) +
    ',"phone":' +
    (r.chance(0.6) ? "null" : q("+" + r.int(1, 99) + " " + r.int(100, 999) + " " + r.int(1_000_000, 9_999_999))) +
    ',"is_active":' +
    r.chance(0.85) +
    ',"lifetime_value":' +
    (r.chance(0.2) ? "null" : decimal(r, 0, 100_000, 2)) +
    ',"loyalty_points":' +
    (r.chance(0.5) ? "null" : r.int(0, 1_000_000)) +
    ',"bio":' +
    (r.chance(0.65) ? "null" : q(sentence(r, 0, 80))) +
    ',"signup_at":' +
    q(isoAt(clockMs - r.int(0, 3 * 365 * 86_400_000), r.pick(OFFSETS), null)) +
    ',"updated_at":' +
    q(updated) +
    ',"address":' +
    address +
    ',"segments":' +
    stringArray(r, SEGMENTS, 3) +
    "}"
  );
}

const HEX = "0123456789abcdef";
function uuid(r: Prng): string {
  let s = "";
  for (let i = 0; i < 32; i++) {
    if (i === 8 || i === 12 || i === 16 || i === 20) s += "-";
    s += i === 12 ? "4" : HEX[r.int(0, 15)];
  }
  return s;
}

function eventRecord(r: Prng, id: number, clockMs: number, c: Cursors): string {
  const occurred = isoAt(clockMs, r.pick(OFFSETS), r.int(0, 999_999));
  c.bookmark.events = occurred;
  return (
    '{"id":' +
    id +
    ',"event_id":' +
    q(uuid(r)) +
    ',"customer_id":' +
    (r.chance(0.3) ? "null" : r.int(1, 500_000)) +
    ',"event_type":' +
    q(r.pick(EVENT_TYPES)) +
    ',"occurred_at":' +
    q(occurred) +
    ',"session_id":' +
    (r.chance(0.2) ? "null" : q("s_" + r.int(1, 2_000_000_000).toString(36))) +
    ',"is_bot":' +
    r.chance(0.05) +
    ',"value":' +
    (r.chance(0.6) ? "null" : decimal(r, -100, 10_000, 3)) +
    ',"sequence":' +
    (id * 7 + r.int(0, 6)) +
    ',"user_agent":' +
    (r.chance(0.3) ? "null" : q(r.pick(AGENTS))) +
    ',"received_at":' +
    (r.chance(0.5) ? "null" : q(isoAt(clockMs + r.int(0, 5000), OFFSETS[0] as [string, number], r.int(0, 999_999)))) +
    ',"context":{"page":' +
    q(r.pick(PAGES)) +
    ',"referrer":' +
    (r.chance(0.5) ? "null" : q("https://ref" + r.int(1, 20) + ".example.org/" + r.pick(WORDS))) +
    ',"duration_ms":' +
    r.int(0, 600_000) +
    ',"score":' +
    (r.chance(0.4) ? "null" : decimal(r, 0, 1, 5)) +
    ',"screen":' +
    (r.chance(0.3) ? "null" : '{"width":' + r.pick([375, 414, 768, 1280, 1920]) + ',"height":' + r.pick([667, 896, 1024, 800, 1080]) + "}") +
    '},"labels":' +
    stringArray(r, LABELS, 3) +
    "}"
  );
}

const RECORD_FNS: Record<StreamName, (r: Prng, id: number, clockMs: number, c: Cursors) => string> = {
  orders: orderRecord,
  customers: customerRecord,
  events: eventRecord,
};

// ---------------------------------------------------------------------------------------
// The generator

/**
 * Streams `records` RECORD messages (plus SCHEMA and STATE messages) as Singer NDJSON to
 * `write`, in chunks. Synchronous; `write` must consume or copy each chunk.
 */
export function generateSinger(records: number, write: (chunk: string) => void, options: GenerateOptions = {}): GenerateSummary {
  if (!Number.isInteger(records) || records < 0) throw new Error(`records must be a non-negative integer, got ${records}`);
  const r = new Prng(options.seed ?? DEFAULT_SEED);
  const chunkChars = options.chunkChars ?? 65_536;
  const summary: GenerateSummary = {
    records: 0,
    perStream: { orders: 0, customers: 0, events: 0 },
    states: 0,
    schemas: 0,
    lines: 0,
    bytes: 0,
  };
  let pending = "";
  const emit = (line: string): void => {
    pending += line + "\n";
    summary.lines++;
    if (pending.length >= chunkChars) flush();
  };
  const flush = (): void => {
    if (pending.length === 0) return;
    summary.bytes += Buffer.byteLength(pending, "utf8");
    write(pending);
    pending = "";
  };

  for (const stream of STREAMS) {
    const s = SCHEMAS[stream];
    emit(
      JSON.stringify({
        type: "SCHEMA",
        stream,
        schema: schemaOf(stream, options),
        key_properties: s.key_properties,
        bookmark_properties: s.bookmark_properties,
      }),
    );
    summary.schemas++;
  }

  const cursors: Cursors = {
    ids: { orders: 0, customers: 0, events: 0 },
    bookmark: { orders: null, customers: null, events: null },
  };
  const emitState = (): void => {
    const bookmarks: Record<string, object> = {};
    for (const s of STREAMS) {
      const key = SCHEMAS[s].bookmark_properties[0] as string;
      const value = cursors.bookmark[s];
      if (value !== null) bookmarks[s] = { [key]: value, last_id: cursors.ids[s] };
    }
    emit(JSON.stringify({ type: "STATE", value: { bookmarks } }));
    summary.states++;
  };

  const block: StreamName[] = [...BLOCK];
  let clockMs = BASE_MS;
  for (let i = 0; i < records; i++) {
    const slot = i % BLOCK.length;
    if (slot === 0) {
      // Fisher–Yates shuffle of the next block: interleaving without changing the mix.
      // A trailing partial block keeps BLOCK's order, so per-stream counts are exact.
      if (i + BLOCK.length > records) block.splice(0, block.length, ...BLOCK);
      else
        for (let j = block.length - 1; j > 0; j--) {
          const k = r.int(0, j);
          const t = block[j] as StreamName;
          block[j] = block[k] as StreamName;
          block[k] = t;
        }
    }
    const stream = block[slot] as StreamName;
    clockMs += r.int(0, 2000);
    const id = ++cursors.ids[stream];
    const record = RECORD_FNS[stream](r, id, clockMs, cursors);
    // time_extracted: UTC with milliseconds, as most taps write it.
    const extracted = new Date(clockMs + 3_600_000).toISOString();
    emit('{"type":"RECORD","stream":"' + stream + '","record":' + record + ',"time_extracted":"' + extracted + '"}');
    summary.records++;
    summary.perStream[stream]++;
    if ((i + 1) % STATE_EVERY === 0) emitState();
  }
  if (records % STATE_EVERY !== 0) emitState();
  flush();
  return summary;
}

/** Writes a generated input to `file` (via a temporary name, so a partial file is never mistaken for a finished one). */
export function generateToFile(records: number, file: string, options: GenerateOptions = {}): GenerateSummary {
  const partial = `${file}.partial-${process.pid}`;
  const fd = openSync(partial, "w");
  let summary: GenerateSummary;
  try {
    summary = generateSinger(records, (chunk) => writeSync(fd, chunk), options);
  } finally {
    closeSync(fd);
  }
  renameSync(partial, file);
  return summary;
}

function usage(): never {
  process.stderr.write("usage: node dist/bench/generate.js --records N --out FILE [--seed S]\n");
  process.exit(2);
}

function main(argv: string[]): void {
  let records: number | undefined;
  let out: string | undefined;
  let seed = DEFAULT_SEED;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = argv[++i];
    if (v === undefined) usage();
    if (a === "--records") records = Number(v.replace(/_/g, ""));
    else if (a === "--out") out = v;
    else if (a === "--seed") seed = Number(v);
    else usage();
  }
  if (records === undefined || out === undefined || !Number.isInteger(records) || records < 0 || !Number.isInteger(seed)) usage();
  const t0 = performance.now();
  const s = out === "-" ? generateSinger(records, (c) => process.stdout.write(c), { seed }) : generateToFile(records, out, { seed });
  const secs = (performance.now() - t0) / 1000;
  process.stderr.write(
    `generated ${s.records} records (orders ${s.perStream.orders}, customers ${s.perStream.customers}, events ${s.perStream.events}), ` +
      `${s.states} STATE, ${(s.bytes / 1e6).toFixed(1)} MB in ${secs.toFixed(1)} s → ${out}\n`,
  );
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) main(process.argv.slice(2));
