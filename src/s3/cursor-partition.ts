/**
 * Per-record cursor values and cursor partitions. Pure: no I/O. Runs once per record, so everything here is
 * precompiled (module-level regexes), allocation-light and free of `Intl` for UTC.
 *
 * ## What counts as a cursor time (`parseCursor`)
 * | value                                                      | read as                                    |
 * |------------------------------------------------------------|--------------------------------------------|
 * | `"2025-04-14T11:23:45Z"`, `"…+05:30"`, `"…-0400"`, `"…+05"` | that instant                               |
 * | `"2025-04-14T11:23:45"`, `"2025-04-14 11:23"`, `"…45.123456"` | that instant in UTC (no zone = UTC, SPEC §3) |
 * | `"2025-04-14"`                                             | that calendar date (no zone conversion)    |
 * | a valid `Date`                                             | that instant                               |
 * | numbers, bigints                                           | **null**: a number may be epoch s/ms/µs or an incremental id; guessing would misfile records. Use a date-time cursor field. |
 * | `null`, `undefined`, booleans, objects, other or invalid strings (`"2025-02-30"`, `"yesterday"`) | **null** |
 *
 * Fractions of a second are accepted and ignored below the millisecond (no cursor macro shows them).
 * A calendar date renders as local midnight of that date in the configured `timezone` (a date is never shifted to
 * the previous day by the zone).
 *
 * ## The null fallback
 * A record whose cursor is null goes to its own partition, and every cursor macro renders as `__null__`
 * (`cursor_year=__null__/cursor_month=__null__/…`), so such records are kept, never dropped, and are easy to find.
 *
 * ## Partitions (`cursorPartitionId`)
 * Two records get the same id iff they render every cursor macro the template uses to the same text, so a stream's
 * records can be grouped into one open file per id: `{cursor_year}/{cursor_month}/{cursor_day}` gives one file per
 * local day; `{cursor_date_time}` one per second; a template without cursor macros one partition (`""`).
 */
import { daysFromCivil, fieldsFromLocalMs, isCivilDate, newLocalFields, type LocalFields } from "../time/calendar.js";
import { isUtcZone, zoneOffsetMs } from "../time/time-zones.js";

export type CursorValue =
  | { readonly kind: "null" }
  /** An instant, epoch milliseconds. */
  | { readonly kind: "instant"; readonly epochMs: number }
  /** A calendar date without a time or zone. */
  | { readonly kind: "date"; readonly year: number; readonly month: number; readonly day: number };

export const NULL_CURSOR: CursorValue = Object.freeze({ kind: "null" });

/** What cursor macros render to for a null cursor. */
export const NULL_CURSOR_TEXT = "__null__";

/** The partition id of a null cursor (no non-null cursor produces it). */
export const NULL_PARTITION_ID = "null";

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME_RE = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)?$/;

/** A cursor field's value → a CursorValue (see the module doc for what is accepted). Never throws. */
export function parseCursor(value: unknown): CursorValue {
  if (typeof value === "string") return parseCursorString(value);
  if (value instanceof Date) {
    const ms = value.getTime();
    return Number.isNaN(ms) ? NULL_CURSOR : { kind: "instant", epochMs: ms };
  }
  return NULL_CURSOR;
}

function parseCursorString(s: string): CursorValue {
  const n = s.length;
  if (n === 10) {
    const m = DATE_RE.exec(s);
    if (m === null) return NULL_CURSOR;
    const year = Number(m[1]);
    const month = Number(m[2]);
    const day = Number(m[3]);
    return isCivilDate(year, month, day) ? { kind: "date", year, month, day } : NULL_CURSOR;
  }
  if (n < 16 || n > 64) return NULL_CURSOR;
  const m = DATE_TIME_RE.exec(s);
  if (m === null) return NULL_CURSOR;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = Number(m[4]);
  const minute = Number(m[5]);
  let second = m[6] === undefined ? 0 : Number(m[6]);
  if (!isCivilDate(year, month, day) || hour > 23 || minute > 59 || second > 60) return NULL_CURSOR;
  if (second === 60) second = 59; // a leap second stays in its minute
  const frac = m[7];
  const ms = frac === undefined ? 0 : Number((frac + "00").slice(0, 3));
  let offsetMin = 0;
  if (m[9] !== undefined) {
    const oh = Number(m[10]);
    const om = m[11] === undefined ? 0 : Number(m[11]);
    if (oh > 23 || om > 59) return NULL_CURSOR;
    offsetMin = (m[9] === "-" ? -1 : 1) * (oh * 60 + om);
  }
  const epochMs = daysFromCivil(year, month, day) * 86_400_000 + ((hour * 60 + minute - offsetMin) * 60 + second) * 1000 + ms;
  return { kind: "instant", epochMs };
}

/** Local calendar fields of a non-null cursor in `timeZone`, plus the zone offset there (minutes). */
export interface CursorFields extends LocalFields {
  offsetMinutes: number;
}

export function newCursorFields(): CursorFields {
  return { ...newLocalFields(), offsetMinutes: 0 };
}

/**
 * Fills `out` with the local fields of a non-null cursor. A date is local midnight of that date (its offset is the
 * zone's offset at that local midnight); an instant is shifted by the zone's offset at that instant.
 */
export function cursorFields(cursor: CursorValue, timeZone: string, out: CursorFields): CursorFields {
  if (cursor.kind === "instant") {
    const offsetMs = isUtcZone(timeZone) ? 0 : zoneOffsetMs(cursor.epochMs, timeZone);
    fieldsFromLocalMs(cursor.epochMs + offsetMs, out);
    out.offsetMinutes = offsetMs / 60_000;
    return out;
  }
  if (cursor.kind === "date") {
    const localMidnight = daysFromCivil(cursor.year, cursor.month, cursor.day) * 86_400_000;
    let offsetMs = 0;
    if (!isUtcZone(timeZone)) {
      // The instant of local midnight: refine once so a transition on that day is taken into account.
      const guess = zoneOffsetMs(localMidnight, timeZone);
      offsetMs = zoneOffsetMs(localMidnight - guess, timeZone);
    }
    fieldsFromLocalMs(localMidnight, out);
    out.offsetMinutes = offsetMs / 60_000;
    return out;
  }
  throw new Error("cursorFields: null cursor");
}

/** Bits of what the cursor macros of a template need (computed once per template). */
export const CURSOR_NEEDS = {
  year: 1,
  month: 2,
  day: 4,
  /** hour, minute, second (and year, month, day). */
  time: 8,
  /** the zone offset (for `{cursor_iso_date_time}`). */
  offset: 16,
} as const;

const scratch = newCursorFields();

/**
 * The partition id of `cursor` for a template whose cursor macros need `needs` (KeyTemplate.cursorNeeds): equal for
 * two cursors iff they render those macros identically. `""` when the template has no cursor macros,
 * `NULL_PARTITION_ID` for a null cursor.
 */
export function cursorPartitionId(needs: number, cursor: CursorValue, timeZone: string): string {
  if (needs === 0) return "";
  if (cursor.kind === "null") return NULL_PARTITION_ID;
  const f = cursorFields(cursor, timeZone, scratch);
  if (needs & CURSOR_NEEDS.time) {
    const base = `${f.year}-${f.month}-${f.day}T${f.hour}:${f.minute}:${f.second}`;
    return needs & CURSOR_NEEDS.offset ? `${base}@${Math.trunc(f.offsetMinutes)}` : base;
  }
  // Only year / month / day macros: just the fields they show.
  return `${needs & CURSOR_NEEDS.year ? f.year : ""}-${needs & CURSOR_NEEDS.month ? f.month : ""}-${needs & CURSOR_NEEDS.day ? f.day : ""}`;
}
