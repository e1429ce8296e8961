// `npm start`: configure, connect, migrate, (embedded only) fill demo data, serve, and shut
// down gracefully: stop accepting, finish requests in flight, close the pool.
import { createContext } from "./app-context.ts";
import { DEMO_LOGIN, ensureDemoLogin } from "./auth/demo-login.ts";
import { loadConfig } from "./config.ts";
import { openDatabase } from "./db/database.ts";
import { migrate } from "./db/migrate.ts";
import { buildApp } from "./web/app.ts";
import { ensureDemoData } from "./workload/demo-data.ts";

async function main(): Promise<void> {
  const config = loadConfig();
  const database = await openDatabase(config.database);
  const migrations = await migrate(database);
  const ctx = createContext(config, database);
  const embedded = database.kind === "embedded";
  if (config.demoData) {
    const loaded = await ensureDemoData(ctx);
    if (loaded) console.log(`Filled the database with demo data (${loaded.rows} rows).`);
  }
  // Default credentials only ever exist on a local embedded database.
  if (embedded) await ensureDemoLogin(ctx);

  const app = await buildApp({ config, ctx });
  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, "shutting down");
    await app.close();
    await database.close();
    process.exit(0);
  };
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));

  const address = await app.listen({ host: config.host, port: config.port });
  const url = address.replace("127.0.0.1", "localhost");
  console.log(`MovR is serving ${url} on ${database.description}.`);
  if (migrations.applied.length > 0) console.log(`Applied migrations: ${migrations.applied.join(", ")}.`);
  if (embedded)
    console.log(`Demo login: username "${DEMO_LOGIN.username}", password "${DEMO_LOGIN.password}".`);
  if (config.sessionSecretGenerated)
    console.log("SESSION_SECRET is not set: sessions and forms last until restart only.");
}

main().catch((err: unknown) => {
  // One readable line; the stack helps nobody who mistyped a URL.
  console.error(`movr: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
