// One migrator at a time, across processes: several servers started at once on an empty
// database must not run the same CREATE statements side by side (PostgreSQL then fails with
// 23505 on pg_type_typname_nsp_index). See docs/decisions/010-migration-lock.md.
//
// - PostgreSQL: a session-level advisory lock, held on the connection that runs the migrations.
//   It goes away with the session, so a crashed migrator never blocks anyone.
// - CockroachDB: advisory locks are accepted and do nothing, so a lease row in the ledger
//   (version 0) names its holder and an expiry; the holder renews it while it works, and a
//   crashed holder's lease expires after `leaseTtlMs`.
// - PGlite: one connection per process (and one process per data directory), so an in-process
//   queue per database handle is enough.
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { Database, SqlSession } from "./database.ts";
import { isRetryable, sqlState, UNIQUE_VIOLATION } from "./sql-errors.ts";

export const LEDGER = "movr_schema_migrations";
/** The ledger's version column holds the lease at this version; migrations start at 1. */
export const LEASE_VERSION = 0;
/** pg_advisory_lock key: "movr" in ASCII. */
export const ADVISORY_KEY = 0x6d6f7672;

export type LockStrategy = "advisory" | "lease" | "in-process";

export interface MigrationLockOptions {
  /** Chosen from the database when absent: advisory on PostgreSQL, lease on CockroachDB. */
  strategy?: LockStrategy;
  /** How long a lease lasts without renewal; the longest a crashed migrator blocks others. */
  leaseTtlMs?: number;
  /** Longest wait for another migrator to finish before giving up with an error. */
  waitLimitMs?: number;
}

const CREATE_LEDGER = `CREATE TABLE IF NOT EXISTS ${LEDGER} (version INT NOT NULL PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL DEFAULT now())`;
const NOW_UTC = "(now() AT TIME ZONE 'UTC')";

const queues = new WeakMap<Database, Promise<unknown>>();

export function defaultStrategy(database: Database): LockStrategy {
  if (database.kind === "embedded") return "in-process";
  return database.dialect === "cockroachdb" ? "lease" : "advisory";
}

/**
 * Runs `fn` with the migration lock held, on one session that exists (with the ledger table)
 * before `fn` starts. Throws when another migrator holds the lock for longer than `waitLimitMs`.
 */
export async function withMigrationLock<T>(
  database: Database,
  fn: (session: SqlSession) => Promise<T>,
  options: MigrationLockOptions = {},
): Promise<T> {
  const strategy = options.strategy ?? defaultStrategy(database);
  // Even across processes, one handle's callers queue here first: no point in two sessions.
  const previous = queues.get(database) ?? Promise.resolve();
  const run = previous
    .catch(() => undefined)
    .then(() =>
      database.withSession(async (session) => {
        if (strategy === "advisory") return withAdvisoryLock(session, fn);
        if (strategy === "lease") return withLease(session, fn, options);
        await createLedger(session);
        return fn(session);
      }),
    );
  queues.set(database, run);
  return run;
}

async function withAdvisoryLock<T>(session: SqlSession, fn: (s: SqlSession) => Promise<T>): Promise<T> {
  // The wait for the lock, and the migrations, must not hit a configured statement_timeout.
  await session.exec("SET statement_timeout = 0");
  await session.query("SELECT pg_advisory_lock($1)", [ADVISORY_KEY]);
  try {
    await createLedger(session);
    return await fn(session);
  } finally {
    await session.query("SELECT pg_advisory_unlock($1)", [ADVISORY_KEY]);
    await session.exec("RESET statement_timeout");
  }
}

/** CREATE TABLE IF NOT EXISTS can still collide with a concurrent creator; then the table exists. */
async function createLedger(session: SqlSession): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await session.exec(CREATE_LEDGER);
      return;
    } catch (err) {
      // 23505 on pg_type, 42P07 duplicate table, 42710 "type already exists": another creator won.
      const collided = isRetryable(err) || [UNIQUE_VIOLATION, "42P07", "42710"].includes(sqlState(err) ?? "");
      if (!collided || attempt >= 5) throw err;
      await sleep(50 * attempt);
    }
  }
}

async function withLease<T>(
  session: SqlSession,
  fn: (s: SqlSession) => Promise<T>,
  options: MigrationLockOptions,
): Promise<T> {
  const ttlMs = options.leaseTtlMs ?? 30_000;
  const waitLimitMs = options.waitLimitMs ?? 15 * 60_000;
  const holder = `lease ${randomUUID()}`;
  const ttl = `${Math.ceil(ttlMs)} milliseconds`;
  await createLedger(session);
  const deadline = Date.now() + waitLimitMs;
  for (let attempt = 1; !(await tryTakeLease(session, holder, ttl)); attempt++) {
    if (Date.now() > deadline) {
      throw new Error(
        `Another process has been migrating this database for over ${Math.round(waitLimitMs / 1000)} s; ` +
          `if none is, delete the lease: DELETE FROM ${LEDGER} WHERE version = ${LEASE_VERSION}`,
      );
    }
    await sleep(Math.min(1000, 50 * attempt) * (0.5 + Math.random()));
  }
  // Renew well before expiry while the migrations run; a failed renewal is retried next beat.
  const beat = setInterval(() => {
    void session
      .query(
        `UPDATE ${LEDGER} SET applied_at = ${NOW_UTC} + $2::INTERVAL WHERE version = ${LEASE_VERSION} AND name = $1`,
        [holder, ttl],
      )
      .catch(() => undefined);
  }, ttlMs / 3);
  try {
    return await fn(session);
  } finally {
    clearInterval(beat);
    await session.query(`DELETE FROM ${LEDGER} WHERE version = ${LEASE_VERSION} AND name = $1`, [holder]);
  }
}

/** Takes the lease when nobody holds it or the holder's lease expired. True when taken. */
async function tryTakeLease(session: SqlSession, holder: string, ttl: string): Promise<boolean> {
  try {
    const { rows } = await session.query<{ name: string }>(
      `INSERT INTO ${LEDGER} (version, name, applied_at) VALUES (${LEASE_VERSION}, $1, ${NOW_UTC} + $2::INTERVAL)
       ON CONFLICT (version) DO UPDATE SET name = excluded.name, applied_at = excluded.applied_at
       WHERE ${LEDGER}.applied_at < ${NOW_UTC}
       RETURNING name`,
      [holder, ttl],
    );
    return rows[0]?.name === holder;
  } catch (err) {
    if (isRetryable(err)) return false; // CockroachDB: another taker won the race; look again.
    throw err;
  }
}
