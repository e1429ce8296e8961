// The proleptic Gregorian calendar, as PostgreSQL, CockroachDB and JavaScript's Date use it: one
// place for the day counts that input checks (--now, cursors) and the timestamp reader share.

const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** True for a leap year: every 4th, but not every 100th unless every 400th. */
export function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/** Days in `month` (1–12) of `year`; 0 for a month outside 1–12. */
export function daysInMonth(year: number, month: number): number {
  if (month === 2 && isLeapYear(year)) return 29;
  return DAYS[month - 1] ?? 0;
}

/**
 * True when the fields name a moment as written: a day of that month, hour 0–23, minute and
 * second 0–59. Date.parse alone rolls 02-30 into March and 24:00 into the next day.
 */
export function isOnCalendar(
  year: number,
  month: number,
  day: number,
  hour = 0,
  minute = 0,
  second = 0,
): boolean {
  return day >= 1 && day <= daysInMonth(year, month) && hour <= 23 && minute <= 59 && second <= 59;
}
