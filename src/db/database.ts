// Turns a DatabaseConfig into one handle, whatever the engine: embedded PGlite, a PostgreSQL
// server, or CockroachDB. The rest of the code sees a Drizzle database and a dialect.
import { existsSync, readFileSync } from "node:fs";
import type { ConnectionOptions } from "node:tls";
import type { PGlite } from "@electric-sql/pglite";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { drizzle as drizzlePg } from "drizzle-orm/node-postgres";
import pg from "pg";
import { TimedClient } from "./connect-timeout.ts";
import type { DatabaseConfig } from "../config.ts";
import { poolSettingsFor } from "./pool-settings.ts";
import { DatabaseUnavailableError } from "../shared/errors.ts";
import { isText } from "../shared/text.ts";
import { AMBIGUOUS_COMMIT, describeError, unavailabilityOf } from "./sql-errors.ts";
import { READ_HERE, readUrlParameters } from "./url-parameters.ts";
import type { SqlServer, SqlServerOptions } from "./embedded-sql-server.ts";

export type Db = PgDatabase<PgQueryResultHKT>;
export type Dialect = "postgres" | "cockroachdb";

export interface TxStats {
  /** Transactions committed. */
  committed: number;
  /** Attempts re-run after a serialization failure. */
  retries: number;
  /** Transactions abandoned after the last attempt. */
  exhausted: number;
}

/**
 * Told what became of each transaction runTransaction runs (metrics, for one). Methods must be
 * cheap and must not throw: they run on the request path.
 */
export interface TxObserver {
  /** A transaction committed, after `attempts` attempts (1 = no retry). */
  committed(attempts: number): void;
  /** An attempt failed with a retryable SQLSTATE (e.g. "40001") and will be re-run. */
  retried(sqlState: string): void;
  /** The last allowed attempt failed with a retryable SQLSTATE: the caller gets an error. */
  gaveUp(sqlState: string): void;
}

/** What openDatabase takes besides the configuration. */
export interface DatabaseHooks {
  txObserver?: TxObserver;
}

export interface TransactionMode {
  readOnly: boolean;
}

export interface Database {
  readonly db: Db;
  /**
   * One SERIALIZABLE transaction: BEGIN, `fn`, COMMIT (ROLLBACK on error). No retries here:
   * runTransaction owns them. A connection that broke on the way is destroyed, never pooled.
   */
  transaction<T>(fn: (tx: Db) => Promise<T>, mode: TransactionMode): Promise<T>;
  readonly kind: "embedded" | "server";
  readonly dialect: Dialect;
  /** Where it is, for messages: never includes a password. */
  readonly description: string;
  readonly maxTxAttempts: number;
  readonly stats: TxStats;
  /** Given to openDatabase by whoever watches transactions; runTransaction reports to it. */
  readonly txObserver?: TxObserver;
  /** Runs one statement outside any transaction (migrations, DDL, admin SQL). */
  exec(sql: string): Promise<void>;
  /** Runs one statement and returns its rows (the SQL shell, admin commands). */
  query<T = Record<string, unknown>>(
    sql: string,
    params?: unknown[],
  ): Promise<{ rows: T[]; fields: string[] }>;
  /**
   * Runs `fn` on one connection held for all of it: for session-level locks and settings (the
   * migrator's advisory lock). PGlite has one connection, so this is that connection.
   */
  withSession<T>(fn: (session: SqlSession) => Promise<T>): Promise<T>;
  ping(): Promise<void>;
  close(): Promise<void>;
  /**
   * The embedded engine itself, bypassing the session gate: only for a process that is the
   * database's sole user (the `movr sql` shell on the embedded database).
   */
  readonly pglite?: PGlite;
  /**
   * Embedded only: serves this database on a loopback PostgreSQL port (see embedded-sql-server.ts),
   * sharing the one PGlite session with this process a transaction at a time, and records the
   * port in the data directory's lock so `movr` commands find it.
   */
  serveSql?(options: SqlServerOptions): Promise<SqlServer>;
  /** The server pool, for tools that measure raw driver calls next to ours. */
  readonly pool?: pg.Pool;
}

/** Statements on one held connection (see Database.withSession). */
export type SqlSession = Pick<Database, "exec" | "query">;

/**
 * Opens the database `config.url` names (embedded when undefined or `memory://`). `hooks` are
 * carried on the handle for runTransaction. Throws DatabaseUnavailableError when it cannot.
 */
export async function openDatabase(config: DatabaseConfig, hooks: DatabaseHooks = {}): Promise<Database> {
  const url = config.url;
  const withHooks = (database: Database): Database =>
    hooks.txObserver ? Object.assign(database, { txObserver: hooks.txObserver }) : database;
  if (url === undefined || url.startsWith("memory:"))
    // Imported here: a server process never loads PGlite (nor its WebAssembly).
    return withHooks(await (await import("./embedded-database.ts")).openEmbedded(config, url !== undefined));
  if (/^(postgres|postgresql|cockroachdb):\/\//i.test(url)) return withHooks(await openServer(config, url));
  throw new DatabaseUnavailableError(
    `Unsupported database URL scheme in "${redact(url)}": use postgresql://, cockroachdb:// or memory://`,
  );
}

/**
 * Sent at connection start-up (no extra round trip): every statement that runs on its own is a
 * SERIALIZABLE transaction, so single-statement reads and writes need no BEGIN/COMMIT
 * (runTransaction's `singleStatement`). CockroachDB's default already; PostgreSQL's is READ COMMITTED.
 */
export const SERIALIZABLE_BY_DEFAULT = "-c default_transaction_isolation=serializable";

interface ParsedServerUrl {
  connectionString: string;
  /** The start-up `options`: the URL's own, then SERIALIZABLE_BY_DEFAULT. */
  options: string;
  /** The URL's own start-up `options` alone (the SQL shell's session keeps the server's isolation). */
  urlOptions: string | undefined;
  ssl: ConnectionOptions | false;
  host: string;
  forcedCockroach: boolean;
  /** The URL's connect_timeout in ms (0: no limit of its own); undefined when it has none. */
  connectTimeoutMs: number | undefined;
  /** The URL's sslnegotiation, for the driver's configuration (its connection string would turn ssl into `true`). */
  sslnegotiation?: "postgres" | "direct";
}

/** A percent-encoded URL part that decodes to UTF-8 text under the text rule (src/shared/text.ts). */
function isUrlText(encoded: string): boolean {
  try {
    return isText(decodeURIComponent(encoded));
  } catch {
    return false;
  }
}

/**
 * Splits TLS parameters out of the URL and loads their files, naming any that is missing; checks
 * every query parameter read (url-parameters.ts). Throws DatabaseUnavailableError with one
 * sentence naming the URL (password hidden) and the parameter.
 */
export function parseServerUrl(raw: string): ParsedServerUrl {
  const forcedCockroach = /^cockroachdb:/i.test(raw);
  let u: URL;
  try {
    u = new URL(raw.replace(/^cockroachdb:/i, "postgresql:"));
  } catch {
    throw new DatabaseUnavailableError(`The database URL "${redact(raw)}" is not a valid URL`);
  }
  if (forcedCockroach && !u.port) u.port = "26257";
  // The start-up packet carries these NUL-terminated: a NUL, a control character or a bad %XX
  // reached the server as "invalid startup packet layout", or was sent as typed.
  for (const [part, value] of [
    ["user name", u.username],
    ["password", u.password],
    ["database name", u.pathname.slice(1)],
  ] as const) {
    if (!isUrlText(value)) {
      throw new DatabaseUnavailableError(
        `The database URL "${redact(raw)}" has a ${part} that is not validly percent-encoded text without control characters`,
      );
    }
  }
  const params = u.searchParams;
  // Every parameter MovR or node-postgres reads is checked in one place (url-parameters.ts): the
  // driver took "10s" for 10 ms, ignored connect_timeout, and a ?port= that is no TCP port made it
  // throw inside a socket callback, a promise that never settled (exit 13).
  const read = readUrlParameters(params);
  if ("problem" in read) {
    throw new DatabaseUnavailableError(`The database URL "${redact(raw)}" has ${read.problem}`);
  }
  const portParam = params.getAll("port").at(-1) ?? null;
  const readPem = (name: string): Buffer | undefined => {
    const file = params.get(name);
    if (!file) return undefined;
    if (!existsSync(file)) throw new DatabaseUnavailableError(`The ${name} file "${file}" does not exist`);
    return readFileSync(file);
  };
  const ca = readPem("sslrootcert");
  const cert = readPem("sslcert");
  const key = readPem("sslkey");
  if ((cert && !key) || (key && !cert)) {
    throw new DatabaseUnavailableError("sslcert and sslkey must be given together for a client certificate");
  }
  const urlOptions = params.get("options") || undefined;
  const options = [urlOptions, SERIALIZABLE_BY_DEFAULT].filter(Boolean).join(" ");
  for (const name of ["sslrootcert", "sslcert", "sslkey", "options", ...READ_HERE]) params.delete(name);
  let ssl: ConnectionOptions | false;
  switch (read.sslMode) {
    case "disable":
    case "allow":
    case "prefer": // node-postgres cannot fall back from TLS to plain text; these mean "no TLS" here.
      ssl = false;
      break;
    case "require":
      ssl = { rejectUnauthorized: false, ca, cert, key };
      break;
    case "verify-ca":
      ssl = { rejectUnauthorized: true, ca, cert, key, checkServerIdentity: () => undefined };
      break;
    case "verify-full":
      ssl = { rejectUnauthorized: true, ca, cert, key };
      break;
  }
  return {
    connectionString: u.toString(),
    options,
    urlOptions,
    ssl,
    host: `${u.hostname}:${portParam ?? (u.port || "5432")}`,
    forcedCockroach,
    connectTimeoutMs: read.connectTimeoutMs,
    ...(read.sslNegotiation ? { sslnegotiation: read.sslNegotiation } : {}),
  };
}

async function openServer(config: DatabaseConfig, raw: string): Promise<Database> {
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
      await pool.query("SELECT 1");
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

/** A SERIALIZABLE transaction through Drizzle's own BEGIN/COMMIT (right for PGlite's single connection). */
export function drizzleTransaction<T>(db: Db, fn: (tx: Db) => Promise<T>, mode: TransactionMode): Promise<T> {
  return db.transaction((tx) => fn(tx as unknown as Db), {
    isolationLevel: "serializable",
    accessMode: mode.readOnly ? "read only" : "read write",
  });
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

export function redact(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@]*@/, "//$1:***@");
}
