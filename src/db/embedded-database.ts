// The embedded engine behind openDatabase: PGlite in this process, one owner per data
// directory (embedded-lock.ts), one session shared through a gate (session-gate.ts). Only
// imported when the database is embedded, so a server process never loads PGlite.
import { mkdirSync } from "node:fs";
import { PGlite, type QueryOptions, type Transaction } from "@electric-sql/pglite";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import type { DatabaseConfig } from "../config.ts";
import { DatabaseUnavailableError } from "../shared/errors.ts";
import { isFileError } from "../shared/file-errors.ts";
import { READY_CHECK, type Database, type Db, type SqlSession } from "./database.ts";
import { PGLITE_CLIENT } from "./driver-rows.ts";
import { pgliteOptions, seedDataDir, templateArchive } from "./embedded-engine.ts";
import { acquireEmbeddedLock, unusableDirectory, type EmbeddedLock } from "./embedded-lock.ts";
import { serveSql } from "./embedded-sql-server.ts";
import { SessionGate } from "./session-gate.ts";

export async function openEmbedded(config: DatabaseConfig, inMemory: boolean): Promise<Database> {
  // One owner per data directory: throws EmbeddedLockHeldError naming the owner.
  const lock: EmbeddedLock | undefined = inMemory ? undefined : acquireEmbeddedLock(config.dataDir);
  let client: PGlite;
  try {
    // A fresh database is a copy of the build's template, not an initdb (embedded-engine.ts).
    let where: { dataDir: string } | { loadDataDir: Blob } | object;
    if (inMemory) {
      const archive = templateArchive();
      where = archive ? { loadDataDir: archive } : {};
    } else {
      mkdirSync(config.dataDir, { recursive: true });
      await seedDataDir(config.dataDir);
      where = { dataDir: config.dataDir };
    }
    client = await PGlite.create({ ...pgliteOptions(), ...where });
  } catch (err) {
    lock?.release();
    // Copying the template into the directory: a full disk, a file in the way.
    if (!inMemory && isFileError(err)) throw unusableDirectory(config.dataDir, err);
    const where = inMemory ? "in memory" : `in ${config.dataDir}`;
    throw new DatabaseUnavailableError(
      `Cannot open the embedded database ${where}: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
  // One statement on its own is then a SERIALIZABLE transaction, as on a server
  // (SERIALIZABLE_BY_DEFAULT in database.ts).
  await client.exec(`SET default_transaction_isolation TO 'serializable'`);
  // PGlite is one session. Its own mutexes keep our queries out of our transactions, but not
  // the SQL port's clients: every user, here and on the port, takes this gate first.
  const gate = new SessionGate();
  const gated = {
    [PGLITE_CLIENT]: true,
    query: (sql: string, params?: unknown[], options?: QueryOptions) =>
      gate.run(() => client.query(sql, params, options)),
    transaction: <T>(fn: Parameters<PGlite["transaction"]>[0]) =>
      gate.run(() => client.transaction(fn) as Promise<T>),
  };
  const db = drizzlePglite({ client: gated as unknown as PGlite }) as unknown as Db;
  const session = pgliteSession(client);
  // One Drizzle instance for every transaction (statements prepared on it are kept, see
  // prepared.ts): it sends to the transaction under way, and the gate lets one run at a time.
  let current: Transaction | undefined;
  const inTransaction = {
    [PGLITE_CLIENT]: true,
    query: (sql: string, params?: unknown[], options?: QueryOptions) => {
      if (!current) throw new Error("A transaction statement ran outside its transaction");
      return current.query(sql, params, options);
    },
  };
  const txDb = drizzlePglite({ client: inTransaction as unknown as PGlite }) as unknown as Db;
  return {
    db,
    // PGlite's own BEGIN/COMMIT/ROLLBACK. The session's default is SERIALIZABLE (above); with one
    // session every transaction is serial anyway, so only READ ONLY needs saying.
    transaction: (fn, mode) =>
      gate.run(() =>
        client.transaction(async (tx) => {
          current = tx;
          try {
            if (mode.readOnly) await tx.query("SET TRANSACTION READ ONLY");
            return await fn(txDb);
          } finally {
            current = undefined;
          }
        }),
      ),
    kind: "embedded",
    dialect: "postgres",
    description: inMemory ? "embedded PGlite (in memory)" : `embedded PGlite (${config.dataDir})`,
    maxTxAttempts: config.maxTxAttempts,
    stats: { committed: 0, retries: 0, exhausted: 0 },
    exec: (sql) => gate.run(() => session.exec(sql)),
    query: <T>(sql: string, params?: unknown[]) => gate.run(() => session.query<T>(sql, params)),
    // The whole of `fn` is one turn: its statements go straight to PGlite, the gate held.
    withSession: (fn) => gate.run(() => fn(session)),
    ping: async () => {
      await gate.run(() => client.query(READY_CHECK));
    },
    close: async () => {
      try {
        await gate.run(() => client.close());
      } finally {
        lock?.release();
      }
    },
    pglite: client,
    serveSql: async (options) => {
      const server = await serveSql(client, gate, options);
      lock?.advertise(server.port);
      return {
        ...server,
        stop: async () => {
          lock?.advertise(null);
          await server.stop();
        },
      };
    },
  };
}

function pgliteSession(client: PGlite): SqlSession {
  return {
    exec: async (sql) => {
      await client.exec(sql);
    },
    query: async <T>(sql: string, params: unknown[] = []) => {
      const r = await client.query<T>(sql, params);
      return { rows: r.rows, fields: r.fields.map((f) => f.name) };
    },
  };
}
