// `movr demo`: like `cockroach demo`, an in-memory database preloaded with movr data, a SQL
// shell on it, and the same database served to other PostgreSQL clients on a local port.
import { listenFailure } from "../shared/listen-failure.ts";
import type { DatabaseConfig } from "../config.ts";
import { openDatabase, type Database } from "../db/database.ts";
import type { SqlServer } from "../db/embedded-sql-server.ts";
import { migrate } from "../db/migrate.ts";
import { loadData } from "../workload/load.service.ts";
import { CliError } from "./errors.ts";
import { fmtInt, writeLine } from "./io.ts";
import { checkSizes } from "./load.command.ts";
import { LOAD_DEFAULTS, startOfUtcDay } from "./options.ts";
import { openPgShell } from "./shell/connection.ts";
import { runShell, type ShellIo, type ShellSummary } from "./shell/shell.ts";

export interface DemoOptions {
  cities: string[];
  allCities: readonly string[];
  seed: number;
  now?: Date;
  host: string;
  /** 0 picks a free port. */
  port: number;
  sizes?: Partial<Record<keyof typeof LOAD_DEFAULTS, number>>;
}

export interface DemoServer {
  url: string;
  rows: number;
  database: Database;
  stop(): Promise<void>;
}

/** The in-memory database, loaded, and served on host:port. */
export async function startDemo(base: DatabaseConfig, o: DemoOptions): Promise<DemoServer> {
  const sizes = { ...LOAD_DEFAULTS, ...o.sizes };
  checkSizes({ cities: o.cities, ...sizes });
  const database = await openDatabase({ ...base, url: "memory://" });
  let server: SqlServer | undefined;
  try {
    await migrate(database);
    const loaded = await loadData(
      { database, cities: o.allCities, clock: () => new Date() },
      { cities: o.cities, ...sizes, seed: o.seed, now: o.now ?? startOfUtcDay() },
    );
    // PGlite is one session: clients take turns, a whole transaction at a time.
    try {
      server = await database.serveSql!({ host: o.host, port: o.port });
    } catch (err) {
      const target = { what: "The demo database", host: o.host, port: o.port };
      throw new CliError(
        listenFailure(err, { ...target, hostVariable: "--host", portVariable: "--port" }).message,
      );
    }
    const url = server.url;
    const running = server;
    return {
      url,
      rows: loaded.rows,
      database,
      async stop() {
        await running.stop();
        await database.close();
      },
    };
  } catch (err) {
    await server?.stop().catch(() => undefined);
    await database.close().catch(() => undefined);
    throw err;
  }
}

export async function runDemo(base: DatabaseConfig, o: DemoOptions, io: ShellIo): Promise<ShellSummary> {
  const demo = await startDemo(base, o);
  try {
    const banner = [
      "#",
      "# Welcome to the MovR demo: an in-memory PGlite database preloaded with movr data",
      `# (${fmtInt(demo.rows)} rows over ${o.cities.length} ${o.cities.length === 1 ? "city" : "cities"}, seed ${o.seed}). Nothing is saved.`,
      "#",
      "# Other PostgreSQL clients can use it while this shell is open:",
      `#   ${demo.url}`,
      `#   psql "${demo.url}"`,
      "#",
      "# SHOW TABLES; SHOW CREATE TABLE users; \\? for help, \\q to quit.",
      "#",
    ];
    for (const line of banner) writeLine(io.stdout, line);
    const conn = await openPgShell(demo.url, "movr demo (in-memory PGlite)");
    try {
      return await runShell(conn, io);
    } finally {
      await conn.close();
    }
  } finally {
    await demo.stop();
  }
}
