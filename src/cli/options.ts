// Flag parsing shared by the commands: numbers, durations, cities, and where the database is.
import { InvalidArgumentError } from "commander";
import type { DatabaseConfig, ToolConfig } from "../config.ts";
import { citiesOf } from "../cities/region.config.ts";
import { isText, TEXT_PROBLEM } from "../shared/text.ts";
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

export function numberArg(min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === "" || !Number.isFinite(n))
      throw new InvalidArgumentError(`expected a number, got "${value}".`);
    if (n < min || n > max) throw new InvalidArgumentError(`must be from ${min} to ${max}.`);
    return n;
  };
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** "90s", "1m30s", "500ms", "2h", or a plain number of seconds; 0 means no limit. */
export function parseDuration(value: string): number {
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join("") !== text) {
    throw new InvalidArgumentError(`expected a duration such as 30s, 5m or 1h30m, got "${value}".`);
  }
  return Math.round(parts.reduce((ms, p) => ms + Number(p[1]) * UNIT_MS[p[2]!]!, 0));
}

export function parseInstant(value: string): Date {
  const d = new Date(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value.trim()) || Number.isNaN(d.getTime())) {
    throw new InvalidArgumentError(
      `expected an ISO date or timestamp such as 2026-01-01T00:00:00Z, got "${value}".`,
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
