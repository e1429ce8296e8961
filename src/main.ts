// `npm start`: configure, connect, migrate, (embedded only) fill demo data, serve, and shut
// down gracefully: stop accepting, finish requests in flight, close the pool.
import type { Logger } from "pino";
import { loadConfig, type AppConfig } from "./config.ts";
import { openDatabase, type Database } from "./db/database.ts";
import { migrate } from "./db/migrate.ts";
import { createLogger } from "./logging/logger.ts";
import { serveClusterMetrics } from "./metrics/metrics.cluster.ts";
import { createMetrics } from "./metrics/metrics.registry.ts";
import { isClusterWorker, reportWorkerReady, runPrimary } from "./web/cluster.ts";
import { asListenFailure } from "./shared/listen-failure.ts";

/**
 * What only a serving process needs (Fastify, the routes, the pages, the services), imported
 * after the primary of a cluster has gone its way: the primary only migrates and supervises, and
 * stays ~15 MB smaller without them (88 -> 74 MB RSS).
 */
async function servingModules() {
  const [appContext, demoLogin, sqlServer, app, shutdown, demoData] = await Promise.all([
    import("./app-context.ts"),
    import("./auth/demo-login.ts"),
    import("./db/embedded-sql-server.ts"),
    import("./web/app.ts"),
    import("./web/shutdown.ts"),
    import("./workload/demo-data.ts"),
  ]);
  return {
    createContext: appContext.createContext,
    DEMO_LOGIN: demoLogin.DEMO_LOGIN,
    ensureDemoLogin: demoLogin.ensureDemoLogin,
    startEmbeddedSqlPort: sqlServer.startEmbeddedSqlPort,
    buildApp: app.buildApp,
    shutdownGracefully: shutdown.shutdownGracefully,
    ensureDemoData: demoData.ensureDemoData,
  };
}

async function migrateOnce(database: Database, log: Logger): Promise<void> {
  const migrations = await migrate(database);
  if (migrations.applied.length > 0)
    log.info({ migrations: migrations.applied }, `Applied migrations: ${migrations.applied.join(", ")}.`);
}

async function main(): Promise<void> {
  const config = loadConfig();
  logFormat = config.logFormat;
  log = await createLogger(config);
  if (config.webConcurrencyIgnored)
    log.warn("WEB_CONCURRENCY is ignored on the embedded database: one process owns its files.");
  const worker = isClusterWorker();
  if (config.webConcurrency > 1 && !worker) {
    // The primary: migrations once, before any worker starts; then the workers serve.
    const database = await openDatabase(config.database);
    try {
      await migrateOnce(database, log);
    } finally {
      await database.close();
    }
    serveClusterMetrics();
    process.exit(await runPrimary(config.webConcurrency, log));
  }
  const metrics = createMetrics({ processMetrics: true, region: config.region, clusterWorker: worker });
  // The database opens while the serving modules load: the two overlap where one waits (PGlite's
  // WebAssembly compiles on V8's background threads, files and connections are waited for).
  const [
    {
      createContext,
      DEMO_LOGIN,
      ensureDemoLogin,
      startEmbeddedSqlPort,
      buildApp,
      shutdownGracefully,
      ensureDemoData,
    },
    database,
  ] = await Promise.all([
    servingModules(),
    openDatabase(config.database, { txObserver: metrics.txObserver }),
  ]);
  if (!worker) await migrateOnce(database, log);
  // Embedded: the same database on a loopback PostgreSQL port, for psql and `movr` commands.
  const sqlPort = await startEmbeddedSqlPort(database, config.embeddedSql);
  const ctx = createContext(config, database);
  const embedded = database.kind === "embedded";
  const demo = async (logger: Logger) => {
    if (config.demoData) {
      const loaded = await ensureDemoData(ctx);
      if (loaded)
        logger.info({ rows: loaded.rows }, `Filled the database with demo data (${loaded.rows} rows).`);
    }
    // Default credentials only ever exist on a local embedded database.
    if (embedded) await ensureDemoLogin(ctx);
  };
  // The demo data and login are made while the app is built (building sends the database
  // nothing), so the demo login's password hash, on a thread of its own (src/auth/password.ts),
  // runs beside it. Both finish before either failure ends the start: a fill is never cut short.
  const [built, demoMade] = await Promise.allSettled([
    buildApp({ config, ctx, loggerInstance: log, metrics }),
    demo(log),
  ]);
  if (built.status === "rejected") throw built.reason;
  if (demoMade.status === "rejected") throw demoMade.reason;
  const app = built.value;
  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal, graceMs: config.shutdownGraceMs }, "shutting down");
    // The SQL port's clients go first: what they left open is rolled back before the database closes.
    const databaseAndPort = {
      close: async () => {
        await sqlPort?.stop();
        await database.close();
      },
    };
    await shutdownGracefully({ app, database: databaseAndPort, graceMs: config.shutdownGraceMs });
    process.exit(0);
  };
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));

  const address = await app.listen({ host: config.host, port: config.port }).catch((err: unknown) => {
    const target = { what: "The HTTP server", host: config.host, port: config.port };
    throw asListenFailure(err, { ...target, hostVariable: "HOST", portVariable: "PORT" });
  });
  const url = address.replace("127.0.0.1", "localhost");
  if (embedded) log.info(`Demo login: username "${DEMO_LOGIN.username}", password "${DEMO_LOGIN.password}".`);
  if (sqlPort)
    log.info({ sqlUrl: sqlPort.url }, `SQL clients (psql, movr sql, movr run) can use it at ${sqlPort.url}.`);
  if (config.sessionSecretGenerated)
    log.warn("SESSION_SECRET is not set: sessions and forms last until restart only.");
  // Last, and readable as it stands: the line people (and tests) wait for; the primary says it
  // once for all its workers.
  if (worker) reportWorkerReady(url, database.description);
  else
    log.info({ url, database: database.description }, `MovR is serving ${url} on ${database.description}.`);
}

// Until the configuration is read, failures are logged as JSON lines at "info".
let log: Logger | undefined;
let logFormat: AppConfig["logFormat"] = "auto";

main().catch(async (err: unknown) => {
  // One readable message; the stack helps nobody who mistyped a URL. Written whatever LOG_LEVEL
  // says: with "silent" a server that could not start exited 1 without a word.
  if (!log?.isLevelEnabled("fatal")) log = await createLogger({ logLevel: "fatal", logFormat });
  log.fatal(`movr: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
