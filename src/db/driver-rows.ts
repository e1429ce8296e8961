// Rows of a hot read straight from the driver, decoded once by a reader built from the selection
// (src/db/prepared.ts preparedRead). Drizzle's own row mapping checks every field's kind on every
// row (`is()`), walks a path per field and parses each timestamp with the Date parser; here the
// per-column work is decided when the statement is built. See docs/decisions/020-hot-reads.md.
import { createRequire } from "node:module";
import { Column, getTableColumns, is, SQL, Table } from "drizzle-orm";
import type pg from "pg";
import { pushAll } from "../shared/arrays.ts";
import { daysInMonth, isOnCalendar, OutOfRangeTime } from "../shared/calendar.ts";
import type { Db } from "./database.ts";

/** Runs one named statement on a Drizzle instance's driver; rows as arrays, in select order. */
export type DriverRun = (name: string, text: string, params: unknown[]) => Promise<unknown[][]>;

// Type ids Drizzle's drivers read as text (drizzle-orm's node-postgres and pglite sessions):
// timestamp, timestamptz, date, interval and their arrays, numeric[]. Every other type keeps its
// driver's parser, as with Drizzle, so each column's decoder sees what it would under Drizzle.
const TEXT_TYPE_IDS = new Set([1114, 1184, 1082, 1186, 1115, 1185, 1182, 1187, 1231]);
const asText = (value: unknown) => value;
// pg's own parsers, for every other type. Required on first use, by a process that sends to a pg
// client and so has loaded pg already: the embedded database's start does not load the driver.
let pgTypes: typeof pg.types | undefined;
const PG_TYPES = {
  getTypeParser: (id: number, format?: string) =>
    TEXT_TYPE_IDS.has(id)
      ? asText
      : (pgTypes ??= (createRequire(import.meta.url)("pg") as typeof pg).types).getTypeParser(
          id,
          format as "text",
        ),
};
const PGLITE_PARSERS = Object.fromEntries([...TEXT_TYPE_IDS].map((id) => [id, asText]));

/**
 * Marks the clients the embedded database hands to Drizzle (PGlite behind its session gate),
 * which take no statement name; every other client is a pg pool or client.
 */
export const PGLITE_CLIENT: unique symbol = Symbol("movr.pgliteClient");

interface PgliteLike {
  query(text: string, params: unknown[], options: object): Promise<{ rows: unknown[] }>;
}

type PgLike = Pick<pg.Pool, "query">;

const runners = new WeakMap<Db, DriverRun>();

/**
 * The driver under a Drizzle instance (`$client`): a pg pool or client, sent the statement by
 * name (parsed once per connection); or PGlite (or the embedded handle's gate in front of it),
 * which takes no name.
 */
export function driverRun(db: Db): DriverRun {
  let run = runners.get(db);
  if (run === undefined) {
    const client = (db as unknown as { $client: object }).$client;
    if (PGLITE_CLIENT in client) {
      const on = client as unknown as PgliteLike;
      run = async (_name, text, values) =>
        (await on.query(text, values, { rowMode: "array", parsers: PGLITE_PARSERS })).rows as unknown[][];
    } else {
      const on = client as PgLike;
      run = async (name, text, values) =>
        (await on.query<unknown[]>({ name, text, values, rowMode: "array", types: PG_TYPES })).rows;
    }
    runners.set(db, run);
  }
  return run;
}

type Decode = (value: unknown) => unknown;

/** One selected value: where it goes in the row object, and how its driver value is read. */
interface Slot {
  key: string;
  /** Set for a value nested one level down (`{ user: users }` → row.user.id). */
  parent?: string;
  decode?: Decode;
}

/**
 * The selection's values in the order Drizzle puts them in the select list (its
 * orderSelectedFields: keys in insertion order, a table's columns in definition order). Columns,
 * SQL expressions and whole tables, one level of nesting: what the hot reads select.
 */
function slotsOf(selection: Record<string, unknown>, parent?: string): Slot[] {
  const slots: Slot[] = [];
  for (const [key, field] of Object.entries(selection)) {
    if (is(field, Column)) slots.push({ key, parent, decode: columnDecoder(field) });
    else if (is(field, SQL)) slots.push({ key, parent, decode: sqlDecoder(field) });
    else if (is(field, SQL.Aliased)) slots.push({ key, parent, decode: sqlDecoder(field.sql) });
    else if (parent === undefined && is(field, Table)) pushAll(slots, slotsOf(getTableColumns(field), key));
    else throw new Error(`preparedRead: "${key}" is not a column, an SQL expression or a table`);
  }
  return slots;
}

const identity = Column.prototype.mapFromDriverValue;

function columnDecoder(column: Column): Decode | undefined {
  // The tables' timestamp (timestamp.column.ts): its reader directly, past the custom column's indirection.
  if (column.getSQLType() === "timestamp")
    return (value) => (typeof value === "string" ? timestampFromText(value) : value);
  if (column.mapFromDriverValue === identity) return undefined;
  return (value) => column.mapFromDriverValue(value);
}

/** An SQL expression's decoder: its `.mapWith()`, or Drizzle's no-op (internal to its typings). */
function sqlDecoder(expression: SQL): Decode | undefined {
  const { decoder } = expression as unknown as { decoder: { mapFromDriverValue: Decode } };
  return decoder.mapFromDriverValue === identity ? undefined : (value) => decoder.mapFromDriverValue(value);
}

/** Reads a driver row (an array in select order) into the object Drizzle would have made. */
export function rowReader<R>(selection: Record<string, unknown>): (values: unknown[]) => R {
  const slots = slotsOf(selection);
  const nested = [...new Set(slots.flatMap((s) => (s.parent === undefined ? [] : [s.parent])))];
  return (values) => {
    const row: Record<string, unknown> = {};
    for (const parent of nested) row[parent] = {};
    for (let i = 0; i < slots.length; i++) {
      const slot = slots[i]!;
      const raw = values[i];
      // As Drizzle: NULL is null whatever the column; only values go through a decoder.
      const value = raw === null || raw === undefined ? null : slot.decode ? slot.decode(raw) : raw;
      if (slot.parent === undefined) row[slot.key] = value;
      else (row[slot.parent] as Record<string, unknown>)[slot.key] = value;
    }
    return row as R;
  };
}

/** Days from 1970-01-01 to the given proleptic Gregorian date (Howard Hinnant's days_from_civil). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/**
 * A `timestamp` column's text (`2026-05-12 00:06:21.805123`, what PostgreSQL, CockroachDB and
 * PGlite print in the ISO date style) as a Date: the same instant, fractions past the millisecond
 * dropped. The common case (years 1000-9999) is read digit by digit, about three times cheaper
 * than the Date parser; any other text goes to `unusualTimestamp`. Never throws, never an invalid
 * Date without a text: see docs/decisions/022-values-we-never-write.md.
 */
export function timestampFromText(text: string): Date {
  const n = text.length;
  if (
    n >= 19 &&
    n <= 26 &&
    n !== 20 &&
    text.charCodeAt(4) === 45 && // -
    text.charCodeAt(7) === 45 &&
    text.charCodeAt(10) === 32 && // space
    text.charCodeAt(13) === 58 && // :
    text.charCodeAt(16) === 58 &&
    (n === 19 || text.charCodeAt(19) === 46) // .
  ) {
    const year = digits(text, 0, 4);
    const month = digits(text, 5, 2);
    const day = digits(text, 8, 2);
    const hour = digits(text, 11, 2);
    const minute = digits(text, 14, 2);
    const second = digits(text, 17, 2);
    const fraction = n > 20 ? digits(text, 20, n - 20) : 0;
    if (
      year >= 1000 &&
      month >= 1 &&
      month <= 12 &&
      day >= 1 &&
      day <= daysInMonth(year, month) &&
      hour >= 0 &&
      hour <= 23 &&
      minute >= 0 &&
      minute <= 59 &&
      second >= 0 &&
      second <= 59 &&
      fraction >= 0
    ) {
      // Milliseconds: the first three digits of the fraction (1 to 6 of them).
      const ms = n <= 23 ? fraction * 10 ** (23 - n) : Math.trunc(fraction / 10 ** (n - 23));
      return new Date(
        daysFromCivil(year, month, day) * 86_400_000 + ((hour * 60 + minute) * 60 + second) * 1000 + ms,
      );
    }
  }
  return unusualTimestamp(text);
}

const TIMESTAMP_RE = /^(-?)(\d{4,6})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?( BC)?$/;
/** Date's range: 8.64e15 ms either side of 1970 (ECMA-262 TimeClip). */
const DATE_LIMIT_MS = 8.64e15;

/**
 * The texts the fast path leaves: years before 1000 and BC (`0044-03-15 00:00:00 BC`, year -43
 * of the proleptic Gregorian calendar, as Date counts), years past 9999, `infinity` and
 * `-infinity`. Drizzle's `new Date(text + "+0000")` read `0002-01-01` as 2001-02-01 and
 * `infinity` as 2000-01-01, and BC as an invalid Date. Past Date's range: an OutOfRangeTime.
 * Any other text (no database prints one in the ISO date style) is an OutOfRangeTime showing
 * that text, later than every Date: never a guess.
 */
function unusualTimestamp(text: string): Date {
  if (text === "infinity" || text === "-infinity") return new OutOfRangeTime(text, text === "infinity");
  const m = TIMESTAMP_RE.exec(text);
  if (m) {
    const [, minus, y, mo, d, h, mi, s, fraction = "", bc] = m;
    const year = minus ? -Number(y) : bc ? 1 - Number(y) : Number(y);
    const [month, day, hour, minute, second] = [mo, d, h, mi, s].map(Number) as [
      number,
      number,
      number,
      number,
      number,
    ];
    // There is no year 0 BC: 1 BC is Date's year 0.
    if ((!bc || year <= 0) && isOnCalendar(year, month, day, hour, minute, second)) {
      const ms =
        daysFromCivil(year, month, day) * 86_400_000 +
        ((hour * 60 + minute) * 60 + second) * 1000 +
        Number(fraction.padEnd(3, "0").slice(0, 3));
      if (Math.abs(ms) <= DATE_LIMIT_MS) return new Date(ms);
      const iso = `${year < 0 ? "-" : "+"}${String(Math.abs(year)).padStart(6, "0")}-${mo}-${d}T${h}:${mi}:${s}.${fraction.padEnd(3, "0").slice(0, 3)}Z`;
      return new OutOfRangeTime(iso, ms > 0);
    }
  }
  // Not the ISO date style: V8's Date parser would guess (it reads "garbage+0000" as 2000-01-01).
  return new OutOfRangeTime(text, true);
}

/** The decimal number of `count` ASCII digits at `at`, or -1 when one is not a digit. */
function digits(text: string, at: number, count: number): number {
  let value = 0;
  for (let i = at; i < at + count; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    value = value * 10 + d;
  }
  return value;
}
