/**
 * IANA time zones: offsets and short names of an instant. `UTC` (and `Etc/UTC`) take a fast path with no `Intl` at
 * all; other zones ask `Intl.DateTimeFormat` (one cached formatter per zone) for the offset only, and cache that per
 * zone and 15-minute UTC window, so per-record use is a Map lookup plus integer arithmetic. Historical
 * local-mean-time offsets with seconds (before ~1900) are kept in milliseconds here.
 */
import { ConfigError } from "../errors.js";
import { fieldsFromLocalMs, newLocalFields } from "./calendar.js";

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

/** True for the zone names that take the UTC fast path. */
export function isUtcZone(timeZone: string): boolean {
  return timeZone === "UTC" || timeZone === "Etc/UTC";
}

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
