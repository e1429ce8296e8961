// How far the generated data reaches around its `now` (movr load and movr demo --now): a module
// of its own, without the generator's imports, so flag parsing can check --now at start-up.

/** Days of the generated timeline before `now` (users' creation) and after it (promo codes' expiry). */
export const TIMELINE_DAYS = { before: 365, after: 90 } as const;

/**
 * The earliest and latest `now` whose whole timeline lies in years 1–9999: the timestamps
 * PostgreSQL and CockroachDB take as Date's ISO strings (year 0 and "+010000" are refused).
 */
export const NOW_RANGE = {
  min: new Date(Date.parse("0001-01-01T00:00:00Z") + TIMELINE_DAYS.before * 86_400_000),
  max: new Date(Date.parse("9999-12-31T23:59:59.999Z") - TIMELINE_DAYS.after * 86_400_000),
} as const;
