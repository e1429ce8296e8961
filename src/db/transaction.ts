// The only place that retries. See docs/decisions/002-transactions-and-retries.md.
import { setTimeout as delay } from "node:timers/promises";
import { sql } from "drizzle-orm";
import { conflict, databaseUnavailable, DomainError, RetriesExhaustedError } from "../shared/errors.ts";
import type { Database, Db, TxObserver, TxStats } from "./database.ts";
import {
  constraintName,
  isRetryable,
  unavailabilityOf,
  sqlState,
  CHECK_VIOLATION,
  UNIQUE_VIOLATION,
} from "./sql-errors.ts";

/** What a transaction callback receives. A Drizzle transaction is a Drizzle database. */
export type Tx = Db;

export interface RetryPolicy {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** Injected in tests. */
  sleep: (ms: number) => Promise<unknown>;
  random: () => number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 10,
  baseDelayMs: 10,
  maxDelayMs: 2000,
  sleep: (ms) => delay(ms),
  random: Math.random,
};

/** "Full jitter": a random wait up to a cap that doubles with each attempt. */
export function backoffMs(
  attempt: number,
  policy: Pick<RetryPolicy, "baseDelayMs" | "maxDelayMs" | "random">,
) {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.floor(policy.random() * ceiling);
}

/**
 * Runs `attempt` until it succeeds, re-running it only on serialization failures.
 * Any other error ends the loop at once. `stats` is counted and `observer` told of each outcome.
 */
export async function withRetries<T>(
  attempt: (attemptNumber: number) => Promise<T>,
  policy: RetryPolicy,
  stats?: TxStats,
  observer?: TxObserver,
): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      const result = await attempt(n);
      if (stats) stats.committed++;
      observer?.committed(n);
      return result;
    } catch (err) {
      if (!isRetryable(err)) throw err;
      const state = sqlState(err) ?? "unknown";
      if (n >= policy.maxAttempts) {
        if (stats) stats.exhausted++;
        observer?.gaveUp(state);
        throw new RetriesExhaustedError(n, { cause: err });
      }
      if (stats) stats.retries++;
      observer?.retried(state);
      await policy.sleep(backoffMs(n, policy));
    }
  }
}

export interface TxOptions {
  readOnly?: boolean;
  /**
   * `fn` issues exactly one statement: it runs on its own, as an implicit transaction at the
   * session's default isolation (SERIALIZABLE on every connection, see openDatabase), without
   * BEGIN and COMMIT: one round trip instead of three. Retried here like any transaction
   * (CockroachDB also retries implicit transactions itself). Ignored with `followerReads`.
   */
  singleStatement?: boolean;
  /** CockroachDB only: read from the nearest replica, slightly stale. */
  followerReads?: boolean;
  policy?: Partial<RetryPolicy>;
}

export const FOLLOWER_READ_SQL = "SET TRANSACTION AS OF SYSTEM TIME follower_read_timestamp()";

/**
 * Runs `fn` in a SERIALIZABLE transaction and re-runs all of it on SQLSTATE 40001.
 * `fn` must only touch the database: it may run several times. Make IDs before calling.
 */
export async function runTransaction<T>(
  database: Database,
  fn: (tx: Tx) => Promise<T>,
  options: TxOptions = {},
): Promise<T> {
  if (options.followerReads && database.dialect !== "cockroachdb") {
    throw new DomainError(
      "unsupported",
      `Follower reads need CockroachDB; this database is ${database.description}.`,
    );
  }
  const policy: RetryPolicy = {
    ...DEFAULT_RETRY_POLICY,
    maxAttempts: database.maxTxAttempts,
    ...options.policy,
  };
  const implicit = options.singleStatement === true && !options.followerReads;
  try {
    return await withRetries(
      () =>
        implicit
          ? fn(database.db)
          : database.transaction(
              async (tx) => {
                if (options.followerReads) await tx.execute(sql.raw(FOLLOWER_READ_SQL));
                return fn(tx);
              },
              // AS OF SYSTEM TIME needs a read-only transaction: CockroachDB refuses it in READ WRITE.
              { readOnly: options.followerReads === true || (options.readOnly ?? false) },
            ),
      policy,
      database.stats,
      database.txObserver,
    );
  } catch (err) {
    throw translateError(err);
  }
}

/** Constraint names (ours and CockroachDB workload's) that mean a known conflict. */
const CONFLICTS: Record<string, () => DomainError> = {
  rides_one_active_per_city_vehicle: () =>
    conflict("vehicle_unavailable", "That vehicle is already in a ride; pick another one."),
  // Its name before migration 0004.
  rides_one_active_per_vehicle: () =>
    conflict("vehicle_unavailable", "That vehicle is already in a ride; pick another one."),
  rides_one_active_per_rider: () =>
    conflict("already_riding", "You already have an active ride; end it first."),
  users_username_key: () => conflict("username_taken", "That username is taken; choose another one."),
  user_promo_codes_pkey: () =>
    conflict("promo_code_already_applied", "You have already applied that promo code."),
  promo_codes_pkey: () => conflict("promo_code_exists", "A promo code with that name already exists."),
  vehicle_location_histories_pkey: () =>
    conflict("location_already_logged", "A location was already logged for that ride at that instant."),
};

/**
 * The same conflicts by the key's columns, for keys whose name we do not know: tables made by
 * older CockroachDB versions (and `cockroach workload init` on them) name every primary key
 * `primary`. Keys are the columns in the error detail, `Key (a, b)=(...) already exists.`
 * (PostgreSQL's format, which CockroachDB copies), without a leading region column.
 */
const CONFLICTS_BY_COLUMNS: Record<string, string> = {
  "city,vehicle_id": "rides_one_active_per_city_vehicle",
  "vehicle_city,vehicle_id": "rides_one_active_per_vehicle",
  "city,rider_id": "rides_one_active_per_rider",
  username: "users_username_key",
  "city,user_id,code": "user_promo_codes_pkey",
  code: "promo_codes_pkey",
  "city,ride_id,timestamp": "vehicle_location_histories_pkey",
};

/** The columns of the violated key, from the error detail; undefined when it has none. */
export function violatedKeyColumns(err: unknown): string[] | undefined {
  for (let e: unknown = err, depth = 0; e && typeof e === "object" && depth < 5; depth++) {
    const m = /^Key \(([^)]*)\)=/.exec(String((e as { detail?: unknown }).detail ?? ""));
    if (m?.[1]) {
      const columns = m[1].split(",").map((c) => c.trim().replace(/^"|"$/g, ""));
      return columns[0] === "region" || columns[0] === "crdb_region" ? columns.slice(1) : columns;
    }
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Driver errors become domain errors; a domain error thrown by a callback passes unchanged. */
export function translateError(err: unknown): unknown {
  if (err instanceof DomainError) return err;
  const state = sqlState(err);
  if (state === UNIQUE_VIOLATION || state === CHECK_VIOLATION) {
    const byName = CONFLICTS[constraintName(err) ?? ""];
    const byColumns = CONFLICTS[CONFLICTS_BY_COLUMNS[violatedKeyColumns(err)?.join(",") ?? ""] ?? ""];
    const make = byName ?? (state === UNIQUE_VIOLATION ? byColumns : undefined);
    if (make) return make();
  }
  const outage = unavailabilityOf(err);
  if (outage) return databaseUnavailable(outage, err);
  return err;
}
