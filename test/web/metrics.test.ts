// GET /metrics through the app on every target: HTTP requests by route pattern, transactions
// committed, retried (by SQLSTATE, a real serialization failure on the server) and given up, the
// database kind and pool gauges, and the bearer token when METRICS_TOKEN is set.
import { randomUUID } from "node:crypto";
import { Writable } from "node:stream";
import { sql } from "drizzle-orm";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.ts";
import type { Database } from "../../src/db/database.ts";
import { runTransaction } from "../../src/db/transaction.ts";
import { createMetrics, type Metrics } from "../../src/metrics/metrics.registry.ts";
import { RetriesExhaustedError } from "../../src/shared/errors.ts";
import { createLogger } from "../../src/logging/logger.ts";
import { buildApp } from "../../src/web/app.ts";
import { registerOverApi } from "../support/api-account.ts";
import { dropServerDatabases, openMigrated, testContext, TARGETS } from "../support/databases.ts";
import { hasSample, parseSamples, sampleValue } from "../support/prometheus.ts";

const TOKEN = "metrics-token-0123456789";
const config = loadConfig({ SESSION_SECRET: "m".repeat(40), METRICS_TOKEN: TOKEN });
const serializationFailure = () => Object.assign(new Error("could not serialize access"), { code: "40001" });

afterAll(dropServerDatabases);

describe.each(TARGETS)("metrics on $name", (target) => {
  let database: Database;
  let metrics: Metrics;
  let app: FastifyInstance;

  beforeAll(async () => {
    metrics = createMetrics();
    database = await openMigrated(target, { txObserver: metrics.txObserver, poolMax: 4 });
    app = await buildApp({ config, ctx: testContext(database), logger: false, metrics });
  });
  afterAll(async () => {
    await app?.close();
    await database?.close();
  });

  async function scrape() {
    const res = await app.inject({ url: "/metrics", headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers["content-type"]).toMatch(/^text\/plain; version=0\.0\.4/);
    return parseSamples(res.body);
  }

  it("refuses a scrape without the token, or with a wrong one, with 401 and the error shape", async () => {
    for (const headers of [
      {},
      { authorization: "Bearer wrong-token-0123456789" },
      { authorization: TOKEN },
    ]) {
      const res = await app.inject({ url: "/metrics", headers });
      expect(res.statusCode).toBe(401);
      expect(res.headers["www-authenticate"]).toMatch(/^Bearer/);
      expect(res.json()).toEqual({ error: { code: "unauthenticated", message: expect.any(String) } });
      expect(res.body).not.toContain("movr_");
    }
  });

  it("takes the token under any spelling of the Bearer scheme (case-insensitive, RFC 9110 11.1)", async () => {
    for (const scheme of ["bearer", "BEARER"]) {
      const res = await app.inject({ url: "/metrics", headers: { authorization: `${scheme} ${TOKEN}` } });
      expect(res.statusCode, scheme).toBe(200);
    }
  });

  it("counts requests by route pattern, method and status, with latency histograms", async () => {
    const before = await scrape();
    const route = "/api/v1/cities/:city/vehicles/:id";
    const counted = { route, method: "GET", status: "404" };
    for (let i = 0; i < 3; i++) {
      const res = await app.inject({ url: `/api/v1/cities/boston/vehicles/${randomUUID()}` });
      expect(res.statusCode).toBe(404);
    }
    await app.inject({ url: "/api/v1/cities/boston/vehicles" });
    await app.inject({ url: `/no-such-page-${randomUUID()}` });
    const after = await scrape();
    expect(sampleValue(after, "movr_http_requests_total", counted)).toBe(
      sampleValue(before, "movr_http_requests_total", counted) + 3,
    );
    expect(sampleValue(after, "movr_http_request_duration_seconds_count", counted)).toBe(
      sampleValue(before, "movr_http_request_duration_seconds_count", counted) + 3,
    );
    const inf = { ...counted, le: "+Inf" };
    expect(sampleValue(after, "movr_http_request_duration_seconds_bucket", inf)).toBe(
      sampleValue(after, "movr_http_request_duration_seconds_count", counted),
    );
    expect(
      sampleValue(after, "movr_http_requests_total", {
        route: "/api/v1/cities/:city/vehicles",
        status: "200",
      }),
    ).toBeGreaterThanOrEqual(1);
    // No raw URL ever becomes a label: unmatched requests share one series.
    expect(sampleValue(after, "movr_http_requests_total", { route: "(unmatched)", status: "404" })).toBe(
      sampleValue(before, "movr_http_requests_total", { route: "(unmatched)", status: "404" }) + 1,
    );
    const routes = new Set(after.map((s) => s.labels.route).filter(Boolean));
    for (const r of routes) expect(r).not.toMatch(/boston|[0-9a-f]{8}-|no-such-page/);
  });

  it("counts committed transactions from the API", async () => {
    const before = sampleValue(await scrape(), "movr_tx_committed_total");
    const username = `m${randomUUID().slice(0, 8)}`;
    const res = await registerOverApi(app, { username, name: "Metric Rider", password: "long enough" });
    expect(res.statusCode, res.body).toBe(201);
    expect(sampleValue(await scrape(), "movr_tx_committed_total")).toBeGreaterThan(before);
  });

  it("counts retries and give-ups by SQLSTATE", async () => {
    const before = await scrape();
    let calls = 0;
    await runTransaction(
      database,
      async () => {
        if (++calls <= 2) throw serializationFailure();
        return null;
      },
      { policy: { sleep: async () => undefined } },
    );
    await expect(
      runTransaction(
        database,
        async () => {
          throw serializationFailure();
        },
        { policy: { maxAttempts: 3, sleep: async () => undefined } },
      ),
    ).rejects.toBeInstanceOf(RetriesExhaustedError);
    const after = await scrape();
    const by40001 = { sqlstate: "40001" };
    expect(sampleValue(after, "movr_tx_retries_total", by40001)).toBe(
      sampleValue(before, "movr_tx_retries_total", by40001) + 4,
    );
    expect(sampleValue(after, "movr_tx_given_up_total", by40001)).toBe(
      sampleValue(before, "movr_tx_given_up_total", by40001) + 1,
    );
    expect(sampleValue(after, "movr_tx_attempts_count")).toBe(
      sampleValue(before, "movr_tx_attempts_count") + 1,
    );
    expect(sampleValue(after, "movr_tx_attempts_sum")).toBe(sampleValue(before, "movr_tx_attempts_sum") + 3);
  });

  it("tells the database kind, and the pool's gauges for a server", async () => {
    const samples = await scrape();
    const kind = database.kind;
    expect(sampleValue(samples, "movr_database_info", { kind, dialect: database.dialect })).toBe(1);
    expect(samples.filter((s) => s.name === "movr_database_info")).toHaveLength(1);
    if (kind === "embedded") {
      expect(hasSample(samples, "movr_db_pool_connections")).toBe(false);
      return;
    }
    expect(sampleValue(samples, "movr_db_pool_max_connections")).toBe(4);
    expect(sampleValue(samples, "movr_db_pool_connections")).toBeGreaterThanOrEqual(1);
    // Hold every connection, then ask for one more: the gauge sees the waiting caller.
    const held = await Promise.all([1, 2, 3, 4].map(() => database.pool!.connect()));
    const waiting = database.pool!.connect();
    try {
      const busy = await scrape();
      expect(sampleValue(busy, "movr_db_pool_waiting_requests")).toBe(1);
      expect(sampleValue(busy, "movr_db_pool_idle_connections")).toBe(0);
      expect(sampleValue(busy, "movr_db_pool_connections")).toBe(4);
    } finally {
      for (const c of held) c.release();
      (await waiting).release();
    }
    expect(sampleValue(await scrape(), "movr_db_pool_waiting_requests")).toBe(0);
  });

  // PGlite runs one transaction at a time: only a server can produce a real conflict.
  if (target.name === "postgres")
    it("counts a real serialization failure as a 40001 retry", async () => {
      const username = `r${randomUUID().slice(0, 8)}`;
      const reg = await registerOverApi(app, {
        username,
        city: "rome",
        name: "Race Rider",
        password: "long enough",
      });
      const { user } = reg.json() as { user: { id: string } };
      const before = sampleValue(await scrape(), "movr_tx_retries_total", { sqlstate: "40001" });
      // Both transactions read the row before either writes it: one of them must re-run.
      let arrived = 0;
      let release!: () => void;
      const bothRead = new Promise<void>((resolve) => (release = resolve));
      const rename = (name: string) =>
        runTransaction(database, async (tx) => {
          await tx.execute(sql`SELECT name FROM users WHERE city = 'rome' AND id = ${user.id}`);
          if (++arrived === 2) release();
          if (arrived <= 2) await bothRead;
          await tx.execute(sql`UPDATE users SET name = ${name} WHERE city = 'rome' AND id = ${user.id}`);
        });
      await Promise.all([rename("Race One"), rename("Race Two")]);
      expect(sampleValue(await scrape(), "movr_tx_retries_total", { sqlstate: "40001" })).toBeGreaterThan(
        before,
      );
    });
});

describe("a scrape whose metrics cannot be collected now (a cluster worker still starting)", () => {
  const refusing = (metrics: Metrics): Metrics => ({
    ...metrics,
    render: () => Promise.reject(new Error("Operation timed out.")),
  });

  it("answers 503 with Retry-After and the error shape, on the app's port and on METRICS_PORT", async () => {
    const database = await openMigrated(TARGETS[0]!);
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split("\n")) if (line) lines.push(line);
        done();
      },
    });
    const apps: FastifyInstance[] = [];
    try {
      const inApp = await buildApp({
        config,
        ctx: testContext(database),
        logger: false,
        metrics: refusing(createMetrics()),
      });
      apps.push(inApp);
      const own = await buildApp({
        config: loadConfig({ SESSION_SECRET: "m".repeat(40), METRICS_TOKEN: TOKEN, METRICS_PORT: "0" }),
        ctx: testContext(database),
        loggerInstance: await createLogger({ logLevel: "info", logFormat: "json" }, sink, false),
        metrics: refusing(createMetrics()),
      });
      apps.push(own);
      await own.ready();
      const metricsUrl = lines
        .map((l) => JSON.parse(l) as { metricsUrl?: string })
        .find((l) => l.metricsUrl)?.metricsUrl;
      expect(metricsUrl).toBeDefined();

      const authorization = `Bearer ${TOKEN}`;
      const viaApp = await inApp.inject({ url: "/metrics", headers: { authorization } });
      const viaPort = await fetch(metricsUrl!, { headers: { authorization } });
      for (const [status, retryAfter, body] of [
        [viaApp.statusCode, viaApp.headers["retry-after"], viaApp.body],
        [viaPort.status, viaPort.headers.get("retry-after"), await viaPort.text()],
      ] as const) {
        expect(status).toBe(503);
        expect(Number(retryAfter)).toBeGreaterThan(0);
        expect(JSON.parse(String(body))).toMatchObject({ error: { code: "unavailable" } });
        expect(String(body)).not.toContain("timed out");
      }
    } finally {
      for (const app of apps) await app.close();
      await database.close();
    }
  });
});
