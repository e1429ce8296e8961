// Security properties of the JSON API: revoked tokens, CSRF on cookie sessions, and 5xx
// responses that say nothing about their cause.
import { drizzle } from "drizzle-orm/node-postgres";
import type { FastifyInstance, LightMyRequestResponse } from "fastify";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { csrfTokenFor, type AuthContext } from "../../src/auth/auth.service.ts";
import { loadConfig } from "../../src/config.ts";
import { drizzleTransaction, type Database, type Db } from "../../src/db/database.ts";
import { RetriesExhaustedError } from "../../src/shared/errors.ts";
import { getUser } from "../../src/users/user.service.ts";
import { listOwnerVehicles } from "../../src/vehicles/vehicle.service.ts";
import { buildApp } from "../../src/web/app.ts";
import { toHttpError } from "../../src/web/errors.ts";
import { apiAccount } from "../support/api-account.ts";
import { dropServerDatabases, openMigrated, testContext, TARGETS } from "../support/databases.ts";

const SECRET = "s".repeat(40);
const API = "/api/v1";
const config = loadConfig({ SESSION_SECRET: SECRET, LOGIN_RATE_LIMIT_PER_MINUTE: "10000" });

afterAll(dropServerDatabases);

/** What a 5xx body must never contain: SQL, stack frames, file paths, driver or engine names. */
const LEAKS =
  /SELECT|INSERT|UPDATE|DELETE FROM|relation|syntax|\bat .*\(|node_modules|\.ts:\d|pglite|Pool|ECONN|pg_|serializ|stack/i;

function expectSafe5xx(res: LightMyRequestResponse, statuses: number[]) {
  expect(statuses, res.body).toContain(res.statusCode);
  const body = res.json() as { error: Record<string, unknown> };
  expect(Object.keys(body)).toEqual(["error"]);
  expect(Object.keys(body.error).sort()).toEqual(["code", "message"]);
  expect(body.error.message).toEqual(expect.any(String));
  expect(res.body).not.toMatch(LEAKS);
  return body.error;
}

describe.each(TARGETS)("sessions and CSRF on $name", (target) => {
  let database: Database;
  let ctx: AuthContext;
  let app: FastifyInstance;

  beforeAll(async () => {
    database = await openMigrated(target);
    ctx = testContext(database);
    app = await buildApp({ config, ctx, logger: false });
  });
  afterAll(async () => {
    await app?.close();
    await database?.close();
  });

  const newSession = () => apiAccount(app, { prefix: "s", name: "Sec Urity", password: "long enough" });

  const vehicle = { type: "bike", location: "1 Main St", color: "red" };

  it("logout revokes the token everywhere: reads and writes fail with 401", async () => {
    const s = await newSession();
    const bearer = { authorization: `Bearer ${s.token}` };
    expect((await app.inject({ method: "GET", url: `${API}/me`, headers: bearer })).statusCode).toBe(200);
    const out = await app.inject({ method: "POST", url: `${API}/auth/logout`, headers: bearer });
    expect(out.statusCode).toBe(204);
    for (const req of [
      { method: "GET" as const, url: `${API}/me` },
      { method: "POST" as const, url: `${API}/vehicles`, payload: vehicle },
      { method: "GET" as const, url: `${API}/cities/boston/vehicles` },
    ]) {
      const res = await app.inject({ ...req, headers: bearer });
      expect(res.statusCode, `${req.method} ${req.url}`).toBe(401);
      expect(res.json()).toMatchObject({ error: { code: "unauthenticated" } });
    }
    expect(await listOwnerVehicles(ctx, "boston", s.id)).toEqual([]);
    // The same token as a cookie is no session either.
    const viaCookie = await app.inject({
      method: "GET",
      url: `${API}/me`,
      cookies: { movr_session: s.token },
    });
    expect(viaCookie.statusCode).toBe(401);
  });

  it("a cookie session reads without a CSRF token", async () => {
    const s = await newSession();
    const res = await app.inject({ method: "GET", url: `${API}/me`, cookies: { movr_session: s.token } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ user: { id: s.id } });
  });

  it("refuses cookie-authenticated state changes without a valid CSRF token (403), bearer needs none", async () => {
    const s = await newSession();
    const other = await newSession();
    const cookies = { movr_session: s.token };
    const attempts: [string, Record<string, string>][] = [
      ["none", {}],
      ["a wrong token", { "x-csrf-token": "forged" }],
      ["another session's token", { "x-csrf-token": csrfTokenFor(SECRET, other.token) }],
    ];
    for (const [what, headers] of attempts) {
      const res = await app.inject({
        method: "POST",
        url: `${API}/vehicles`,
        cookies,
        headers,
        payload: vehicle,
      });
      expect(res.statusCode, what).toBe(403);
      expect(res.json()).toMatchObject({ error: { code: "forbidden" } });
    }
    expect(await listOwnerVehicles(ctx, "boston", s.id)).toEqual([]);

    const deleted = await app.inject({ method: "DELETE", url: `${API}/me`, cookies });
    expect(deleted.statusCode).toBe(403);
    expect(await getUser(ctx, "boston", s.id)).toMatchObject({ active: true });
    const loggedOut = await app.inject({ method: "POST", url: `${API}/auth/logout`, cookies });
    expect(loggedOut.statusCode).toBe(403);
    expect((await app.inject({ method: "GET", url: `${API}/me`, cookies })).statusCode).toBe(200);

    const ok = await app.inject({
      method: "POST",
      url: `${API}/vehicles`,
      cookies,
      headers: { "x-csrf-token": csrfTokenFor(SECRET, s.token) },
      payload: vehicle,
    });
    expect(ok.statusCode, ok.body).toBe(201);
    expect(await listOwnerVehicles(ctx, "boston", s.id)).toHaveLength(1);

    const viaBearer = await app.inject({
      method: "POST",
      url: `${API}/vehicles`,
      headers: { authorization: `Bearer ${other.token}` },
      payload: vehicle,
    });
    expect(viaBearer.statusCode).toBe(201);
  });

  it("a bad bearer token is refused even on public routes", async () => {
    const res = await app.inject({
      method: "GET",
      url: `${API}/cities/boston/vehicles`,
      headers: { authorization: "Bearer nonsense" },
    });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toMatchObject({ error: { code: "unauthenticated" } });
  });

  it("reads the Bearer scheme case-insensitively (RFC 9110 11.1): bearer and BEARER are Bearer", async () => {
    const s = await newSession();
    for (const scheme of ["Bearer", "bearer", "BEARER", "bEaReR"]) {
      const me = await app.inject({
        method: "GET",
        url: `${API}/me`,
        headers: { authorization: `${scheme} ${s.token}` },
      });
      expect(me.statusCode, `${scheme} ${me.body}`).toBe(200);
      // A wrong token under any spelling of the scheme is still refused, not read as no token.
      const wrong = await app.inject({
        method: "GET",
        url: `${API}/cities/boston/vehicles`,
        headers: { authorization: `${scheme} nonsense` },
      });
      expect(wrong.statusCode, scheme).toBe(401);
    }
  });

  it("a stale token still sent does not stop logging in or registering again (apps keep the header)", async () => {
    const s = await newSession();
    const stale = { authorization: `Bearer ${s.token}` };
    const out = await app.inject({ method: "POST", url: `${API}/auth/logout`, headers: stale });
    expect(out.statusCode).toBe(204);
    const again = await app.inject({
      method: "POST",
      url: `${API}/auth/login`,
      headers: stale,
      payload: { username: s.username, password: "long enough" },
    });
    expect(again.statusCode, again.body).toBe(200);
    const fresh = { authorization: `Bearer ${(again.json() as { token: string }).token}` };
    expect((await app.inject({ method: "GET", url: `${API}/me`, headers: fresh })).statusCode).toBe(200);
    const registered = await app.inject({
      method: "POST",
      url: `${API}/auth/register`,
      headers: { authorization: "Bearer nonsense" },
      payload: {
        city: "boston",
        name: "Stale Token",
        username: `st${s.username}`.slice(0, 40),
        email: "stale@example.com",
        password: "long enough",
      },
    });
    expect(registered.statusCode, registered.body).toBe(201);
  });

  it("never returns a password hash", async () => {
    const s = await newSession();
    const me = await app.inject({
      method: "GET",
      url: `${API}/me`,
      headers: { authorization: `Bearer ${s.token}` },
    });
    expect(me.body).not.toMatch(/password|hash|scrypt|creditCard|credit_card/i);
  });

  it("after the database closes, routes answer 503 in the contract's shape and leak nothing", async () => {
    const s = await newSession();
    const closedDb = await openMigrated(target);
    const closedApp = await buildApp({ config, ctx: testContext(closedDb), logger: false });
    try {
      await closedDb.close();
      for (const req of [
        { method: "GET" as const, url: `${API}/cities/boston/vehicles` },
        { method: "GET" as const, url: `${API}/promo-codes` },
        {
          method: "POST" as const,
          url: `${API}/auth/login`,
          payload: { username: s.username, password: "x1234567" },
        },
        { method: "GET" as const, url: `${API}/me`, headers: { authorization: `Bearer ${s.token}` } },
      ]) {
        const res = await closedApp.inject(req);
        expectSafe5xx(res, [503]);
        expect(Number(res.headers["retry-after"])).toBeGreaterThan(0);
      }
      const ready = await closedApp.inject({ method: "GET", url: "/readyz" });
      expect(ready.statusCode).toBe(503);
    } finally {
      await closedApp.close();
    }
  });
});

describe("unavailable database", () => {
  /** A database handle around a Drizzle instance that fails in a chosen way. */
  /**
   * A Drizzle database whose every statement fails with `error()`, in a transaction or on its own:
   * any builder call returns the same object, and awaiting it rejects.
   */
  function failingDb(error: () => Error): Db {
    const db: Db = new Proxy({} as Db, {
      get: (_target, prop) =>
        prop === "then" ? (_resolve: unknown, reject: (e: Error) => void) => reject(error()) : () => db,
    });
    return db;
  }

  async function withDb(db: Db, maxTxAttempts = 10) {
    const fake: Database = {
      db,
      transaction: (fn, mode) => drizzleTransaction(db, fn, mode),
      kind: "server",
      dialect: "postgres",
      description: "a test double",
      maxTxAttempts,
      stats: { committed: 0, retries: 0, exhausted: 0 },
      exec: async () => undefined,
      query: async () => ({ rows: [], fields: [] }),
      withSession: async (fn) =>
        fn({ exec: async () => undefined, query: async () => ({ rows: [], fields: [] }) }),
      ping: async () => {
        await db.execute("SELECT 1");
      },
      close: async () => undefined,
    };
    const app = await buildApp({ config, ctx: testContext(fake), logger: false });
    return { app, close: () => app.close() };
  }

  it("a database that refuses connections gives 503 unavailable with Retry-After", async () => {
    // Port 1 on loopback: nothing listens there, so the connection is refused at once.
    const pool = new pg.Pool({ host: "127.0.0.1", port: 1, user: "postgres", connectionTimeoutMillis: 2000 });
    pool.on("error", () => undefined);
    const { app, close } = await withDb(drizzle(pool) as unknown as Db);
    try {
      const res = await app.inject({ method: "GET", url: `${API}/cities/boston/vehicles` });
      const error = expectSafe5xx(res, [503]);
      expect(error.code).toBe("unavailable");
      expect(Number(res.headers["retry-after"])).toBeGreaterThan(0);
      const ready = await app.inject({ method: "GET", url: "/readyz" });
      expect(ready.statusCode).toBe(503);
      expect(ready.headers["retry-after"]).toBeDefined();
    } finally {
      await close();
      await pool.end();
    }
  });

  it("a transaction that keeps conflicting gives 503 unavailable once retries are exhausted", async () => {
    let attempts = 0;
    const conflicting = failingDb(() => {
      attempts++;
      return Object.assign(
        new Error("could not serialize access due to read/write dependencies among transactions"),
        { code: "40001" },
      );
    });
    const { app, close } = await withDb(conflicting, 3);
    try {
      const res = await app.inject({ method: "GET", url: `${API}/promo-codes` });
      const error = expectSafe5xx(res, [503]);
      expect(error.code).toBe("unavailable");
      expect(res.headers["retry-after"]).toBeDefined();
      expect(attempts).toBe(3);
    } finally {
      await close();
    }
  });

  it("an unexpected driver error gives a bare 500 without SQL or stack", async () => {
    const broken = failingDb(() => {
      const err = new Error('syntax error at or near "WHERE": SELECT * FROM vehicles WHERE city = $1');
      return Object.assign(err, { code: "42601" });
    });
    const { app, close } = await withDb(broken);
    try {
      const error = expectSafe5xx(
        await app.inject({ method: "GET", url: `${API}/cities/boston/vehicles` }),
        [500],
      );
      expect(error.code).toBe("internal");
    } finally {
      await close();
    }
  });

  it("maps exhausted retries to 503 with a Retry-After", () => {
    const e = toHttpError(new RetriesExhaustedError(10));
    expect(e).toMatchObject({ status: 503, code: "unavailable", internal: true });
    expect(e.retryAfter).toBeGreaterThan(0);
  });
});
