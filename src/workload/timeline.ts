// How far the generated data reaches around its `now` (movr load and movr demo --now): a module
// of its own, without the generator's imports, so flag parsing can check --now at start-up.

/** Days of the generated timeline before `now` (users' creation) and after it (promo codes' expiry). */
export const TIMELINE_DAYS = { before: 365, after: 90 } as const;

/**
 * The earliest and latest `now` whose whole timeline lies in years 1000–9999. Above, the
 * databases refuse Date's ISO strings ("+010000-…"); below 1000, the rows would go in but read
 * back wrong: a `timestamp` is read as `new Date(text + "+0000")` (Drizzle, and the hot reads'
 * fallback), and V8 reads "0002-01-01 00:00:00+0000" as 2001-02-01.
 */
export const NOW_RANGE = {
  min: new Date(Date.parse("1000-01-01T00:00:00Z") + TIMELINE_DAYS.before * 86_400_000),
  max: new Date(Date.parse("9999-12-31T23:59:59.999Z") - TIMELINE_DAYS.after * 86_400_000),
} as const;
