// The server as an operator runs it (`npm start`'s entry point in a child process): JSON log lines
// in start-up order, one line per request with its request id, X-Request-Id echoed, /metrics
// behind METRICS_TOKEN or on METRICS_PORT, values that move with traffic, and SIGTERM exits 0.
import { randomUUID } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { createServerDatabase, dropServerDatabases, SERVER_URL } from "../support/databases.ts";
import { parseSamples, sampleValue } from "../support/prometheus.ts";
import { startServer, type LogLine, type ServerProcess } from "../support/server.ts";

const TOKEN = "ops-metrics-token-0123456789";
const VEHICLES = "/api/v1/cities/:city/vehicles";

afterAll(dropServerDatabases);

async function stop(server: ServerProcess): Promise<void> {
  server.child.kill("SIGTERM");
  expect(await server.exited).toBe(0);
}

async function scrape(url: string, headers: Record<string, string> = {}) {
  const res = await fetch(url, { headers });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
  return parseSamples(await res.text());
}

describe("an embedded server with METRICS_TOKEN", () => {
  it("logs JSON lines in start-up order and one line per request; /metrics needs the token and moves", async () => {
    const server = startServer({
      DATABASE_URL: "memory://",
      PORT: "0",
      METRICS_TOKEN: TOKEN,
      LOG_LEVEL: "info",
      REGION: "us-east",
    });
    try {
      const url = await server.ready();
      const startup = server.logLines();
      for (const line of startup) {
        expect(line.level).toMatch(/^(info|warn)$/);
        expect(line.time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      }
      const at = (re: RegExp) => startup.findIndex((l) => re.test(l.msg));
      expect(at(/^Applied migrations: 0001_/)).toBeGreaterThanOrEqual(0);
      expect(at(/^Applied migrations/)).toBeLessThan(at(/^Filled the database with demo data/));
      expect(at(/^Filled the database/)).toBeLessThan(at(/^Demo login/));
      expect(at(/^Demo login/)).toBeLessThan(at(/^MovR is serving/));
      expect(startup.at(-1)).toMatchObject({ url, database: "embedded PGlite (in memory)" });
      // REGION marks every line and every series, for stores that hold every region's instances.
      for (const line of startup) expect(line.region).toBe("us-east");

      // The token: nothing without it.
      const denied = await fetch(`${url}/metrics`);
      expect(denied.status).toBe(401);
      expect(await denied.text()).not.toContain("movr_");
      const auth = { authorization: `Bearer ${TOKEN}` };
      const before = await scrape(`${url}/metrics`, auth);

      // A request id is taken from the caller, echoed, and on the request's one log line.
      const id = `ops-${randomUUID()}`;
      const res = await fetch(`${url}/api/v1/cities/boston/vehicles?limit=2&status=available`, {
        headers: { "x-request-id": id },
      });
      expect(res.status).toBe(200);
      expect(res.headers.get("x-request-id")).toBe(id);
      // One the server makes when the caller sends none, or one that is not a plain token.
      for (const given of [undefined, "has spaces in it", "x".repeat(65)]) {
        const r = await fetch(`${url}/api/v1/regions`, given ? { headers: { "x-request-id": given } } : {});
        expect(r.headers.get("x-request-id")).toMatch(
          /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
        );
        await server.waitForLine((l) => l.requestId === r.headers.get("x-request-id"));
      }
      const line = await server.waitForLine((l) => l.requestId === id);
      expect(line).toMatchObject({
        level: "info",
        method: "GET",
        route: VEHICLES,
        status: 200,
        msg: "request completed",
      });
      expect(line.durationMs).toEqual(expect.any(Number));
      expect(server.logLines().filter((l: LogLine) => l.requestId === id)).toHaveLength(1);
      // No query strings (parameter values) in the logs.
      expect(server.stdout()).not.toContain("status=available");

      const after = await scrape(`${url}/metrics`, auth);
      const ok = { route: VEHICLES, method: "GET", status: "200" };
      expect(sampleValue(after, "movr_http_requests_total", ok)).toBe(
        sampleValue(before, "movr_http_requests_total", ok) + 1,
      );
      expect(sampleValue(after, "movr_http_requests_total", { route: "/api/v1/regions" })).toBe(3);
      expect(sampleValue(after, "movr_tx_committed_total")).toBeGreaterThan(
        sampleValue(before, "movr_tx_committed_total"),
      );
      expect(sampleValue(after, "movr_database_info", { kind: "embedded", region: "us-east" })).toBe(1);
      expect(after.filter((s) => s.labels.region !== "us-east")).toEqual([]);
      // prom-client's process metrics come along.
      expect(sampleValue(after, "process_cpu_user_seconds_total")).toBeGreaterThan(0);
      expect(after.some((s) => s.name === "nodejs_eventloop_lag_seconds")).toBe(true);
    } finally {
      await stop(server);
    }
    expect(server.logLines().at(-1)).toMatchObject({ msg: "shutting down", signal: "SIGTERM" });
  }, 180_000);
});

describe(`a ${SERVER_URL ? "PostgreSQL" : "embedded"} server with METRICS_PORT`, () => {
  it("serves /metrics on its own port only, with the pool's gauges for a server database", async () => {
    const databaseUrl = SERVER_URL ? await createServerDatabase() : "memory://";
    const server = startServer({
      DATABASE_URL: databaseUrl,
      SESSION_SECRET: "p".repeat(40),
      MOVR_DEMO_DATA: "0",
      PORT: "0",
      METRICS_PORT: "0",
      LOG_LEVEL: "info",
      // Two node:cluster workers on a server database: every scrape must show both workers' counts.
      WEB_CONCURRENCY: SERVER_URL ? "2" : "1",
    });
    let metricsUrl: string | undefined;
    try {
      const url = await server.ready();
      metricsUrl = (await server.waitForLine((l) => typeof l.metricsUrl === "string")).metricsUrl as string;
      expect(metricsUrl).not.toBe(`${url}/metrics`);

      expect((await fetch(`${url}/metrics`)).status).toBe(404);
      expect((await fetch(metricsUrl.replace(/\/metrics$/, "/readyz"))).status).toBe(404);
      const before = await scrape(metricsUrl);
      for (let i = 0; i < 4; i++)
        expect((await fetch(`${url}/readyz`, { headers: { connection: "close" } })).status).toBe(200);
      const after = await scrape(metricsUrl);
      const ready = { route: "/readyz", method: "GET", status: "200" };
      expect(sampleValue(after, "movr_http_requests_total", ready)).toBe(
        sampleValue(before, "movr_http_requests_total", ready) + 4,
      );
      const kind = SERVER_URL ? "server" : "embedded";
      expect(sampleValue(after, "movr_database_info", { kind, dialect: "postgres" })).toBe(1);
      if (SERVER_URL) {
        // Summed over the two workers' pools of DB_POOL_MAX (10) each.
        expect(sampleValue(after, "movr_db_pool_max_connections")).toBe(20);
        expect(sampleValue(after, "movr_db_pool_connections")).toBeGreaterThanOrEqual(1);
        expect(sampleValue(after, "movr_db_pool_waiting_requests")).toBe(0);
      }
    } finally {
      await stop(server);
    }
    // The metrics listener closed with the app.
    await expect(fetch(metricsUrl!)).rejects.toThrow();
  }, 180_000);
});
