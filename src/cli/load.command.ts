// `movr load`: create the schema (unless --skip-init; --drop starts over), then generate and
// insert deterministic data over the chosen cities, reporting progress and rows per second, and
// ANALYZE the tables it wrote.
import type { GenerateOptions } from "../workload/generate.ts";
import { performance } from "node:perf_hooks";
import type { Database } from "../db/database.ts";
import { migrate } from "../db/migrate.ts";
import type { MovrContext } from "../shared/context.ts";
import {
  DEFAULT_BATCH_SIZE,
  dropMovrTables,
  LOAD_TABLES,
  LoadClashError,
  loadData,
  multiRegionOf,
  type LoadTable,
} from "../workload/load.service.ts";
import { REFERENCE_REGIONS, type RegionMap } from "../cities/region.config.ts";
import type { DatabaseRegions } from "../workload/multi-region.repository.ts";
import {
  matchClusterRegions,
  multiRegionStatements,
  type MultiRegionPlan,
} from "../workload/multi-region.sql.ts";
import { applyStatements } from "./multi-region.command.ts";
import { sqlState } from "../db/sql-errors.ts";
import { CliError, UsageError } from "./errors.ts";
import { fmtInt, fmtSeconds, writeLine, type OutStream } from "./io.ts";
import { checkConnectionLimit, connectionsOf, sharedConnectionsLine } from "./command-database.ts";
import { createProgress } from "./progress.ts";

/** What to generate (same seed and `now`, same rows), and how to load it. */
export interface LoadCommandOptions extends GenerateOptions {
  cities: string[];
  drop: boolean;
  skipInit: boolean;
  batchSize?: number;
  /**
   * Batches in flight at once, at most the connections there are (a line says so when fewer);
   * default DEFAULT_LOAD_CONCURRENCY, or the connections when fewer (the embedded database: 1).
   */
  concurrency?: number;
  /**
   * The configured region map (default: the reference map): how --drop makes a multi-region
   * database's recreated tables multi-region again.
   */
  regions?: RegionMap;
  /** --drop on a multi-region database whose regions the map fits only by guessing: go ahead. */
  yes?: boolean;
}

/** Where runLoad's steps can be swapped in tests. */
export interface LoadSeams {
  /**
   * Runs configure-multi-region's statements after --drop recreated a multi-region database's
   * tables. Default: one by one on the database, each printed.
   */
  applyMultiRegion?: (statements: string[]) => Promise<void>;
}

export interface LoadSummary {
  generated: Record<LoadTable, number>;
  inserted: Record<LoadTable, number>;
  rows: number;
  /** Generated rows that were already there (a second load without --drop). */
  skipped: number;
  elapsedMs: number;
  rowsPerSecond: number;
  migrationsApplied: string[];
  dropped: boolean;
  /** configure-multi-region's statements run again after --drop (multi-region databases only). */
  localitiesReapplied: number;
  /** Tables ANALYZEd after the load (those that got rows). */
  analyzed: LoadTable[];
}

/** Batches in flight when --concurrency is not given, on a database with that many connections. */
export const DEFAULT_LOAD_CONCURRENCY = 4;

/** Every row must have its parents: users in each city for vehicles, vehicles for rides, rides for histories. */
export function checkSizes(
  o: Pick<LoadCommandOptions, "cities" | "users" | "vehicles" | "rides" | "histories">,
): void {
  const n = o.cities.length;
  const need = (count: number, parents: number, what: string, parentFlag: string) => {
    if (count > 0 && parents < n) {
      throw new UsageError(
        `${what} need ${parentFlag} of at least ${n} (one per city) so every row has its parent; got ${parents}.`,
      );
    }
  };
  need(o.vehicles, o.users, "Vehicles", "--num-users");
  need(o.rides, o.vehicles, "Rides", "--num-vehicles");
  need(o.histories, o.rides, "Location histories", "--num-rides");
}

const AGAIN =
  "Repeat the first load's sizes, --seed, --now and cities to resume it, or add --drop to start over.";

/**
 * A load whose rows clash with rows already in the database, or that finds no tables
 * (--skip-init), as one sentence saying what to do; other errors unchanged. Integrity violations (23xxx) that get past loadData's check (rows
 * written meanwhile by another client) are the same case, and never show the SQL.
 */
function explainClash(err: unknown, where: string): unknown {
  if (err instanceof LoadClashError) {
    return new CliError(
      `${where} already has movr rows from another load: ${err.message}. Nothing was loaded. ${AGAIN}`,
    );
  }
  const state = sqlState(err);
  if (state === "42P01") {
    return new CliError(
      `The movr tables are missing in ${where}; run "movr load" without --skip-init (or "movr migrate") first.`,
    );
  }
  if (state?.startsWith("23")) {
    return new CliError(
      `${where} has rows this load's rows clash with (SQLSTATE ${state}); the batches loaded before stay. ${AGAIN}`,
    );
  }
  return err;
}

/**
 * What --drop does on a multi-region database: the plan configure-multi-region would run, from
 * the configured map matched against the database's own regions (the primary region stays as it
 * is), and lines to print. Refuses, before anything is dropped, when the match is a guess (a
 * configured region that fits none of the database's, or several), unless `yes`.
 */
export function planLocalities(
  configured: RegionMap,
  found: DatabaseRegions & { database: string },
  description: string,
  yes: boolean,
): { plan: MultiRegionPlan; notes: string[] } {
  const match = matchClusterRegions(configured, found.regions);
  const guesses: string[] = [];
  for (const m of match.matches) {
    if (!m.cluster) guesses.push(`${m.configured} matches no region of the database`);
    else if (m.candidates.length > 1) guesses.push(`${m.configured} could be ${m.candidates.join(" or ")}`);
  }
  const notes: string[] = [];
  if (match.fallbackCities.length > 0) {
    notes.push(
      `Homed in the primary region ${found.primaryRegion} by fallback: ${match.fallbackCities.join(", ")}.`,
    );
  }
  if (guesses.length > 0 && !yes) {
    throw new CliError(
      `${description} is multi-region (regions ${found.regions.join(", ")}; primary ${found.primaryRegion}) and the configured region map fits its regions only by guessing: ${guesses.join("; ")}. Nothing was dropped. Configure the map with the database's region names (MOVR_REGIONS), or add --yes to drop and re-apply configure-multi-region's statements with the closest matches${match.fallbackCities.length > 0 ? ` (${match.fallbackCities.join(", ")} homed in ${found.primaryRegion})` : ""}.`,
    );
  }
  return {
    plan: { database: found.database, primaryRegion: found.primaryRegion, regions: match.regions },
    notes,
  };
}

export async function runLoad(
  ctx: MovrContext,
  o: LoadCommandOptions,
  stdout: OutStream,
  seams: LoadSeams = {},
): Promise<LoadSummary> {
  checkSizes(o);
  if (o.drop && o.skipInit) throw new UsageError("--drop and --skip-init cannot be used together.");
  const database: Database = ctx.database;
  // Before --drop or the schema: a load that cannot run at its concurrency changes nothing.
  if (o.concurrency !== undefined) await checkConnectionLimit(database, o.concurrency);
  const started = performance.now();
  let localities: MultiRegionPlan | undefined;
  if (o.drop) {
    // Dropped tables lose their localities: note the database's regions first, to re-apply them.
    const found = await multiRegionOf(database);
    if (found) {
      const planned = planLocalities(
        o.regions ?? REFERENCE_REGIONS,
        found,
        database.description,
        o.yes ?? false,
      );
      localities = planned.plan;
      writeLine(
        stdout,
        `${database.description} is multi-region (primary region ${found.primaryRegion}; regions ${found.regions.join(", ")}): the recreated tables are made multi-region again with configure-multi-region's statements.`,
      );
      for (const note of planned.notes) writeLine(stdout, note);
    }
    const names = await dropMovrTables(database);
    writeLine(stdout, `Dropped ${names.join(", ")}.`);
  }
  let migrationsApplied: string[] = [];
  if (!o.skipInit) {
    migrationsApplied = (await migrate(database)).applied;
    writeLine(
      stdout,
      migrationsApplied.length > 0
        ? `Created the schema: ${migrationsApplied.join(", ")}.`
        : "The schema is up to date.",
    );
  }
  let localitiesReapplied = 0;
  if (localities) {
    // Before the rows: on empty tables the region column and the locality change are quick.
    const statements = multiRegionStatements(localities);
    await (
      seams.applyMultiRegion ??
      ((s) => applyStatements(database, s, stdout, 'run "movr configure-multi-region"'))
    )(statements);
    localitiesReapplied = statements.length;
    writeLine(
      stdout,
      `Re-applied the localities of ${localities.database}: ${statements.length} statements.`,
    );
  }
  const connections = connectionsOf(database);
  const concurrency = Math.min(o.concurrency ?? DEFAULT_LOAD_CONCURRENCY, connections);
  if (o.concurrency !== undefined) {
    const line = sharedConnectionsLine(database, o.concurrency, () => "its batches go in one at a time");
    if (line) writeLine(stdout, line);
  }
  const progress = createProgress(stdout);
  const generated: Record<LoadTable, number> = {
    users: o.users,
    vehicles: o.vehicles,
    rides: o.rides,
    vehicle_location_histories: o.histories,
    promo_codes: o.promoCodes,
  };
  let current: LoadTable | undefined;
  const loadStarted = performance.now();
  let result: Awaited<ReturnType<typeof loadData>>;
  try {
    result = await loadData(
      ctx,
      {
        cities: o.cities,
        users: o.users,
        vehicles: o.vehicles,
        rides: o.rides,
        histories: o.histories,
        promoCodes: o.promoCodes,
        seed: o.seed,
        now: o.now,
        batchSize: o.batchSize ?? DEFAULT_BATCH_SIZE,
        concurrency,
      },
      (p) => {
        if (current !== undefined && current !== p.table) progress.finish(current, generated[current]);
        current = p.table;
        progress.update(p.table, p.done, p.total);
      },
    );
  } catch (err) {
    throw explainClash(err, database.description);
  }
  if (current !== undefined) progress.finish(current, generated[current]);
  // The rows' own time: the ANALYZE after them is reported on its own line.
  const loadMs = performance.now() - loadStarted - result.analyzeMs;
  const generatedRows = Object.values(generated).reduce((a, b) => a + b, 0);
  const summary: LoadSummary = {
    generated,
    inserted: result.inserted,
    rows: result.rows,
    skipped: generatedRows - result.rows,
    elapsedMs: performance.now() - started,
    rowsPerSecond: loadMs > 0 ? (result.rows * 1000) / loadMs : 0,
    migrationsApplied,
    dropped: o.drop,
    localitiesReapplied,
    analyzed: result.analyzed,
  };
  writeLine(
    stdout,
    `Loaded ${fmtInt(result.rows)} rows into ${database.description} over ${o.cities.length} ${o.cities.length === 1 ? "city" : "cities"} in ${fmtSeconds(loadMs)} (${fmtInt(summary.rowsPerSecond)} rows/s).`,
  );
  if (summary.skipped > 0) {
    writeLine(
      stdout,
      `${fmtInt(summary.skipped)} generated rows were already there and were left as they are.`,
    );
  }
  for (const table of LOAD_TABLES) {
    writeLine(stdout, `  ${table.padEnd(28)} ${fmtInt(result.inserted[table]).padStart(10)}`);
  }
  if (result.analyzed.length > 0) {
    writeLine(
      stdout,
      `Analyzed ${result.analyzed.join(", ")} in ${fmtSeconds(result.analyzeMs)}: the planner has their statistics.`,
    );
  }
  writeLine(stdout, `The same rows again: movr load ${sameRowsFlags(o)} (with the same sizes and cities).`);
  return summary;
}

/** `--seed S --now T`: with the same sizes and cities, `movr load` generates the same rows (a resumed load). */
export function sameRowsFlags(o: { seed: number; now: Date }): string {
  return `--seed ${o.seed} --now ${o.now.toISOString()}`;
}
