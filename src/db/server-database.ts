// The server engine behind openDatabase: a node-postgres pool on PostgreSQL or CockroachDB. Only
// imported when the URL names a server, so the embedded database's start loads no pg driver
// (nor Drizzle's node-postgres session), as a server's start loads no PGlite.
import { drizzle as drizzlePg } from "drizzle-orm/node-postgres";
import pg from "pg";
import type { DatabaseConfig } from "../config.ts";
import { DatabaseUnavailableError } from "../shared/errors.ts";
import { TimedClient } from "./connect-timeout.ts";
import {
  parseServerUrl,
  READY_CHECK,
  type Database,
  type Db,
  type Dialect,
  type TransactionMode,
} from "./database.ts";
import { poolSettingsFor } from "./pool-settings.ts";
import { AMBIGUOUS_COMMIT, describeError, unavailabilityOf } from "./sql-errors.ts";

export async function openServer(config: DatabaseConfig, raw: string): Promise<Database> {
  const parsed = parseServerUrl(raw);
  // The URL's own connect_timeout (libpq's, in seconds) wins over DB_CONNECT_TIMEOUT_MS.
  const connectTimeoutMs = parsed.connectTimeoutMs ?? config.pool.connectTimeoutMs;
  // Settings for the dialect the URL names; a postgresql:// URL may turn out to be CockroachDB,
  // known only once connected (below).
  let settings = poolSettingsFor(parsed.forcedCockroach ? "cockroachdb" : "postgres", config.pool);
  const pool: pg.Pool = new pg.Pool({
    connectionString: parsed.connectionString,
    options: parsed.options,
    ssl: parsed.ssl,
    ...(parsed.sslnegotiation ? { sslnegotiation: parsed.sslnegotiation } : {}),
    max: config.pool.max,
    min: settings.min,
    idleTimeoutMillis: settings.idleTimeoutMillis,
    maxLifetimeSeconds: settings.lifetimeSeconds(),
    // pg-pool reads maxLifetimeSeconds for each new connection right after this hook: a lifetime
    // of its own per connection (the jitter of src/db/pool-settings.ts).
    onConnect: () => {
      pool.options.maxLifetimeSeconds = settings.lifetimeSeconds();
    },
    // pg-pool's own timer bounds the whole wait for a connection, free or new ("acquire").
    connectionTimeoutMillis: config.pool.acquireTimeoutMs,
    // Each new connection is bounded by the connect timeout on its own.
    Client: class extends TimedClient {
      constructor(options?: pg.ClientConfig) {
        super({ ...options, connectionTimeoutMillis: connectTimeoutMs });
        // A server ending the session of a client that is checked out but between statements
        // (movr load's COPY, a transaction's caller) makes it emit `error`; unheard, that kills
        // the process. Heard here for every client's whole life: its next statement fails instead.
        this.on("error", () => undefined);
      }
    },
    application_name: config.pool.applicationName,
    ...(config.statementTimeoutMs > 0 ? { statement_timeout: config.statementTimeoutMs } : {}),
  });
  // An idle client whose server went away must not crash the process; the pool drops it.
  pool.on("error", () => undefined);
  let version: string;
  try {
    const r = await pool.query<{ version: string }>("SELECT version() AS version");
    version = r.rows[0]?.version ?? "";
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw new DatabaseUnavailableError(`Cannot reach the database at ${parsed.host}: ${describeError(err)}`, {
      cause: err,
    });
  }
  const dialect: Dialect =
    parsed.forcedCockroach || /cockroachdb/i.test(version) ? "cockroachdb" : "postgres";
  if (dialect === "cockroachdb" && !parsed.forcedCockroach) {
    settings = poolSettingsFor(dialect, config.pool);
    pool.options.min = settings.min;
    pool.options.idleTimeoutMillis = settings.idleTimeoutMillis;
  }
  return {
    db: drizzlePg(pool) as unknown as Db,
    transaction: (fn, mode) => poolTransaction(pool, fn, mode),
    kind: "server",
    dialect,
    description: `${dialect === "cockroachdb" ? "CockroachDB" : "PostgreSQL"} at ${parsed.host}`,
    maxTxAttempts: config.maxTxAttempts,
    stats: { committed: 0, retries: 0, exhausted: 0 },
    exec: async (sql) => {
      await pool.query(sql);
    },
    query: <T>(sql: string, params: unknown[] = []) => queryOn<T>(pool, sql, params),
    withSession: async (fn) => {
      // No `error` listener here: every client hears its own for life (the Client class above);
      // one added per session piled up on a reused client (MaxListenersExceededWarning).
      const client = await pool.connect();
      let broken: Error | undefined;
      try {
        return await fn({
          exec: async (sql) => {
            await client.query(sql);
          },
          query: (sql, params) => queryOn(client, sql, params),
        });
      } catch (err) {
        // A session that failed may hold state we cannot see (a lock, a setting): never pool it.
        broken = err as Error;
        throw err;
      } finally {
        client.release(broken);
      }
    },
    ping: async () => {
      await pool.query(READY_CHECK);
    },
    close: () => pool.end(),
    pool,
  };
}

async function queryOn<T>(
  on: pg.Pool | pg.PoolClient,
  sql: string,
  params: unknown[] = [],
): Promise<{ rows: T[]; fields: string[] }> {
  const r = await on.query(sql, params);
  return { rows: r.rows as T[], fields: (r.fields ?? []).map((f) => f.name) };
}

// One Drizzle instance per pooled connection, made on first use.
const clientDbs = new WeakMap<pg.PoolClient, Db>();

/**
 * Our own BEGIN/COMMIT on a checked-out client, rather than Drizzle's: Drizzle sends BEGIN
 * outside its try/finally, so a connection lost during BEGIN would never go back to the pool,
 * and a failed ROLLBACK would hide the error that caused it.
 */
async function poolTransaction<T>(
  pool: pg.Pool,
  fn: (tx: Db) => Promise<T>,
  mode: TransactionMode,
): Promise<T> {
  const client = await pool.connect();
  let db = clientDbs.get(client);
  if (!db) {
    db = drizzlePg(client) as unknown as Db;
    clientDbs.set(client, db);
  }
  let broken: Error | undefined;
  let committing = false;
  try {
    await client.query(`BEGIN ISOLATION LEVEL SERIALIZABLE, ${mode.readOnly ? "READ ONLY" : "READ WRITE"}`);
    const result = await fn(db);
    committing = true;
    await client.query("COMMIT");
    return result;
  } catch (err) {
    try {
      await client.query("ROLLBACK");
    } catch (rollbackErr) {
      broken = rollbackErr as Error;
    }
    const kind = unavailabilityOf(err);
    // A server that says it is ending the session (57P01: CockroachDB's drain writes "server is
    // shutting down", then closes the connection) or whose connection failed: never pool it again.
    if (!broken && (kind === "connection" || kind === "shutdown")) broken = err as Error;
    if (committing && !mode.readOnly && (kind === "connection" || kind === "shutdown")) {
      // COMMIT went out and no answer came back: it may or may not have taken effect.
      throw Object.assign(new Error("The connection broke while COMMIT was in flight", { cause: err }), {
        code: AMBIGUOUS_COMMIT,
      });
    }
    throw err;
  } finally {
    // release(err) destroys the connection instead of pooling it.
    client.release(broken);
  }
}
