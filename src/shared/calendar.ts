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

/**
 * A timestamp the database holds that no JavaScript Date can: `infinity` and `-infinity`
 * (PostgreSQL's and CockroachDB's ends of time), and a year past Date's 275760 (PostgreSQL counts
 * to 294276). It is a Date whose time value is NaN, like an invalid Date, but it compares as what
 * it is: `valueOf()` is +Infinity or -Infinity, so `expiresAt <= now` and `now < startedAt` hold
 * as in SQL. `toISOString()` and `toJSON()` give `text`: `infinity` or `-infinity` as the database
 * prints them, or the ISO 8601 expanded-year form (`+290000-01-01T00:00:00.000Z`), the forms the
 * API and the pages show (docs/decisions/022-values-we-never-write.md). `getTime()` stays NaN: no
 * arithmetic on it yields a moment.
 */
export class OutOfRangeTime extends Date {
  readonly text: string;
  readonly #after: boolean;

  /** `after`: later than every Date (infinity, a year past 275760), else earlier than every one. */
  constructor(text: string, after: boolean) {
    super(Number.NaN);
    this.text = text;
    this.#after = after;
  }

  override valueOf(): number {
    return this.#after ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
  }

  override toISOString(): string {
    return this.text;
  }

  override toJSON(): string {
    return this.text;
  }
}
