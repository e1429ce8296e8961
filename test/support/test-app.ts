// One app on a fresh, migrated PGlite database for a test file: built before its tests, closed
// after them. Rate limits out of the way unless the file's env sets them.
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll } from "vitest";
import { loadConfig } from "../../src/config.ts";
import type { Database } from "../../src/db/database.ts";
import { buildApp } from "../../src/web/app.ts";
import { openMigrated, testContext, TARGETS } from "./databases.ts";

export interface TestApp {
  readonly app: FastifyInstance;
  readonly database: Database;
}

/**
 * Registers the beforeAll/afterAll of an app on PGlite (`env`: extra environment variables for
 * loadConfig); the returned object's `app` and `database` are set once beforeAll has run.
 * `listen`: also listens on a loopback port (for raw-socket tests).
 */
export function useTestApp(env: Record<string, string> = {}, options: { listen?: boolean } = {}): TestApp {
  let app: FastifyInstance | undefined;
  let database: Database | undefined;
  beforeAll(async () => {
    database = await openMigrated(TARGETS[0]!);
    app = await buildApp({
      config: loadConfig({ SESSION_SECRET: "t".repeat(40), LOGIN_RATE_LIMIT_PER_MINUTE: "10000", ...env }),
      ctx: testContext(database),
      logger: false,
    });
    if (options.listen) await app.listen({ host: "127.0.0.1", port: 0 });
  });
  afterAll(async () => {
    await app?.close();
    await database?.close();
  });
  return {
    get app() {
      if (!app) throw new Error("useTestApp: the app is built in beforeAll");
      return app;
    },
    get database() {
      if (!database) throw new Error("useTestApp: the database is opened in beforeAll");
      return database;
    },
  };
}
