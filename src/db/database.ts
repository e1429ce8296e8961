// Turns a DatabaseConfig into one handle, whatever the engine: embedded PGlite, a PostgreSQL
// server, or CockroachDB. The rest of the code sees a Drizzle database and a dialect.
import { existsSync, readFileSync } from "node:fs";
import type { ConnectionOptions } from "node:tls";
import type { PGlite } from "@electric-sql/pglite";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import type pg from "pg";
import type { DatabaseConfig } from "../config.ts";
import { DatabaseUnavailableError } from "../shared/errors.ts";
import { isText } from "../shared/text.ts";
import { READ_HERE, readUrlParameters } from "./url-parameters.ts";
import type { SqlServer, SqlServerOptions } from "./embedded-sql-server.ts";

/**
 * What ping() asks: the database answers, and MovR's tables are there. A database dropped and
 * re-created empty (a restore in progress) answers `SELECT 1` but can serve nothing (no_schema,
 * sql-errors.ts); readiness says so, so a load balancer stops sending it requests.
 */
export const READY_CHECK = "SELECT 1 FROM users LIMIT 0";

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
  /** Readiness (/readyz): the database answers READY_CHECK, so MovR's tables are there. */
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
  if (/^(postgres|postgresql|cockroachdb):\/\//i.test(url))
    // Imported here: an embedded start never loads the pg driver.
    return withHooks(await (await import("./server-database.ts")).openServer(config, url));
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

/** A SERIALIZABLE transaction through Drizzle's own BEGIN/COMMIT (right for PGlite's single connection). */
export function drizzleTransaction<T>(db: Db, fn: (tx: Db) => Promise<T>, mode: TransactionMode): Promise<T> {
  return db.transaction((tx) => fn(tx as unknown as Db), {
    isolationLevel: "serializable",
    accessMode: mode.readOnly ? "read only" : "read write",
  });
}

export function redact(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@]*@/, "//$1:***@");
}
