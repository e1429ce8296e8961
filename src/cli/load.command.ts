// `movr load`: create the schema (unless --skip-init; --drop starts over), then generate and
// insert deterministic data over the chosen cities, reporting progress and rows per second.
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
  type LoadTable,
} from "../workload/load.service.ts";
import { sqlState } from "../db/sql-errors.ts";
import { CliError, UsageError } from "./errors.ts";
import { fmtInt, fmtSeconds, writeLine, type OutStream } from "./io.ts";
import { createProgress } from "./progress.ts";

/** What to generate (same seed and `now`, same rows), and how to load it. */
export interface LoadCommandOptions extends GenerateOptions {
  cities: string[];
  drop: boolean;
  skipInit: boolean;
  batchSize?: number;
  /** Batches in flight at once. */
  concurrency?: number;
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
}

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

export async function runLoad(
  ctx: MovrContext,
  o: LoadCommandOptions,
  stdout: OutStream,
): Promise<LoadSummary> {
  checkSizes(o);
  if (o.drop && o.skipInit) throw new UsageError("--drop and --skip-init cannot be used together.");
  const database: Database = ctx.database;
  const started = performance.now();
  if (o.drop) {
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
        concurrency: o.concurrency ?? 1,
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
  const loadMs = performance.now() - loadStarted;
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
  writeLine(
    stdout,
    `The same rows again: movr load --seed ${o.seed} --now ${o.now.toISOString()} (with the same sizes and cities).`,
  );
  return summary;
}
