// `movr sql`: the demo's SQL shell on any database: a server URL, or the embedded database.
import { Readable, type Writable } from "node:stream";
import type { DatabaseConfig } from "../config.ts";
import { openDatabase, type Database } from "../db/database.ts";
import { ownerPortConfig } from "./command-database.ts";
import { openPgliteShell, openPgShell, type ShellConnection } from "./shell/connection.ts";
import { runShell, type ShellIo, type ShellSummary } from "./shell/shell.ts";

/**
 * The shell's one session: a server URL, or the embedded database's files, or, while `npm start`
 * owns those, its SQL port (a line on `stderr` says so).
 */
export async function openShellConnection(
  config: DatabaseConfig,
  stderr: Writable = process.stderr,
): Promise<{ conn: ShellConnection; close(): Promise<void> }> {
  const url = config.url;
  if (url !== undefined && !url.startsWith("memory:")) {
    // openDatabase first: it reports an unreachable server or a bad URL in one sentence.
    const probe = await openDatabase({ ...config, pool: { ...config.pool, max: 1 } });
    await probe.close();
    const conn = await openPgShell(url, probe.description);
    return { conn, close: () => conn.close() };
  }
  let database: Database;
  try {
    database = await openDatabase(config);
  } catch (err) {
    const viaOwner = ownerPortConfig(config, err, stderr);
    if (!viaOwner?.url) throw err;
    return openShellConnection(viaOwner, stderr);
  }
  const conn = await openPgliteShell(database.pglite!, database.description);
  return {
    conn,
    close: async () => {
      await conn.close();
      await database.close();
    },
  };
}

export async function runSql(
  config: DatabaseConfig,
  io: ShellIo,
  execute: string[] = [],
): Promise<ShellSummary> {
  const { conn, close } = await openShellConnection(config, io.stderr);
  try {
    const stdin =
      execute.length > 0
        ? Readable.from([`${execute.map((s) => s.trim().replace(/;?$/, ";")).join("\n")}\n`])
        : io.stdin;
    return await runShell(conn, { ...io, stdin });
  } finally {
    await close();
  }
}
