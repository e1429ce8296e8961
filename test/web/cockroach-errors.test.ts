// CockroachDB's errors over HTTP, without CockroachDB: a constraint trigger deferred to COMMIT
// raises CockroachDB's SQLSTATE and words (test/support/faults.ts) under the real app, on PGlite
// and the server. A "restart transaction" at COMMIT is retried (the client sees 201, /metrics
// counts the retry); "result is ambiguous" and "server is shutting down" answer 503 with
// Retry-After in the contract's shape, and the next request is served.
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.ts";
import type { Database } from "../../src/db/database.ts";
import { createMetrics, type Metrics } from "../../src/metrics/metrics.registry.ts";
import { createPromoCode } from "../../src/promo-codes/promo-code.service.ts";
import { buildApp } from "../../src/web/app.ts";
import { registerOverApi } from "../support/api-account.ts";
import { dropServerDatabases, openMigrated, testContext, TARGETS } from "../support/databases.ts";
import { COCKROACH_ERRORS, installCommitFaults, type CommitFaults } from "../support/faults.ts";
import { parseSamples, sampleValue } from "../support/prometheus.ts";
import { expectUnavailable } from "../support/unavailable.ts";

const TOKEN = "metrics-token-0123456789";
const config = loadConfig({
  SESSION_SECRET: "c".repeat(40),
  LOGIN_RATE_LIMIT_PER_MINUTE: "10000",
  METRICS_TOKEN: TOKEN,
});

afterAll(dropServerDatabases);

describe.each(TARGETS)("CockroachDB's errors over HTTP on $name", (target) => {
  let database: Database;
  let metrics: Metrics;
  let faults: CommitFaults;
  let app: FastifyInstance;
  let n = 0;

  beforeAll(async () => {
    metrics = createMetrics();
    database = await openMigrated(target, { txObserver: metrics.txObserver, poolMax: 2 });
    faults = await installCommitFaults(database, ["users", "user_promo_codes"]);
    app = await buildApp({ config, ctx: testContext(database), logger: false, metrics });
    await createPromoCode(testContext(database), {
      code: "COMMIT10",
      description: "ten percent",
      discountPercent: 10,
      expiresAt: new Date(Date.now() + 86_400_000),
    });
  });
  afterAll(async () => {
    await app?.close();
    await database?.close();
  });

  const register = () => registerOverApi(app, { username: `rhea${++n}`, name: "Rhea Retry" });
  const retries = async () => {
    const res = await app.inject({ url: "/metrics", headers: { authorization: `Bearer ${TOKEN}` } });
    return sampleValue(parseSamples(res.body), "movr_tx_retries_total", { sqlstate: "40001" });
  };
  const usernames = async () =>
    Number((await database.query<{ n: string | number }>("SELECT count(*) AS n FROM users")).rows[0]!.n);

  it("40001 restart transaction at COMMIT: register and a promo application (one statement, several) answer 201 after one retry each, counted", async () => {
    const before = await retries();
    await faults.arm(COCKROACH_ERRORS.retry, 1);
    const registered = await register();
    expect(registered.statusCode, registered.body).toBe(201);
    expect(await faults.checked()).toBe(2);
    expect(await retries()).toBe(before + 1);

    const login = await app.inject({
      method: "POST",
      url: "/api/v1/auth/login",
      payload: { username: `rhea${n}`, password: "correct horse" },
    });
    expect(login.statusCode, login.body).toBe(200);
    const { token } = login.json() as { token: string };
    await faults.arm(COCKROACH_ERRORS.retry, 1);
    const applied = await app.inject({
      method: "POST",
      url: "/api/v1/me/promo-codes",
      headers: { authorization: `Bearer ${token}` },
      payload: { code: "COMMIT10" },
    });
    expect(applied.statusCode, applied.body).toBe(201);
    expect(await faults.checked()).toBe(2);
    expect(await retries()).toBe(before + 2);
  });

  it("40003 result is ambiguous at COMMIT: 503, Retry-After, the contract's body; not retried; the next request is served", async () => {
    const before = { retries: await retries(), users: await usernames() };
    await faults.arm(COCKROACH_ERRORS.ambiguous, 1);
    const message = expectUnavailable(await register(), "40003 at COMMIT");
    expect(message).toMatch(/outcome is unknown/);
    expect(await faults.checked()).toBe(1);
    expect(await retries()).toBe(before.retries);
    expect(await usernames()).toBe(before.users);
    expect((await register()).statusCode).toBe(201);
  });

  it("57P01 server is shutting down: 503 with Retry-After, not retried; the next request is served on a new connection", async () => {
    await faults.arm(COCKROACH_ERRORS.shutdown, 1);
    const message = expectUnavailable(await register(), "57P01 at COMMIT");
    expect(message).toMatch(/restarting or shutting down/);
    expect(await faults.checked()).toBe(1);
    expect((await register()).statusCode).toBe(201);
  });
});
