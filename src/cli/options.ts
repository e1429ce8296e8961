// Flag parsing shared by the commands: numbers, durations, cities, and where the database is.
import { InvalidArgumentError } from "commander";
import type { DatabaseConfig, ToolConfig } from "../config.ts";
import { citiesOf } from "../cities/region.config.ts";
import { isOnCalendar } from "../shared/calendar.ts";
import { isText, TEXT_PROBLEM } from "../shared/text.ts";
import { MAX_TIMER_MS } from "../shared/timers.ts";
import { NOW_RANGE, TIMELINE_DAYS } from "../workload/timeline.ts";
import { UsageError } from "./errors.ts";

/**
 * Parser of a flag that takes text: the text rule (src/shared/text.ts), else a UsageError (exit
 * 2) naming the flag. Not commander's InvalidArgumentError, whose message would echo the value,
 * control characters and all, to the terminal. `multiline` allows tabs and line breaks (SQL).
 */
export function textArg(flag: string, options: { multiline?: boolean } = {}) {
  return (value: string): string => {
    if (!isText(value, options)) throw new UsageError(`${flag} ${TEXT_PROBLEM}.`);
    // An empty file name, URL or city is a slip (an unset shell variable), never a choice.
    if (value.trim() === "") throw new UsageError(`${flag} needs a value, not empty text.`);
    return value;
  };
}

/** textArg for a repeatable flag: collects the values in order. */
export function collectText(flag: string, options: { multiline?: boolean } = {}) {
  const parse = textArg(flag, options);
  return (value: string, previous: string[] = []): string[] => [...previous, parse(value)];
}

export function intArg(min: number, max: number) {
  return (value: string): number => {
    if (!/^-?\d+$/.test(value.trim()))
      throw new InvalidArgumentError(`expected a whole number, got "${value}".`);
    const n = Number(value);
    if (n < min || n > max) throw new InvalidArgumentError(`must be from ${min} to ${max}.`);
    return n;
  };
}

/** Decimal notation only: Number() would also take "0x10", "0b1", "1e3" and "Infinity". */
const DECIMAL_RE = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$/;

export function numberArg(min: number, max: number) {
  return (value: string): number => {
    if (!DECIMAL_RE.test(value.trim())) throw new InvalidArgumentError(`expected a number, got "${value}".`);
    const n = Number(value);
    if (n < min || n > max) throw new InvalidArgumentError(`must be from ${min} to ${max}.`);
    return n;
  };
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * "90s", "1m30s", "500ms", "2h", or a plain number of seconds; 0 means no limit. At most
 * MAX_TIMER_MS (a longer timer would fire at once), and a duration that is not 0 is at least 1 ms
 * (rounded to 0 it would mean no limit).
 */
export function parseDuration(value: string): number {
  const text = value.trim();
  let ms: number;
  if (/^\d+(\.\d+)?$/.test(text)) ms = Number(text) * 1000;
  else {
    const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
    if (parts.length === 0 || parts.map((p) => p[0]).join("") !== text) {
      throw new InvalidArgumentError(`expected a duration such as 30s, 5m or 1h30m, got "${value}".`);
    }
    ms = parts.reduce((sum, p) => sum + Number(p[1]) * UNIT_MS[p[2]!]!, 0);
  }
  if (ms > MAX_TIMER_MS) {
    throw new InvalidArgumentError(
      `must be at most ${Math.floor(MAX_TIMER_MS / 3_600_000)}h (${MAX_TIMER_MS}ms).`,
    );
  }
  if (ms > 0 && Math.round(ms) === 0)
    throw new InvalidArgumentError("must be 0 (until Ctrl-C) or at least 1ms.");
  return Math.round(ms);
}

const INSTANT_RE = /^(\d{4})-(\d{2})-(\d{2})(?:$|[T ](\d{2}):(\d{2})(?::(\d{2}))?)/;

/** An ISO date or timestamp on the calendar: 2026-02-30 and 24:00 are refused, not rolled over. */
function parseInstant(value: string): Date {
  const text = value.trim();
  const d = new Date(text);
  const m = INSTANT_RE.exec(text);
  const [year, month, day, hour, minute, second] = (m?.slice(1, 7) ?? []).map((v) => Number(v ?? 0));
  const onCalendar = m !== null && isOnCalendar(year!, month!, day!, hour, minute, second);
  if (!onCalendar || Number.isNaN(d.getTime())) {
    throw new InvalidArgumentError(
      `expected an ISO date or timestamp such as 2026-01-01T00:00:00Z, got "${value}".`,
    );
  }
  return d;
}

/** --now of movr load and movr demo: an instant whose generated timeline fits years 1000–9999. */
export function parseTimelineEnd(value: string): Date {
  const d = parseInstant(value);
  if (d < NOW_RANGE.min || d > NOW_RANGE.max) {
    throw new InvalidArgumentError(
      `must be from ${NOW_RANGE.min.toISOString()} to ${NOW_RANGE.max.toISOString()}: the generated rows reach ${TIMELINE_DAYS.before} days before it and ${TIMELINE_DAYS.after} days after, and MovR keeps years 1000 to 9999.`,
    );
  }
  return d;
}

/** The chosen cities, in the order given, each checked against the configured regions. */
export function resolveCities(config: ToolConfig, chosen: string[] | undefined): string[] {
  const known = citiesOf(config.regions);
  if (!chosen || chosen.length === 0) return known;
  const cities: string[] = [];
  for (const raw of chosen) {
    const city = raw.trim().toLowerCase();
    if (!known.includes(city)) {
      throw new UsageError(`"${raw}" is not a MovR city; the cities are ${known.join(", ")}.`);
    }
    if (!cities.includes(city)) cities.push(city);
  }
  return cities;
}

/** The database a command uses: --url, else DATABASE_URL, else the embedded database. */
export function databaseConfig(
  config: ToolConfig,
  url: string | undefined,
  pool: { max?: number; applicationName?: string } = {},
): DatabaseConfig {
  const base = config.database;
  return {
    ...base,
    url: url ?? base.url,
    pool: {
      ...base.pool,
      ...(pool.max === undefined ? {} : { max: pool.max }),
      ...(pool.applicationName === undefined ? {} : { applicationName: pool.applicationName }),
    },
  };
}

/** The reference workload's initial data sizes (section 3 of the MovR reference facts). */
export const LOAD_DEFAULTS = {
  users: 50,
  vehicles: 15,
  rides: 500,
  histories: 1000,
  promoCodes: 1000,
} as const;

/** The midnight (UTC) that starts today: the default end of the generated timeline. */
export function startOfUtcDay(at: Date = new Date()): Date {
  return new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate()));
}
