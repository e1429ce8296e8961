// Outages answer 503 `unavailable` with Retry-After: the API in the contract's shape, the pages
// as a readable page. Every class of SQLSTATE is raised for real by a trigger (test/support/faults.ts),
// on a write (register) and a read (promo codes), on PGlite and the server.
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.ts";
import type { Database } from "../../src/db/database.ts";
import { migrate } from "../../src/db/migrate.ts";
import { buildApp } from "../../src/web/app.ts";
import { registerOverApi } from "../support/api-account.ts";
import { dropServerDatabases, openMigrated, testContext, TARGETS } from "../support/databases.ts";
import { installFaults, OUTAGE_STATES, type Faults } from "../support/faults.ts";
import { expectUnavailable, LEAKS } from "../support/unavailable.ts";

const config = loadConfig({ SESSION_SECRET: "s".repeat(40), LOGIN_RATE_LIMIT_PER_MINUTE: "10000" });

afterAll(dropServerDatabases);

describe.each(TARGETS)("outages over HTTP on $name", (target) => {
  let database: Database;
  let faults: Faults;
  let app: FastifyInstance;
  let n = 0;

  beforeAll(async () => {
    database = await openMigrated(target);
    faults = await installFaults(database);
    app = await buildApp({ config, ctx: testContext(database), logger: false });
  });
  afterAll(async () => {
    await app?.close();
    await database?.close();
  });

  const register = () => registerOverApi(app, { username: `olga${++n}`, name: "Olga Outage" });

  for (const [kind, states] of Object.entries(OUTAGE_STATES)) {
    it(`${kind} (${states.join(", ")}): API write and read answer 503, the register page a readable 503 page`, async () => {
      for (const state of states) {
        await faults.set(state);
        const message = expectUnavailable(await register(), `register, ${state}`);
        if (kind === "ambiguous") expect(message).toMatch(/outcome is unknown/);
        expectUnavailable(
          await app.inject({ method: "GET", url: "/api/v1/promo-codes" }),
          `promo codes, ${state}`,
        );

        const form = await app.inject({ method: "GET", url: "/register" });
        const csrf = /name="_csrf" value="([^"]*)"/.exec(form.body)?.[1] ?? "";
        const cookie = form.cookies.map((c) => `${c.name}=${c.value}`).join("; ");
        n++;
        const page = await app.inject({
          method: "POST",
          url: "/register",
          headers: { "content-type": "application/x-www-form-urlencoded", cookie, accept: "text/html" },
          payload: new URLSearchParams({
            _csrf: csrf,
            city: "boston",
            name: "Olga Outage",
            username: `olga${n}`,
            email: `olga${n}@example.com`,
            password: "correct horse",
          }).toString(),
        });
        expect(page.statusCode, `page, ${state}: ${page.body.slice(0, 300)}`).toBe(503);
        expect(page.headers["content-type"]).toMatch(/text\/html/);
        expect(Number(page.headers["retry-after"])).toBeGreaterThan(0);
        expect(page.body).toMatch(/try again/i);
        expect(page.body).not.toMatch(LEAKS);
      }
      await faults.set(undefined);
      expect((await register()).statusCode).toBe(201);
    });
  }
});

// The database is there but MovR's tables are not: dropped and re-created empty (a restore in
// progress), or never migrated. The server was answering 500 "internal" on every route.
describe.each(TARGETS)("a database without MovR's tables on $name", (target) => {
  let database: Database;
  let app: FastifyInstance;

  beforeAll(async () => {
    database = await target.open();
    app = await buildApp({ config, ctx: testContext(database), logger: false });
  });
  afterAll(async () => {
    await app?.close();
    await database?.close();
  });

  it("answers 503 with Retry-After on the API's reads and writes, and a readable page", async () => {
    const message = expectUnavailable(
      await app.inject({ method: "GET", url: "/api/v1/cities/boston/vehicles" }),
      "vehicles",
    );
    expect(message).toMatch(/not set up/);
    expectUnavailable(await app.inject({ method: "GET", url: "/api/v1/promo-codes" }), "promo codes");
    expectUnavailable(await registerOverApi(app, { username: "tina_tables" }), "register");
    // A browser with a session cookie: looking the session up needs the sessions table.
    const page = await app.inject({
      method: "GET",
      url: "/vehicles",
      headers: { accept: "text/html", cookie: `movr_session=Ym9zdG9u.${"A".repeat(43)}` },
    });
    expect(page.statusCode, page.body.slice(0, 300)).toBe(503);
    expect(Number(page.headers["retry-after"])).toBeGreaterThan(0);
    expect(page.body).toMatch(/try again/i);
    expect(page.body).not.toMatch(LEAKS);
    // Not ready either: a load balancer stops sending it requests (it said 200, the database answering SELECT 1).
    const ready = await app.inject({ method: "GET", url: "/readyz" });
    expect(ready.statusCode, ready.body).toBe(503);
    expect(Number(ready.headers["retry-after"])).toBeGreaterThan(0);
    await migrate(database);
    expect((await app.inject({ method: "GET", url: "/readyz" })).statusCode).toBe(200);
    expect((await app.inject({ method: "GET", url: "/api/v1/cities/boston/vehicles" })).statusCode).toBe(200);
  });
});
