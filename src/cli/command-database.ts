// Where a command's database is when no URL is given: the embedded database's files, or, while
// `npm start` owns them (docs/embedded-database.md), the SQL port it serves them on.
import type { Writable } from "node:stream";
import type { DatabaseConfig } from "../config.ts";
import { openDatabase, type Database } from "../db/database.ts";
import { EmbeddedLockHeldError } from "../db/embedded-lock.ts";
import { findConnectionLimit } from "../db/connection-limit.repository.ts";
import { CliError } from "./errors.ts";
import { writeLine } from "./io.ts";

/**
 * When opening the embedded database failed because a live process owns it and serves it on a
 * loopback SQL port (`npm start`), the configuration that uses that port instead (one
 * connection: the session is shared), after a line on `stderr` saying so. Undefined otherwise.
 */
export function ownerPortConfig(
  config: DatabaseConfig,
  err: unknown,
  stderr: Writable,
): DatabaseConfig | undefined {
  if (!(err instanceof EmbeddedLockHeldError) || err.sqlUrl === undefined) return undefined;
  const h = err.holder;
  writeLine(
    stderr,
    `movr: the embedded database in ${err.dataDir} is open in process ${h.pid} (${h.command}); using it through ${err.sqlUrl}`,
  );
  return { ...config, url: err.sqlUrl, pool: { ...config.pool, max: 1 } };
}

/**
 * Opens the database a command uses (see databaseConfig in options.ts). Without a URL that is
 * the embedded database's files, or, while `npm start` owns them, its SQL port (ownerPortConfig).
 *
 * @throws EmbeddedLockHeldError when another process owns the files and serves no port.
 */
export async function openCommandDatabase(config: DatabaseConfig, stderr: Writable): Promise<Database> {
  try {
    return await openDatabase(config);
  } catch (err) {
    const viaOwner = ownerPortConfig(config, err, stderr);
    if (!viaOwner) throw err;
    return openDatabase(viaOwner);
  }
}

/**
 * How many connections `database` gives a command at once: the pool's size on a server (sized to
 * --concurrency), one on the embedded database (one session) and through its owner's SQL port
 * (one connection: the session is shared).
 */
export function connectionsOf(database: Database): number {
  return database.pool?.options.max ?? 1;
}

/**
 * The sentence saying that --concurrency `asked` cannot all run at once on `database` (`doing`:
 * what happens instead, e.g. "the 8 workers take turns on it"), so the concurrency a user reads
 * in the summary is not silently another; undefined when the connections suffice.
 */
export function sharedConnectionsLine(
  database: Database,
  asked: number,
  doing: (connections: number) => string,
): string | undefined {
  const connections = connectionsOf(database);
  if (asked <= connections) return undefined;
  return `--concurrency ${asked}: ${database.description} gives this command ${connections === 1 ? "one connection" : `${connections} connections`}, so ${doing(connections)}.`;
}

/**
 * Refuses, before anything runs, a --concurrency the PostgreSQL server would not let this user
 * open at once (the pool is sized to it): the connections past the limit would fail with 53300
 * and be counted as outages. CockroachDB and the embedded database have no such limit here.
 *
 * @throws CliError naming the limit and what to do.
 */
export async function checkConnectionLimit(database: Database, asked: number): Promise<void> {
  if (asked <= 1 || database.dialect !== "postgres" || connectionsOf(database) < asked) return;
  const limit = await findConnectionLimit(database);
  if (asked <= limit.connections) return;
  throw new CliError(
    `--concurrency ${asked} needs ${asked} connections at once; ${database.description} lets this user open at most ${limit.connections} (${limit.why}). Lower --concurrency, or raise the server's limit.`,
  );
}
