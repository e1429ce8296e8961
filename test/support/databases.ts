// Real databases for tests: embedded PGlite (in memory) always, and the PostgreSQL server when
// MOVR_TEST_DATABASE_URL is set. Each test file gets a database of its own, dropped afterwards.
import { randomBytes } from "node:crypto";
import pg from "pg";
import { databaseConfigFor } from "../../src/config.ts";
import { openDatabase, type Database, type TxObserver } from "../../src/db/database.ts";
import { migrate } from "../../src/db/migrate.ts";
import { REFERENCE_CITIES } from "../../src/cities/region.config.ts";
import type { AuthContext } from "../../src/auth/auth.service.ts";

/** The six tables of the reference movr dataset. */
export const MOVR_TABLES = [
  "users",
  "vehicles",
  "rides",
  "vehicle_location_histories",
  "promo_codes",
  "user_promo_codes",
] as const;

export const SERVER_URL = process.env.MOVR_TEST_DATABASE_URL || undefined;

export interface OpenOptions {
  poolMax?: number;
  maxTxAttempts?: number;
  /** Told of every runTransaction outcome (metrics tests). */
  txObserver?: TxObserver;
}

export interface Target {
  name: "pglite" | "postgres";
  /** Opens a fresh, empty database (not migrated). */
  open(options?: OpenOptions): Promise<Database>;
}

const pglite: Target = {
  name: "pglite",
  open: (options) => {
    const config = databaseConfigFor("memory://", {});
    return openDatabase(
      { ...config, maxTxAttempts: options?.maxTxAttempts ?? config.maxTxAttempts },
      { txObserver: options?.txObserver },
    );
  },
};

const created: string[] = [];

/** A new database on the server; its URL. Dropped by dropServerDatabases(). */
export async function createServerDatabase(): Promise<string> {
  if (!SERVER_URL) throw new Error("MOVR_TEST_DATABASE_URL is not set");
  const name = `movr_test_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: SERVER_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  created.push(name);
  const url = new URL(SERVER_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

export async function dropServerDatabases(): Promise<void> {
  if (!SERVER_URL || created.length === 0) return;
  const admin = new pg.Client({ connectionString: SERVER_URL });
  await admin.connect();
  try {
    for (const name of created.splice(0)) await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

const postgres: Target = {
  name: "postgres",
  open: async (options) => {
    const config = databaseConfigFor(await createServerDatabase(), {});
    return openDatabase(
      {
        ...config,
        pool: { ...config.pool, max: options?.poolMax ?? 10 },
        maxTxAttempts: options?.maxTxAttempts ?? config.maxTxAttempts,
      },
      { txObserver: options?.txObserver },
    );
  },
};

/** The targets this run covers: PGlite always, the server whenever its URL is set. */
export const TARGETS: Target[] = SERVER_URL ? [pglite, postgres] : [pglite];

export function testContext(database: Database, clock: () => Date = () => new Date()): AuthContext {
  return { database, cities: REFERENCE_CITIES, clock, sessionTtlHours: 24 };
}

export async function openMigrated(target: Target, options?: OpenOptions): Promise<Database> {
  const database = await target.open(options);
  await migrate(database);
  return database;
}
