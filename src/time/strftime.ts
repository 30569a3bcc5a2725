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
 * The parts come from `dateParts` (src/time/time-zones.ts). `%Z` for non-UTC zones is ICU's English short name (`EDT`, `EST`, `GMT+5:30`). Historical local-mean-time
 * offsets with seconds (before ~1900) are truncated to whole minutes in `%z`.
 */
import { ConfigError } from "../errors.js";
import { daysFromCivil, isLeapYear } from "../time/calendar.js";
import type { DateParts } from "../time/time-zones.js";

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"] as const;
const WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"] as const;
const CUMULATIVE_DAYS = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334] as const;

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

function dayOfYear(p: DateParts): number {
  const base = CUMULATIVE_DAYS[p.month - 1] ?? 0;
  return base + p.day + (p.month > 2 && isLeapYear(p.year) ? 1 : 0);
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
      problems.push(`"${format}": unknown directive "%${next}" at position ${i - 1}; supported: ${STRFTIME_DIRECTIVES.map((d) => `%${d}`).join(" ")}`);
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
