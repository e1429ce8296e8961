// Loads generated data in batches: COPY FROM STDIN into a server's empty tables, else bulk
// INSERTs (see load.repository.ts); each batch one statement, retried on its own: small enough
// for CockroachDB's transaction limits, large enough to be fast. Tables are loaded parents first
// (foreign keys); the batches of one table may run on several connections at once.
import { performance } from "node:perf_hooks";
import type { Database } from "../db/database.ts";
import { loadMigrations, type Migration } from "../db/migrate.ts";
import { runTransaction } from "../db/transaction.ts";
import { promoCodes } from "../promo-codes/promo-code.table.ts";
import { rides, vehicleLocationHistories } from "../rides/ride.table.ts";
import type { MovrContext } from "../shared/context.ts";
import { requireCity } from "../shared/validation.ts";
import { users } from "../users/user.table.ts";
import { vehicles } from "../vehicles/vehicle.table.ts";
import { generate, type GenerateOptions } from "./generate.ts";
import {
  analyzeTables,
  copyRows,
  countLoadClashes,
  dropTables,
  insertRows,
  isEmpty,
} from "./load.repository.ts";
import { currentDatabaseName, findDatabaseRegions, type DatabaseRegions } from "./multi-region.repository.ts";

export const LOAD_TABLES = [
  "users",
  "vehicles",
  "rides",
  "vehicle_location_histories",
  "promo_codes",
] as const;
export type LoadTable = (typeof LOAD_TABLES)[number];

/** Rows per INSERT (and per transaction): far below CockroachDB's transaction limits. */
export const DEFAULT_BATCH_SIZE = 500;

/** Rows per COPY at least (a COPY's cost is mostly per row; fewer statements, fewer round trips). */
export const COPY_BATCH_SIZE = 5000;

export interface LoadProgress {
  table: LoadTable;
  done: number;
  total: number;
}

export interface LoadResult {
  inserted: Record<LoadTable, number>;
  rows: number;
  /** Tables that got rows, whose planner statistics were then collected (ANALYZE), in load order. */
  analyzed: LoadTable[];
  /** Milliseconds the ANALYZE took (not part of the rows' loading time). */
  analyzeMs: number;
}

export interface LoadOptions extends GenerateOptions {
  batchSize?: number;
  /** Batches of one table in flight at once (at most the pool's size is useful). Default 1. */
  concurrency?: number;
}

/**
 * The database holds rows this load's rows cannot be added beside (another load's sizes, seed,
 * `now` or cities, or rides the app or `movr run` started): nothing was written.
 */
export class LoadClashError extends Error {
  override name = "LoadClashError";
  constructor(readonly clashes: number) {
    super(
      `${clashes} of the rows this load generates contradict rows there (a second active ride for a vehicle or rider, a ride or owner that is another load's)`,
    );
  }
}

/**
 * Inserts the generated rows, parents first, then ANALYZEs every table that got rows (as after
 * any bulk load: the planner has no statistics until autovacuum comes round, ADR 019). Rows
 * already there (same key) are left as they are, so a load can be resumed or repeated. Before writing anything, refuses with
 * LoadClashError when new rows would clash with rows already there (see
 * countLoadClashes): rows a different load made, which a partial load on top of would
 * break (foreign keys of the skipped rides' location points, vehicle status).
 */
export async function loadData(
  ctx: MovrContext,
  options: LoadOptions,
  onProgress: (p: LoadProgress) => void = () => undefined,
): Promise<LoadResult> {
  options.cities.forEach((c) => requireCity(ctx.cities, c));
  const data = generate(options);
  const clashes = await countLoadClashes(ctx.database, {
    activeRides: data.rides.filter((r) => r.endTime === null),
    vehicles: data.vehicles,
  });
  if (clashes > 0) throw new LoadClashError(clashes);
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  const concurrency = Math.max(1, options.concurrency ?? 1);
  const inserted = Object.fromEntries(LOAD_TABLES.map((t) => [t, 0])) as Record<LoadTable, number>;
  const plan: [LoadTable, Parameters<typeof insertRows>[1], object[]][] = [
    ["users", users, data.users],
    ["vehicles", vehicles, data.vehicles],
    ["rides", rides, data.rides],
    ["vehicle_location_histories", vehicleLocationHistories, data.histories],
    ["promo_codes", promoCodes, data.promoCodes],
  ];
  const pool = ctx.database.pool;
  for (const [name, table, rows] of plan) {
    // COPY on a server when the table starts empty (a first load, or after --drop); otherwise
    // INSERT ... ON CONFLICT DO NOTHING, which leaves rows already there alone (a resumed load).
    const copy = pool !== undefined && rows.length > 0 && (await isEmpty(ctx.database, table));
    const size = copy ? Math.max(batchSize, COPY_BATCH_SIZE) : batchSize;
    let next = 0;
    let done = 0;
    const worker = async () => {
      while (next < rows.length) {
        const batch = rows.slice(next, next + size);
        next += batch.length;
        const n = await runTransaction(
          ctx.database,
          (tx) => (copy ? copyRows(pool, table, batch as never[]) : insertRows(tx, table, batch as never[])),
          // A COPY is one statement: all its rows or none, retried whole like any transaction.
          { singleStatement: copy },
        );
        // Not `inserted[name] += await ...`: that reads the total before awaiting and loses updates.
        inserted[name] += n;
        done += batch.length;
        onProgress({ table: name, done, total: rows.length });
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
  }
  const written = plan.filter(([name]) => inserted[name] > 0);
  const analyzeStarted = performance.now();
  await analyzeTables(
    ctx.database,
    written.map(([, table]) => table),
  );
  return {
    inserted,
    rows: Object.values(inserted).reduce((a, b) => a + b, 0),
    analyzed: written.map(([name]) => name),
    analyzeMs: performance.now() - analyzeStarted,
  };
}

/** The ledger our migrator keeps (src/db/migrate.ts). */
export const MIGRATIONS_LEDGER = "movr_schema_migrations";

/** Every table our migrations create, in creation order. */
export function migratedTables(migrations: Migration[] = loadMigrations()): string[] {
  const names: string[] = [];
  for (const m of migrations) {
    for (const statement of m.statements) {
      const match = /^\s*CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?"?([a-z_][a-z0-9_]*)"?/i.exec(statement);
      if (match?.[1] && !names.includes(match[1])) names.push(match[1]);
    }
  }
  return names;
}

/** `movr load --drop`: every migrated table, children first, then the ledger, so migrate starts over. */
export async function dropMovrTables(database: Database): Promise<string[]> {
  const names = [...migratedTables().reverse(), MIGRATIONS_LEDGER];
  await dropTables(database, names);
  return names;
}

/**
 * The regions of a multi-region (CockroachDB) database, with its name; undefined for a database
 * without regions (always on PostgreSQL and PGlite). `movr load --drop` asks before dropping.
 */
export async function multiRegionOf(
  database: Database,
): Promise<(DatabaseRegions & { database: string }) | undefined> {
  const found = await findDatabaseRegions(database);
  return found && { ...found, database: await currentDatabaseName(database) };
}
