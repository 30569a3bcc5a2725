/**
 * A small, allocation-light strftime and time-zone helper used by the object key templates
 * (`date_partition_format`, the load-time and cursor macros). Pure: no I/O.
 *
 * Supported directives (everything else, including GNU flags such as `%-d`, is a config error):
 *
 * | directive | meaning                                   | 2025-04-14T11:23:45.123Z in UTC |
 * |-----------|-------------------------------------------|---------------------------------|
 * | `%Y`      | year, zero-padded to 4 digits             | `2025`                          |
 * | `%y`      | year without century, 2 digits            | `25`                            |
 * | `%m`      | month 01–12                               | `04`                            |
 * | `%d`      | day of month 01–31                        | `14`                            |
 * | `%e`      | day of month, space-padded ` 1`–`31`      | `14`                            |
 * | `%H`      | hour 00–23                                | `11`                            |
 * | `%I`      | hour 01–12                                | `11`                            |
 * | `%p`      | `AM` / `PM`                               | `AM`                            |
 * | `%M`      | minute 00–59                              | `23`                            |
 * | `%S`      | second 00–59                              | `45`                            |
 * | `%f`      | microseconds, 6 digits                    | `123000`                        |
 * | `%j`      | day of year 001–366                       | `104`                           |
 * | `%a`      | weekday, English abbreviation             | `Mon`                           |
 * | `%b`      | month, English abbreviation               | `Apr`                           |
 * | `%z`      | UTC offset `+HHMM` / `-HHMM`              | `+0000`                         |
 * | `%Z`      | zone abbreviation (`UTC`, `EDT`, `GMT+5:30`) | `UTC`                        |
 * | `%s`      | seconds since the Unix epoch              | `1744629825`                    |
 * | `%T`      | `%H:%M:%S`                                | `11:23:45`                      |
 * | `%F`      | `%Y-%m-%d`                                | `2025-04-14`                    |
 * | `%%`      | a literal `%`                             | `%`                             |
 *
 * Time zones are IANA names (`UTC`, `America/New_York`, `Asia/Kolkata`). `UTC` (and `Etc/UTC`) take a fast path
 * with no `Intl` at all; other zones ask `Intl.DateTimeFormat` (one cached formatter per zone) for the offset only,
 * and cache that per zone and 15-minute UTC window, so per-record use is a Map lookup plus integer arithmetic.
 * `%Z` for non-UTC zones is ICU's English short name (`EDT`, `EST`, `GMT+5:30`). Historical local-mean-time
 * offsets with seconds (before ~1900) are truncated to whole minutes in `%z`.
 */
import { ConfigError } from "../errors.js";

export interface DateParts {
  /** Local (zone) calendar year, e.g. 2025. */
  year: number;
  /** 1–12. */
  month: number;
  /** 1–31. */
  day: number;
  /** 0–23. */
  hour: number;
  minute: number;
  second: number;
  /** Sub-second part in microseconds, 0–999999 (a `Date` has millisecond precision: ms × 1000). */
  micro: number;
  /** 0 = Sunday … 6 = Saturday. */
  weekday: number;
  /** Local time minus UTC, in minutes (e.g. -240 for EDT, 330 for IST). */
  offsetMinutes: number;
  /** `UTC` for UTC, otherwise ICU's English short name (`EDT`, `GMT+5:30`). */
  zoneName: string;
}

const MS_PER_DAY = 86_400_000;
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"] as const;
const WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"] as const;
const CUMULATIVE_DAYS = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334] as const;

/** True for the zone names that take the UTC fast path. */
export function isUtcZone(timeZone: string): boolean {
  return timeZone === "UTC" || timeZone === "Etc/UTC";
}

// ---------------------------------------------------------------------------------------------------------------
// Civil calendar arithmetic (proleptic Gregorian, H. Hinnant's algorithms): no Date allocation, no 0–99 year quirk.
// ---------------------------------------------------------------------------------------------------------------

/** Days since 1970-01-01 for a proleptic Gregorian date (month 1–12). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const mp = (month + 9) % 12;
  const doy = Math.floor((153 * mp + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** Local fields of `localMs` (an epoch-millisecond value already shifted by the zone offset), written into `out`. */
export function fieldsFromLocalMs(localMs: number, out: LocalFields): LocalFields {
  const days = Math.floor(localMs / MS_PER_DAY);
  let msOfDay = localMs - days * MS_PER_DAY;
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  out.year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  out.month = month;
  out.day = day;
  out.hour = Math.floor(msOfDay / 3_600_000);
  msOfDay -= out.hour * 3_600_000;
  out.minute = Math.floor(msOfDay / 60_000);
  msOfDay -= out.minute * 60_000;
  out.second = Math.floor(msOfDay / 1000);
  out.millisecond = msOfDay - out.second * 1000;
  out.weekday = (((days + 4) % 7) + 7) % 7;
  return out;
}

export interface LocalFields {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  millisecond: number;
  weekday: number;
}

export function newLocalFields(): LocalFields {
  return { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0, millisecond: 0, weekday: 0 };
}

// ---------------------------------------------------------------------------------------------------------------
// Zone offsets
// ---------------------------------------------------------------------------------------------------------------

interface ZoneState {
  offsetFormat: Intl.DateTimeFormat;
  nameFormat: Intl.DateTimeFormat;
  /** 15-minute UTC window index → offset info. */
  windows: Map<number, ZoneInfo>;
}

export interface ZoneInfo {
  /** Local minus UTC, milliseconds. */
  readonly offsetMs: number;
  readonly zoneName: string;
}

const WINDOW_MS = 15 * 60_000;
const MAX_WINDOWS_PER_ZONE = 20_000;
const UTC_INFO: ZoneInfo = Object.freeze({ offsetMs: 0, zoneName: "UTC" });
const zones = new Map<string, ZoneState>();
const OFFSET_RE = /^(?:GMT|UTC)(?:([+-])(\d{1,2})(?::?(\d{2}))?(?::?(\d{2}))?)?$/;

function zoneState(timeZone: string): ZoneState {
  let state = zones.get(timeZone);
  if (state === undefined) {
    try {
      state = {
        offsetFormat: new Intl.DateTimeFormat("en-US", { timeZone, timeZoneName: "longOffset" }),
        nameFormat: new Intl.DateTimeFormat("en-US", { timeZone, timeZoneName: "short" }),
        windows: new Map(),
      };
    } catch {
      throw new ConfigError(`unknown time zone "${timeZone}": use an IANA name such as UTC, America/New_York or Asia/Kolkata`);
    }
    zones.set(timeZone, state);
  }
  return state;
}

function zoneNamePart(format: Intl.DateTimeFormat, epochMs: number): string {
  for (const part of format.formatToParts(epochMs)) {
    if (part.type === "timeZoneName") return part.value;
  }
  return "";
}

function computeOffsetMs(state: ZoneState, epochMs: number): number {
  const text = zoneNamePart(state.offsetFormat, epochMs);
  const m = OFFSET_RE.exec(text);
  if (m === null) throw new Error(`unexpected time zone offset "${text}" from Intl`);
  if (m[1] === undefined) return 0;
  const sign = m[1] === "-" ? -1 : 1;
  const h = Number(m[2]);
  const min = m[3] === undefined ? 0 : Number(m[3]);
  const sec = m[4] === undefined ? 0 : Number(m[4]);
  return sign * ((h * 60 + min) * 60 + sec) * 1000;
}

/** Problems with a time zone name ([] when Intl knows it). */
export function validateTimeZone(timeZone: string): string[] {
  if (isUtcZone(timeZone)) return [];
  try {
    zoneState(timeZone);
    return [];
  } catch {
    return [`unknown time zone "${timeZone}": use an IANA name such as UTC, America/New_York or Asia/Kolkata`];
  }
}

/**
 * Offset and short name of `timeZone` at `epochMs`. Cached per zone and 15-minute UTC window (a window is cached only
 * when its start and end agree, so a transition inside a window is still answered exactly). Throws ConfigError for
 * an unknown zone.
 */
export function zoneInfo(epochMs: number, timeZone: string): ZoneInfo {
  if (isUtcZone(timeZone)) return UTC_INFO;
  const state = zoneState(timeZone);
  const window = Math.floor(epochMs / WINDOW_MS);
  const cached = state.windows.get(window);
  if (cached !== undefined) return cached;
  const start = window * WINDOW_MS;
  const end = start + WINDOW_MS - 1;
  const atStart = computeOffsetMs(state, start);
  const atEnd = computeOffsetMs(state, end);
  if (atStart !== atEnd) {
    // A transition inside this window: answer exactly, do not cache.
    return { offsetMs: computeOffsetMs(state, epochMs), zoneName: zoneNamePart(state.nameFormat, epochMs) };
  }
  const info: ZoneInfo = Object.freeze({ offsetMs: atStart, zoneName: zoneNamePart(state.nameFormat, start) });
  if (state.windows.size >= MAX_WINDOWS_PER_ZONE) state.windows.clear();
  state.windows.set(window, info);
  return info;
}

/** Offset in ms of `timeZone` at `epochMs` (0 for UTC without touching Intl). */
export function zoneOffsetMs(epochMs: number, timeZone: string): number {
  return isUtcZone(timeZone) ? 0 : zoneInfo(epochMs, timeZone).offsetMs;
}

// ---------------------------------------------------------------------------------------------------------------
// dateParts
// ---------------------------------------------------------------------------------------------------------------

const scratch = newLocalFields();

/** The calendar parts of `instant` in `timeZone` (IANA name). Throws ConfigError for an unknown zone. */
export function dateParts(instant: Date, timeZone: string): DateParts {
  const ms = instant.getTime();
  if (Number.isNaN(ms)) throw new RangeError("dateParts: invalid Date");
  if (isUtcZone(timeZone)) {
    return {
      year: instant.getUTCFullYear(),
      month: instant.getUTCMonth() + 1,
      day: instant.getUTCDate(),
      hour: instant.getUTCHours(),
      minute: instant.getUTCMinutes(),
      second: instant.getUTCSeconds(),
      micro: instant.getUTCMilliseconds() * 1000,
      weekday: instant.getUTCDay(),
      offsetMinutes: 0,
      zoneName: "UTC",
    };
  }
  const info = zoneInfo(ms, timeZone);
  const f = fieldsFromLocalMs(ms + info.offsetMs, scratch);
  return {
    year: f.year,
    month: f.month,
    day: f.day,
    hour: f.hour,
    minute: f.minute,
    second: f.second,
    micro: f.millisecond * 1000,
    weekday: f.weekday,
    offsetMinutes: info.offsetMs / 60_000,
    zoneName: info.zoneName,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Formatting helpers
// ---------------------------------------------------------------------------------------------------------------

export function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

export function pad(n: number, width: number): string {
  if (n < 0) return `-${pad(-n, width)}`;
  const s = String(n);
  return s.length >= width ? s : "0".repeat(width - s.length) + s;
}

/** `+HH:MM` / `-HH:MM` (ISO-8601 extended), or `+HHMM` with `colon` false. Seconds are truncated. */
export function formatOffset(offsetMinutes: number, colon: boolean): string {
  const sign = offsetMinutes < 0 ? "-" : "+";
  const abs = Math.trunc(Math.abs(offsetMinutes));
  return `${sign}${pad2(Math.floor(abs / 60))}${colon ? ":" : ""}${pad2(abs % 60)}`;
}

function isLeap(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

function dayOfYear(p: DateParts): number {
  const base = CUMULATIVE_DAYS[p.month - 1] ?? 0;
  return base + p.day + (p.month > 2 && isLeap(p.year) ? 1 : 0);
}

function epochSeconds(p: DateParts): number {
  const days = daysFromCivil(p.year, p.month, p.day);
  return days * 86400 + p.hour * 3600 + p.minute * 60 + p.second - Math.trunc(p.offsetMinutes * 60);
}

type Piece = string | ((p: DateParts) => string);

const DIRECTIVES: Readonly<Record<string, (p: DateParts) => string>> = {
  Y: (p) => pad(p.year, 4),
  y: (p) => pad2(((p.year % 100) + 100) % 100),
  m: (p) => pad2(p.month),
  d: (p) => pad2(p.day),
  e: (p) => (p.day < 10 ? ` ${p.day}` : String(p.day)),
  H: (p) => pad2(p.hour),
  I: (p) => pad2(p.hour % 12 === 0 ? 12 : p.hour % 12),
  p: (p) => (p.hour < 12 ? "AM" : "PM"),
  M: (p) => pad2(p.minute),
  S: (p) => pad2(p.second),
  f: (p) => pad(p.micro, 6),
  j: (p) => pad(dayOfYear(p), 3),
  a: (p) => WEEKDAYS[p.weekday] ?? "",
  b: (p) => MONTHS[p.month - 1] ?? "",
  z: (p) => formatOffset(p.offsetMinutes, false),
  Z: (p) => p.zoneName,
  s: (p) => String(epochSeconds(p)),
  T: (p) => `${pad2(p.hour)}:${pad2(p.minute)}:${pad2(p.second)}`,
  F: (p) => `${pad(p.year, 4)}-${pad2(p.month)}-${pad2(p.day)}`,
};

/** The directive letters `strftime` understands (without `%`), in documentation order. */
export const STRFTIME_DIRECTIVES: readonly string[] = [...Object.keys(DIRECTIVES), "%"];

interface Compiled {
  readonly pieces: readonly Piece[];
  readonly problems: readonly string[];
}

const compiledCache = new Map<string, Compiled>();

function compile(format: string): Compiled {
  const cached = compiledCache.get(format);
  if (cached !== undefined) return cached;
  const pieces: Piece[] = [];
  const problems: string[] = [];
  let literal = "";
  for (let i = 0; i < format.length; i++) {
    const ch = format[i] as string;
    if (ch !== "%") {
      literal += ch;
      continue;
    }
    const next = format[i + 1];
    i++;
    if (next === undefined) {
      problems.push(`"${format}": a lone "%" at the end (write "%%" for a literal percent sign)`);
      break;
    }
    if (next === "%") {
      literal += "%";
      continue;
    }
    const fn = DIRECTIVES[next];
    if (fn === undefined) {
      problems.push(
        `"${format}": unknown directive "%${next}" at position ${i - 1}; supported: ${STRFTIME_DIRECTIVES.map((d) => `%${d}`).join(" ")}`,
      );
      continue;
    }
    if (literal !== "") {
      pieces.push(literal);
      literal = "";
    }
    pieces.push(fn);
  }
  if (literal !== "") pieces.push(literal);
  const result: Compiled = { pieces, problems };
  if (compiledCache.size > 1000) compiledCache.clear();
  compiledCache.set(format, result);
  return result;
}

/** Problems with a strftime format (unknown directives, a trailing lone `%`); [] when it is valid. */
export function validateStrftime(format: string): string[] {
  return [...compile(format).problems];
}

/**
 * Formats `parts` with a strftime `format`. The format is parsed once and cached; an invalid format throws a
 * ConfigError listing every problem.
 */
export function strftime(format: string, parts: DateParts): string {
  const { pieces, problems } = compile(format);
  if (problems.length > 0) throw new ConfigError(`invalid strftime format "${format}"`, [...problems]);
  let out = "";
  for (const piece of pieces) out += typeof piece === "string" ? piece : piece(parts);
  return out;
}
