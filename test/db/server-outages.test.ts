// Real outages on a real server: a smart shutdown (57P03 for every new connection), a stopped
// server (connection refused), a dropped database (3D000), a pool with no free connection in
// time, and a statement past statement_timeout. Each answers 503 unavailable with Retry-After,
// and the application recovers once the server is back. Server-only by nature.
import { randomUUID } from "node:crypto";
import { sql } from "drizzle-orm";
import type { FastifyInstance, LightMyRequestResponse } from "fastify";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { databaseConfigFor, loadConfig, type PoolConfig } from "../../src/config.ts";
import { openDatabase, type Database } from "../../src/db/database.ts";
import { migrate } from "../../src/db/migrate.ts";
import { runTransaction } from "../../src/db/transaction.ts";
import { DatabaseUnavailableError } from "../../src/shared/errors.ts";
import { buildApp } from "../../src/web/app.ts";
import { createServerDatabase, dropServerDatabases, SERVER_URL, testContext } from "../support/databases.ts";
import { createPrivateCluster, eventually, type PrivateCluster } from "../support/private-cluster.ts";

const config = loadConfig({ SESSION_SECRET: "s".repeat(40) });
const VEHICLES = "/api/v1/cities/boston/vehicles";

async function openWith(url: string, pool: Partial<PoolConfig> & { statementTimeoutMs?: number }) {
  const base = databaseConfigFor(url, {});
  const { statementTimeoutMs, ...poolOverrides } = pool;
  return openDatabase({
    ...base,
    pool: { ...base.pool, ...poolOverrides },
    statementTimeoutMs: statementTimeoutMs ?? 0,
  });
}

/**
 * Migrates the database at `url` on a handle of its own, without the short limits a test then
 * opens it with: on a busy machine a migration's statements or its first connection can take
 * longer than 300 ms, and the test would fail before the outage it is about.
 */
async function migrated(url: string): Promise<void> {
  const database = await openWith(url, {});
  try {
    await migrate(database);
  } finally {
    await database.close();
  }
}

/** `attempt` until it succeeds: up to 20 times, for a step that a busy machine may make time out. */
async function retried<T>(attempt: () => Promise<T>): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await attempt();
    } catch (err) {
      if (n >= 20) throw err;
    }
  }
}

function expect503(res: LightMyRequestResponse, message: RegExp) {
  expect(res.statusCode, res.body).toBe(503);
  expect(Number(res.headers["retry-after"])).toBeGreaterThan(0);
  expect(res.json()).toEqual({ error: { code: "unavailable", message: expect.stringMatching(message) } });
}

if (SERVER_URL) {
  describe("a server of our own: smart shutdown, stopped, started again", () => {
    let cluster: PrivateCluster;
    let database: Database;
    let app: FastifyInstance;

    beforeAll(async () => {
      cluster = await createPrivateCluster();
      // Idle connections close at once, so each request needs a new one (smart shutdown lets old ones be).
      database = await openWith(cluster.url, { idleTimeoutMs: 1, acquireTimeoutMs: 10_000 });
      await migrate(database);
      app = await buildApp({ config, ctx: testContext(database), logger: false });
    }, 120_000);
    afterAll(async () => {
      await app?.close();
      await database?.close().catch(() => undefined);
      await cluster?.drop();
    });

    it("57P03 during a smart shutdown, then refused connections: 503 on the API and the pages; back to 200 after start", async () => {
      expect((await app.inject({ method: "GET", url: VEHICLES })).statusCode).toBe(200);
      // A session that stays: a smart shutdown waits for it, refusing every new connection meanwhile.
      const holder = new pg.Client({ connectionString: cluster.url });
      holder.on("error", () => undefined);
      await holder.connect();
      await eventually(async () => database.pool!.totalCount === 0, "the pool to drop its idle connection");
      const stopped = cluster.stop("smart");
      await eventually(async () => {
        const probe = new pg.Client({ connectionString: cluster.url });
        probe.on("error", () => undefined);
        const state = await probe.connect().then(
          () => "connected",
          (err: { code?: string }) => err.code,
        );
        await probe.end().catch(() => undefined);
        return state === "57P03";
      }, "the smart shutdown to refuse new connections");

      expect503(await app.inject({ method: "GET", url: VEHICLES }), /restarting or shutting down/);
      const form = await app.inject({ method: "GET", url: "/login" });
      const csrf = /name="_csrf" value="([^"]*)"/.exec(form.body)?.[1] ?? "";
      const page = await app.inject({
        method: "POST",
        url: "/login",
        headers: {
          accept: "text/html",
          "content-type": "application/x-www-form-urlencoded",
          cookie: form.cookies.map((c) => `${c.name}=${c.value}`).join("; "),
        },
        payload: new URLSearchParams({
          _csrf: csrf,
          username: "nobody",
          password: "correct horse",
        }).toString(),
      });
      expect(page.statusCode, page.body.slice(0, 300)).toBe(503);
      expect(page.headers["content-type"]).toMatch(/text\/html/);
      expect(Number(page.headers["retry-after"])).toBeGreaterThan(0);
      expect(page.body).toMatch(/restarting or shutting down/);
      expect((await app.inject({ method: "GET", url: "/readyz" })).statusCode).toBe(503);

      await holder.end();
      await stopped;
      expect503(await app.inject({ method: "GET", url: VEHICLES }), /cannot be reached/);
      const login = await app.inject({
        method: "POST",
        url: "/api/v1/auth/login",
        payload: { username: "nobody", password: "correct horse" },
      });
      expect503(login, /cannot be reached/);

      await cluster.start();
      await eventually(
        async () => (await app.inject({ method: "GET", url: VEHICLES })).statusCode === 200,
        "the application to recover",
      );
    }, 180_000);
  });

  describe("on the shared server, in databases of the test's own", () => {
    afterAll(dropServerDatabases);

    it("a dropped database: 503, not 500", async () => {
      const url = await createServerDatabase();
      const database = await openWith(url, { idleTimeoutMs: 1 });
      await migrate(database);
      const app = await buildApp({ config, ctx: testContext(database), logger: false });
      try {
        expect((await app.inject({ method: "GET", url: VEHICLES })).statusCode).toBe(200);
        const admin = new pg.Client({ connectionString: SERVER_URL });
        await admin.connect();
        await admin.query(`DROP DATABASE ${new URL(url).pathname.slice(1)} WITH (FORCE)`);
        await admin.end();
        for (let i = 0; i < 3; i++) {
          expect503(
            await app.inject({ method: "GET", url: VEHICLES }),
            /not available|cannot be reached|restarting/,
          );
        }
        await eventually(async () => database.pool!.totalCount === 0, "the pool to drop its connections");
        expect503(await app.inject({ method: "GET", url: VEHICLES }), /not available right now/);
      } finally {
        await app.close();
        await database.close().catch(() => undefined);
      }
    }, 120_000);

    it("a database that refuses new sessions (FATAL 55000, ALLOW_CONNECTIONS false): 503, not 500; back after", async () => {
      // Any FATAL error ends the session: connections refused for a reason outside class 08/57P
      // (55000 here; 28000/28P01 when a role may no longer log in) are outages too.
      const url = await createServerDatabase();
      const name = new URL(url).pathname.slice(1);
      const database = await openWith(url, { idleTimeoutMs: 1 });
      await migrate(database);
      const app = await buildApp({ config, ctx: testContext(database), logger: false });
      const admin = new pg.Client({ connectionString: SERVER_URL });
      await admin.connect();
      try {
        expect((await app.inject({ method: "GET", url: VEHICLES })).statusCode).toBe(200);
        await admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS false`);
        await admin.query(
          "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
          [name],
        );
        await eventually(async () => database.pool!.totalCount === 0, "the pool to drop its connections");
        expect503(await app.inject({ method: "GET", url: VEHICLES }), /cannot be reached/);
        expect503(
          await app.inject({
            method: "POST",
            url: "/api/v1/auth/login",
            payload: { username: "nobody", password: "correct horse" },
          }),
          /cannot be reached/,
        );
        const err = await runTransaction(database, (tx) => tx.execute(sql`SELECT 1`)).catch(
          (e: unknown) => e,
        );
        expect(err).toBeInstanceOf(DatabaseUnavailableError);
        expect((err as DatabaseUnavailableError).kind).toBe("connection");
        await admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`);
        expect((await app.inject({ method: "GET", url: VEHICLES })).statusCode).toBe(200);
      } finally {
        await admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`).catch(() => undefined);
        await admin.end();
        await app.close();
        await database.close().catch(() => undefined);
      }
    }, 120_000);

    it("no pooled connection free within DB_POOL_ACQUIRE_TIMEOUT_MS: 503 for every waiting request", async () => {
      const url = await createServerDatabase();
      await migrated(url);
      // 300 ms bounds new connections too (pg-pool's connectionTimeoutMillis), and a busy machine
      // may take longer to start one: the open and the two held connections try again until they
      // have it; what the test is about is the wait for a full pool's connection, below.
      const database = await retried(() => openWith(url, { max: 2, acquireTimeoutMs: 300 }));
      const app = await buildApp({ config, ctx: testContext(database), logger: false });
      const held = [
        await retried(() => database.pool!.connect()),
        await retried(() => database.pool!.connect()),
      ];
      try {
        const answers = await Promise.all(
          Array.from({ length: 5 }, () => app.inject({ method: "GET", url: VEHICLES })),
        );
        for (const res of answers) expect503(res, /no connection was free/);
      } finally {
        for (const c of held) c.release();
      }
      expect((await app.inject({ method: "GET", url: VEHICLES })).statusCode).toBe(200);
      await app.close();
      await database.close();
    }, 120_000);

    it("a statement past DB_STATEMENT_TIMEOUT_MS (57014) and a lock wait behind a held row: unavailable, kind timeout", async () => {
      const url = await createServerDatabase();
      await migrated(url);
      const database = await openWith(url, { statementTimeoutMs: 300 });
      try {
        const err = await runTransaction(database, (tx) => tx.execute(sql`SELECT pg_sleep(30)`)).catch(
          (e: unknown) => e,
        );
        expect(err).toBeInstanceOf(DatabaseUnavailableError);
        expect((err as DatabaseUnavailableError).kind).toBe("timeout");

        // The case: a row locked by another session; the request waits, then gives up.
        const id = randomUUID();
        const locker = new pg.Client({ connectionString: url });
        await locker.connect();
        await locker.query("INSERT INTO users (id, city, name) VALUES ($1, 'boston', 'Lock')", [id]);
        await locker.query("BEGIN");
        await locker.query("SELECT * FROM users WHERE id = $1 FOR UPDATE", [id]);
        const blocked = await runTransaction(database, (tx) =>
          tx.execute(sql`UPDATE users SET name = 'x' WHERE id = ${id}`),
        ).catch((e: unknown) => e);
        await locker.query("ROLLBACK");
        await locker.end();
        expect((blocked as DatabaseUnavailableError).kind).toBe("timeout");
      } finally {
        await database.close();
      }
    }, 120_000);

    it("a pooled connection checked out (movr load's COPY) whose session the server ends between statements: the next statement fails, the process lives", async () => {
      // movr load --concurrency 4 died of "Unhandled 'error' event" (57P01 on a checked-out
      // client with no listener) when its backends were terminated mid-load.
      const url = await createServerDatabase();
      const database = await openWith(url, {});
      const client = await database.pool!.connect();
      const admin = new pg.Client({ connectionString: url });
      await admin.connect();
      try {
        const pid = (await client.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows[0]!.pid;
        await admin.query("SELECT pg_terminate_backend($1)", [pid]);
        await eventually(async () => {
          const r = await admin.query("SELECT 1 FROM pg_stat_activity WHERE pid = $1", [pid]);
          return r.rowCount === 0;
        }, "the backend to end");
        const err = await client.query("SELECT 1").catch((e: unknown) => e);
        expect(err).toBeInstanceOf(Error);
        client.release(err as Error);
      } finally {
        await admin.end();
        await database.close();
      }
    }, 60_000);
  });
}
