// The baselines' database access: bare `pg`, the fewest round trips a careful hand-written client
// would use, so each ratio is against the best SQL, not against a copy of our own overhead:
//
// - every connection is SERIALIZABLE by default (a start-up option, no extra round trip), so one
//   statement on its own is a serializable transaction: no BEGIN/COMMIT around it;
// - every statement is a named, server-side prepared statement (parsed and planned once per
//   connection);
// - transactions of several statements are BEGIN [READ ONLY] ... COMMIT, re-run on 40001/40P01
//   with runTransaction's own attempts and backoff (src/db/transaction.ts), and counted.
//
// Imports nothing but `pg` and node: (the HTTP baseline server's memory is measured).
import { createHash } from "node:crypto";
import { setTimeout as delay } from "node:timers/promises";
import pg from "pg";

/** As SERIALIZABLE_BY_DEFAULT in src/db/database.ts (not imported: it would load Drizzle and PGlite). */
export const SERIALIZABLE_OPTIONS = "-c default_transaction_isolation=serializable";
/** As DEFAULT_RETRY_POLICY in src/db/transaction.ts. */
const MAX_ATTEMPTS = 10;
const BASE_DELAY_MS = 10;
const MAX_DELAY_MS = 2000;

export type Row = Record<string, unknown>;
export type Query = (text: string, values?: unknown[]) => Promise<pg.QueryResult<Row>>;

export const sqlStateOf = (err: unknown): string | undefined => (err as { code?: string }).code;
const isRetryable = (err: unknown) => ["40001", "40P01"].includes(sqlStateOf(err) ?? "");

/** A statement's server-side name: a digest of its text (pg refuses one name for two texts). */
const names = new Map<string, string>();
function nameOf(text: string): string {
  let name = names.get(text);
  if (name === undefined) {
    name = `bench_${createHash("sha256").update(text).digest("hex").slice(0, 20)}`;
    names.set(text, name);
  }
  return name;
}

export function openPool(url: string, max: number): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max, options: SERIALIZABLE_OPTIONS });
  pool.on("error", () => undefined);
  return pool;
}

export class RawDb {
  /** Attempts re-run after a serialization failure. */
  retries = 0;
  /** Transactions given up after the last attempt. */
  exhausted = 0;

  constructor(readonly pool: pg.Pool) {}

  /** One statement on its own: an implicit SERIALIZABLE transaction, retried like any. */
  one(text: string, values: unknown[] = []): Promise<pg.QueryResult<Row>> {
    return this.retried(() => this.pool.query<Row>({ name: nameOf(text), text, values }));
  }

  /** BEGIN [READ ONLY], `fn`, COMMIT; ROLLBACK and re-run on a serialization failure. */
  tx<T>(readOnly: boolean, fn: (q: Query) => Promise<T>): Promise<T> {
    return this.retried(async () => {
      const client = await this.pool.connect();
      let broken = false;
      try {
        await client.query(readOnly ? "begin read only" : "begin");
        const result = await fn((text, values = []) =>
          client.query<Row>({ name: nameOf(text), text, values }),
        );
        await client.query("commit");
        return result;
      } catch (err) {
        await client.query("rollback").catch(() => (broken = true));
        throw err;
      } finally {
        client.release(broken);
      }
    });
  }

  private async retried<T>(attempt: () => Promise<T>): Promise<T> {
    for (let n = 1; ; n++) {
      try {
        return await attempt();
      } catch (err) {
        if (!isRetryable(err)) throw err;
        if (n >= MAX_ATTEMPTS) {
          this.exhausted++;
          throw err;
        }
        this.retries++;
        await delay(Math.floor(Math.random() * Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** (n - 1))));
      }
    }
  }
}
