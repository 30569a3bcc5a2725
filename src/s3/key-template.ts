/**
 * `key_template`: the part of an object key after the bucket URI prefix and `object_key_path` (SPEC §5).
 * Pure: no I/O. Parsed once at start ({@link KeyTemplate.parse}), rendered once per file ({@link KeyTemplate.render}).
 *
 * ## Syntax
 * Text with `{macro}` placeholders. `{{` and `}}` are a literal `{` / `}`. A literal `/` creates a folder; empty
 * segments disappear (so an empty `{namespace}` or `{date_partition}` leaves no `//`). An unknown macro, an
 * unbalanced brace, a control character, a backslash, or a literal `.`/`..` segment is a ConfigError at start that
 * names the problem and lists every valid macro.
 *
 * ## Macros
 * Load-time macros use the run's start time in `timezone` (default UTC). Examples: run start 2025-04-14T11:23:45Z,
 * stream `sales_summary_daily`, connection `f52c7268-2359-467a-a5e8-83c536cb4de8`, part 1, CSV with gzip.
 *
 * | macro                          | value                                                                  | example (UTC)                          | example (America/New_York) |
 * |--------------------------------|------------------------------------------------------------------------|----------------------------------------|----------------------------|
 * | `{stream_name}`                | the stream's name, made safe (see safe-key.ts)                         | `sales_summary_daily`                  | same |
 * | `{namespace}`                  | the stream's namespace (Airbyte), made safe; empty when none           | `public`                               | same |
 * | `{stream_id}`                  | UUIDv5(`STREAM_ID_NAMESPACE`, `<connection_id>/<namespace>/<stream_name>`): stable across runs | `1b0d…` | same |
 * | `{stream_run_id}`              | UUIDv5(`STREAM_ID_NAMESPACE`, `<connection_run_id>/<namespace>/<stream_name>`): one per stream and run | `7c3e…` | same |
 * | `{connection_id}`              | the `connection_id` setting, made safe                                 | `f52c7268-2359-467a-a5e8-83c536cb4de8` | same |
 * | `{connection_run_id}`          | the `connection_run_id` setting (default: a new UUID per run), made safe | `fad1983d-7446-45c4-bb46-4578affe02d5` | same |
 * | `{extension}`                  | `csv`, `csv.gz`, `jsonl`, `jsonl.gz`, `json`, `json.gz`, `parquet`     | `csv.gz`                               | same |
 * | `{date_time}`                  | run start, `%Y_%m_%d_%H_%M_%S`                                         | `2025_04_14_11_23_45`                  | `2025_04_14_07_23_45` |
 * | `{timestamp}`                  | same as `{date_time}`                                                  | `2025_04_14_11_23_45`                  | `2025_04_14_07_23_45` |
 * | `{iso_date_time}`              | run start, ISO-8601 to the second; `Z` in UTC, else the zone's offset  | `2025-04-14T11:23:45Z`                 | `2025-04-14T07:23:45-04:00` |
 * | `{date}`                       | run start, `%Y_%m_%d`                                                  | `2025_04_14`                           | `2025_04_14` |
 * | `{iso_date}`                   | run start, `%Y-%m-%d` (Rivery's table says `%Y_%m_%d` but shows `2025-04-14`; we follow the example) | `2025-04-14` | `2025-04-14` |
 * | `{year}`                       | run start year, 4 digits                                               | `2025`                                 | `2025` |
 * | `{month}`                      | 01–12                                                                  | `04`                                   | `04` |
 * | `{day}`                        | 01–31                                                                  | `14`                                   | `14` |
 * | `{hour}`                       | 00–23                                                                  | `11`                                   | `07` |
 * | `{minute}`                     | 00–59                                                                  | `23`                                   | `23` |
 * | `{second}`                     | 00–59                                                                  | `45`                                   | `45` |
 * | `{part}`                       | the file's number within the stream and run, from 1, 5 digits          | `00001`                                | same |
 * | `{date_partition}`             | run start formatted with `date_partition_format` (strftime); empty when unset, so its segment disappears; a `/` in the format creates folders | `20250414` (`%Y%m%d`) | `20250414` |
 * | `{cursor_year}`                | the record's cursor year, 4 digits                                     | `2025`                                 | in the zone |
 * | `{cursor_month}`               | 01–12                                                                  | `04`                                   | in the zone |
 * | `{cursor_day}`                 | 01–31                                                                  | `14`                                   | in the zone |
 * | `{cursor_date_time}`           | `%Y_%m_%d_%H_%M_%S`                                                    | `2025_04_14_11_23_45`                  | `2025_04_14_07_23_45` |
 * | `{cursor_iso_date_time}`       | ISO-8601 to the second, `Z` in UTC, else the offset                    | `2025-04-14T11:23:45Z`                 | `2025-04-14T07:23:45-04:00` |
 * | `{cursor_singular_date_time}`  | `%Y-%m-%d-%H-%M-%S`                                                    | `2025-04-14-11-23-45`                  | `2025-04-14-07-23-45` |
 *
 * Cursor macros use each record's cursor value (cursor-partition.ts): records whose cursors render differently go
 * to different files. A record without a usable cursor renders every cursor macro as `__null__`.
 * Time values contain only digits, `_`, `-`, `T`, `Z`, `:` and `+`; `{date_partition}` keeps the format's literal
 * text except control characters and backslashes (escaped as `~XX`).
 */
import { createHash } from "node:crypto";
import { nearest } from "../edit-distance.js";
import { ConfigError } from "../errors.js";
import { CURSOR_NEEDS, NULL_CURSOR_TEXT, cursorFields, newCursorFields, type CursorValue } from "./cursor-partition.js";
import { safeLiteralSegment, safeSegment, validateKeyLiteral } from "./safe-key.js";
import { formatOffset, pad, pad2, strftime, validateStrftime } from "../time/strftime.js";
import { dateParts, isUtcZone, type DateParts } from "../time/time-zones.js";

/**
 * The UUIDv5 namespace of `{stream_id}` and `{stream_run_id}`. Fixed forever: changing it changes every key that
 * uses those macros.
 */
export const STREAM_ID_NAMESPACE = "6b2f8d61-21ab-4c97-a235-f6fb5654f7fb";

export const LOAD_MACROS = [
  "stream_name",
  "stream_id",
  "stream_run_id",
  "connection_id",
  "connection_run_id",
  "namespace",
  "extension",
  "date_time",
  "timestamp",
  "iso_date_time",
  "date",
  "iso_date",
  "year",
  "month",
  "day",
  "hour",
  "minute",
  "second",
  "part",
  "date_partition",
] as const;

export const CURSOR_MACROS = ["cursor_year", "cursor_month", "cursor_day", "cursor_date_time", "cursor_iso_date_time", "cursor_singular_date_time"] as const;

export type LoadMacro = (typeof LOAD_MACROS)[number];
export type CursorMacro = (typeof CURSOR_MACROS)[number];
export type Macro = LoadMacro | CursorMacro;

/** Every valid macro name (without braces). */
export const MACROS: readonly Macro[] = [...LOAD_MACROS, ...CURSOR_MACROS];
const MACRO_SET: ReadonlySet<string> = new Set(MACROS);
const CURSOR_SET: ReadonlySet<string> = new Set(CURSOR_MACROS);

/**
 * The default of the `key_template` setting (schemas/config.schema.json declares it; a unit test keeps the two
 * equal): one folder per stream, then the date partition when set, then a file name unique per run and part.
 * Airbyte mode puts `{namespace}/` in front of it.
 */
export const DEFAULT_KEY_TEMPLATE = "{stream_name}/{date_partition}/{stream_name}-{timestamp}-{connection_run_id}-{part}.{extension}";

export interface KeyContext {
  streamName: string;
  namespace?: string | undefined;
  connectionId: string;
  connectionRunId: string;
  runStart: Date;
  timeZone: string;
  extension: string;
  part: number;
  datePartitionFormat: string | null;
  /** The partition's cursor; NULL_CURSOR when the record had none. */
  cursor: CursorValue;
}

// ---------------------------------------------------------------------------------------------------------------
// UUIDv5
// ---------------------------------------------------------------------------------------------------------------

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** RFC 9562 UUID version 5 (SHA-1) of `name` (UTF-8) in the namespace `namespaceUuid`. */
export function uuidV5(name: string, namespaceUuid: string): string {
  if (!UUID_RE.test(namespaceUuid)) throw new TypeError(`uuidV5: "${namespaceUuid}" is not a UUID`);
  const ns = Buffer.from(namespaceUuid.replace(/-/g, ""), "hex");
  const hash = createHash("sha1").update(ns).update(name, "utf8").digest();
  hash[6] = ((hash[6] ?? 0) & 0x0f) | 0x50;
  hash[8] = ((hash[8] ?? 0) & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** `{stream_id}`: UUIDv5 of `<connection_id>/<namespace or "">/<stream_name>` in STREAM_ID_NAMESPACE. */
export function streamId(connectionId: string, namespace: string | undefined, streamName: string): string {
  return uuidV5(`${connectionId}/${namespace ?? ""}/${streamName}`, STREAM_ID_NAMESPACE);
}

/** `{stream_run_id}`: UUIDv5 of `<connection_run_id>/<namespace or "">/<stream_name>` in STREAM_ID_NAMESPACE. */
export function streamRunId(connectionRunId: string, namespace: string | undefined, streamName: string): string {
  return uuidV5(`${connectionRunId}/${namespace ?? ""}/${streamName}`, STREAM_ID_NAMESPACE);
}

// ---------------------------------------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------------------------------------

type Piece = { readonly literal: string } | { readonly macro: Macro };

function validMacroList(): string {
  return MACROS.map((m) => `{${m}}`).join(" ");
}

/** Names other tools use for a macro (`{stream}`, `{ext}`), too far from ours for the edit distance to find. */
const MACRO_ALIASES: Record<string, Macro> = {
  stream: "stream_name",
  table: "stream_name",
  table_name: "stream_name",
  ext: "extension",
  file_extension: "extension",
  run_id: "connection_run_id",
  uuid: "connection_run_id",
  ts: "timestamp",
  datetime: "date_time",
  partition: "date_partition",
};

function suggestion(name: string): string {
  const lower = name.toLowerCase().trim();
  const alias = MACRO_ALIASES[lower];
  if (alias !== undefined) return ` (did you mean {${alias}}?)`;
  const close = nearest(lower, MACROS);
  return close !== undefined && close.distance <= Math.max(2, Math.floor(lower.length / 3)) ? ` (did you mean {${close.candidate}}?)` : "";
}

function parsePieces(template: string): { pieces: Piece[]; problems: string[] } {
  const pieces: Piece[] = [];
  const problems: string[] = [];
  let literal = "";
  const flush = (): void => {
    if (literal !== "") {
      pieces.push({ literal });
      literal = "";
    }
  };
  for (let i = 0; i < template.length; i++) {
    const ch = template[i] as string;
    if (ch === "{") {
      if (template[i + 1] === "{") {
        literal += "{";
        i++;
        continue;
      }
      let j = i + 1;
      while (j < template.length && template[j] !== "}" && template[j] !== "{") j++;
      if (j >= template.length || template[j] === "{") {
        problems.push(`unbalanced "{" at position ${i}: close it with "}" or write "{{" for a literal brace`);
        literal += "{";
        continue;
      }
      const name = template.slice(i + 1, j);
      if (MACRO_SET.has(name)) {
        flush();
        pieces.push({ macro: name as Macro });
      } else {
        problems.push(`unknown macro {${name}} at position ${i}${suggestion(name)}; valid macros: ${validMacroList()}`);
      }
      i = j;
      continue;
    }
    if (ch === "}") {
      if (template[i + 1] === "}") {
        literal += "}";
        i++;
        continue;
      }
      problems.push(`unbalanced "}" at position ${i}: write "}}" for a literal brace`);
      literal += "}";
      continue;
    }
    literal += ch;
  }
  flush();
  // Literal text checks: control characters, backslashes, and segments that are only "." or "..".
  const literalText = pieces.map((p) => ("literal" in p ? p.literal : "\u0001M")).join("");
  for (const problem of validateKeyLiteral("key_template", template)) {
    if (!problem.includes("path segment")) problems.push(problem);
  }
  for (const seg of literalText.split("/")) {
    if (seg === "." || seg === "..") problems.push(`key_template: contains a "${seg}" path segment`);
  }
  if (!pieces.some((p) => "macro" in p || p.literal.replace(/\//g, "") !== "")) {
    problems.push("key_template: is empty (it must render to a file name)");
  }
  return { pieces, problems };
}

/**
 * Problems that would let two objects of one run get the same key ([] when none), for templates rendered with the
 * run's `connection_run_id` and a `{part}` that counts a stream's files (not deterministic_keys, which renders its own
 * batch id): every file needs `{part}` (a stream can have several files per run: batch limits, cursor partitions,
 * schema changes), and every stream needs `{stream_name}`, `{stream_id}` or `{stream_run_id}` (the part numbers of
 * two streams both start at 1). Without them a later file silently replaces an earlier one that was already counted
 * as stored.
 */
export function fileIdentityProblems(template: KeyTemplate): string[] {
  const problems: string[] = [];
  const uses = (m: Macro): boolean => template.macros.includes(m);
  if (!uses("part")) {
    problems.push(
      "key_template: has no {part}, so a stream's second file in a run (batch_size_rows, max_file_bytes, cursor partitions, schema changes) would replace its first: add {part} to the file name",
    );
  }
  if (!uses("stream_name") && !uses("stream_id") && !uses("stream_run_id")) {
    problems.push("key_template: has no {stream_name}, {stream_id} or {stream_run_id}, so the files of two streams would get the same keys: add {stream_name}");
  }
  return problems;
}

/** Problems with a `date_partition_format` ([] when fine): strftime directives and literal text. */
export function validateDatePartitionFormat(format: string): string[] {
  const problems = validateStrftime(format).map((p) => `date_partition_format: ${p}`);
  return [...problems, ...validateKeyLiteral("date_partition_format", format)];
}

// ---------------------------------------------------------------------------------------------------------------
// KeyTemplate
// ---------------------------------------------------------------------------------------------------------------

interface RunValues {
  dateTime: string;
  isoDateTime: string;
  date: string;
  isoDate: string;
  year: string;
  month: string;
  day: string;
  hour: string;
  minute: string;
  second: string;
  datePartition: string;
}

function isoDateTime(
  p: { year: number; month: number; day: number; hour: number; minute: number; second: number },
  offsetMinutes: number,
  utc: boolean,
): string {
  const base = `${pad(p.year, 4)}-${pad2(p.month)}-${pad2(p.day)}T${pad2(p.hour)}:${pad2(p.minute)}:${pad2(p.second)}`;
  return utc ? `${base}Z` : `${base}${formatOffset(offsetMinutes, true)}`;
}

function safeDatePartition(value: string): string {
  return value
    .split("/")
    .filter((s) => s !== "")
    .map(safeLiteralSegment)
    .join("/");
}

export class KeyTemplate {
  /** Macro names used (without braces), in order of first use. */
  readonly macros: string[];
  /** Whether any cursor macro is used. */
  readonly usesCursor: boolean;
  /** Bit set of CURSOR_NEEDS: what the cursor macros need (0 when none are used). */
  readonly cursorNeeds: number;

  private runKey = "";
  private runValues: RunValues | undefined;
  private readonly cursorScratch = newCursorFields();

  private constructor(
    readonly template: string,
    private readonly pieces: readonly Piece[],
  ) {
    const macros: string[] = [];
    let needs = 0;
    for (const p of pieces) {
      if (!("macro" in p)) continue;
      if (!macros.includes(p.macro)) macros.push(p.macro);
      switch (p.macro) {
        case "cursor_year":
          needs |= CURSOR_NEEDS.year;
          break;
        case "cursor_month":
          needs |= CURSOR_NEEDS.month;
          break;
        case "cursor_day":
          needs |= CURSOR_NEEDS.day;
          break;
        case "cursor_date_time":
        case "cursor_singular_date_time":
          needs |= CURSOR_NEEDS.time;
          break;
        case "cursor_iso_date_time":
          needs |= CURSOR_NEEDS.time | CURSOR_NEEDS.offset;
          break;
        default:
          break;
      }
    }
    this.macros = macros;
    this.usesCursor = macros.some((m) => CURSOR_SET.has(m));
    this.cursorNeeds = needs;
  }

  /** Problems with a template ([] when valid). */
  static validate(template: string): string[] {
    return parsePieces(template).problems;
  }

  /** Parses a template; throws ConfigError listing every problem (unknown macros, unbalanced braces, …). */
  static parse(template: string): KeyTemplate {
    const { pieces, problems } = parsePieces(template);
    if (problems.length > 0) {
      const listed = problems.some((p) => p.startsWith("unknown macro"));
      throw new ConfigError(
        `key_template "${template}" is invalid${listed ? "" : ` (valid macros: ${validMacroList()}; "{{" and "}}" are literal braces)`}`,
        problems,
      );
    }
    return new KeyTemplate(template, pieces);
  }

  private run(ctx: KeyContext): RunValues {
    const key = `${ctx.runStart.getTime()}\u0000${ctx.timeZone}\u0000${ctx.datePartitionFormat ?? "\u0000"}`;
    if (this.runValues !== undefined && this.runKey === key) return this.runValues;
    const p: DateParts = dateParts(ctx.runStart, ctx.timeZone);
    const y = pad(p.year, 4);
    const mo = pad2(p.month);
    const d = pad2(p.day);
    const h = pad2(p.hour);
    const mi = pad2(p.minute);
    const s = pad2(p.second);
    const values: RunValues = {
      dateTime: `${y}_${mo}_${d}_${h}_${mi}_${s}`,
      isoDateTime: isoDateTime(p, p.offsetMinutes, isUtcZone(ctx.timeZone)),
      date: `${y}_${mo}_${d}`,
      isoDate: `${y}-${mo}-${d}`,
      year: y,
      month: mo,
      day: d,
      hour: h,
      minute: mi,
      second: s,
      datePartition: ctx.datePartitionFormat === null ? "" : safeDatePartition(strftime(ctx.datePartitionFormat, p)),
    };
    this.runKey = key;
    this.runValues = values;
    return values;
  }

  /** The value of one macro for `ctx` (already safe). */
  macroValue(macro: Macro, ctx: KeyContext): string {
    switch (macro) {
      case "stream_name":
        return safeSegment(ctx.streamName);
      case "namespace":
        return safeSegment(ctx.namespace ?? "");
      case "stream_id":
        return streamId(ctx.connectionId, ctx.namespace, ctx.streamName);
      case "stream_run_id":
        return streamRunId(ctx.connectionRunId, ctx.namespace, ctx.streamName);
      case "connection_id":
        return safeSegment(ctx.connectionId);
      case "connection_run_id":
        return safeSegment(ctx.connectionRunId);
      case "extension":
        return safeSegment(ctx.extension);
      case "part":
        return pad(ctx.part, 5);
      case "date_time":
      case "timestamp":
        return this.run(ctx).dateTime;
      case "iso_date_time":
        return this.run(ctx).isoDateTime;
      case "date":
        return this.run(ctx).date;
      case "iso_date":
        return this.run(ctx).isoDate;
      case "year":
        return this.run(ctx).year;
      case "month":
        return this.run(ctx).month;
      case "day":
        return this.run(ctx).day;
      case "hour":
        return this.run(ctx).hour;
      case "minute":
        return this.run(ctx).minute;
      case "second":
        return this.run(ctx).second;
      case "date_partition":
        return this.run(ctx).datePartition;
      default:
        return this.cursorMacroValue(macro, ctx.cursor, ctx.timeZone);
    }
  }

  private cursorMacroValue(macro: CursorMacro, cursor: CursorValue, timeZone: string): string {
    if (cursor.kind === "null") return NULL_CURSOR_TEXT;
    const f = cursorFields(cursor, timeZone, this.cursorScratch);
    switch (macro) {
      case "cursor_year":
        return pad(f.year, 4);
      case "cursor_month":
        return pad2(f.month);
      case "cursor_day":
        return pad2(f.day);
      case "cursor_date_time":
        return `${pad(f.year, 4)}_${pad2(f.month)}_${pad2(f.day)}_${pad2(f.hour)}_${pad2(f.minute)}_${pad2(f.second)}`;
      case "cursor_singular_date_time":
        return `${pad(f.year, 4)}-${pad2(f.month)}-${pad2(f.day)}-${pad2(f.hour)}-${pad2(f.minute)}-${pad2(f.second)}`;
      case "cursor_iso_date_time":
        return isoDateTime(f, f.offsetMinutes, isUtcZone(timeZone));
    }
  }

  /** The template's folders (every `/`-separated segment but the last, the file name), each with the macros it uses. */
  folders(): Array<{ macros: Macro[] }> {
    return this.segmentPieces()
      .slice(0, -1)
      .map((pieces) => ({ macros: pieces.flatMap((p) => ("macro" in p ? [p.macro] : [])) }));
  }

  /** A template made of the first `count` folders only (to render the prefix they share). */
  leadingFolders(count: number): KeyTemplate {
    const pieces = this.segmentPieces()
      .slice(0, count)
      .flatMap((segment, i) => (i === 0 ? segment : [{ literal: "/" }, ...segment]));
    return new KeyTemplate(pieces.map((p) => ("macro" in p ? `{${p.macro}}` : p.literal.replace(/[{}]/g, (b) => b + b))).join(""), pieces);
  }

  /** The pieces split at each `/` of literal text (macro values never add one: they are made safe). */
  private segmentPieces(): Piece[][] {
    const segments: Piece[][] = [[]];
    for (const p of this.pieces) {
      if ("macro" in p) {
        segments.at(-1)!.push(p);
        continue;
      }
      p.literal.split("/").forEach((text, i) => {
        if (i > 0) segments.push([]);
        if (text !== "") segments.at(-1)!.push({ literal: text });
      });
    }
    return segments;
  }

  /**
   * Renders the template for one file: macro values made safe, empty segments dropped, `.`/`..` segments escaped.
   * The result has no leading or trailing `/`; join it with the prefix and `object_key_path` through `joinKey`.
   */
  render(ctx: KeyContext): string {
    let out = "";
    for (const p of this.pieces) out += "literal" in p ? p.literal : this.macroValue(p.macro, ctx);
    const segments: string[] = [];
    for (const seg of out.split("/")) {
      if (seg === "") continue;
      segments.push(seg === "." ? "~2E" : seg === ".." ? "~2E~2E" : seg);
    }
    return segments.join("/");
  }
}
