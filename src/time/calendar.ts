/**
 * Civil calendar arithmetic (proleptic Gregorian, H. Hinnant's algorithms): no Date allocation, no 0–99 year quirk.
 * Pure; used by the key macros, cursor partitions and the date/date-time checks of validation.
 */

const MS_PER_DAY = 86_400_000;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] as const;

export function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/** Days of `month` (1–12) in `year`. */
export function daysInMonth(year: number, month: number): number {
  return month === 2 && isLeapYear(year) ? 29 : (DAYS_IN_MONTH[month - 1] ?? 31);
}

/** True when year-month-day names a real day (month 1–12, day within the month). */
export function isCivilDate(year: number, month: number, day: number): boolean {
  return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month);
}

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
