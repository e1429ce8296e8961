// `npm start` on a fresh data directory: migrated, demo data for every reference city, ready,
// and a graceful shutdown on SIGTERM that leaves the embedded database reopenable.
import { mkdtempSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REFERENCE_CITIES } from "../src/cities/region.config.ts";
import { databaseConfigFor } from "../src/config.ts";
import { openDatabase } from "../src/db/database.ts";
import { startServer } from "./support/server.ts";

it("serves /readyz on a fresh embedded database filled with demo data, then shuts down cleanly", async () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), "movr-start-"));
  // What `npm start` runs: the JavaScript that `npm install` compiled (vitest's setup rebuilt it).
  const server = startServer({
    MOVR_DATA_DIR: dataDir,
    PORT: "0",
    MOVR_EMBEDDED_SQL_PORT: "0",
    LOG_LEVEL: "info",
  });
  try {
    const url = await server.ready();
    expect(server.logLines().map((l) => l.msg)).toContain(
      'Demo login: username "demo", password "demo-rider-1".',
    );
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(200);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
  } finally {
    server.child.kill("SIGTERM");
  }
  expect(await server.exited).toBe(0);

  const database = await openDatabase({ ...databaseConfigFor(undefined, {}), dataDir });
  try {
    const counts = await database.query<{ city: string; users: number; vehicles: number }>(
      `SELECT u.city, count(DISTINCT u.id)::int AS users, count(DISTINCT v.id)::int AS vehicles
       FROM users u LEFT JOIN vehicles v ON v.city = u.city GROUP BY u.city ORDER BY u.city`,
    );
    expect(counts.rows.map((r) => r.city)).toEqual([...REFERENCE_CITIES].sort());
    for (const row of counts.rows) expect(row.vehicles).toBeGreaterThan(0);
  } finally {
    await database.close();
  }
}, 120_000);

it("refuses a DATABASE_URL parameter it cannot take in one line, before connecting", async () => {
  const server = startServer({
    DATABASE_URL: "postgresql://postgres@127.0.0.1:1/movr?connect_timeout=abc",
    SESSION_SECRET: "s".repeat(32),
    PORT: "0",
    LOG_FORMAT: "json",
  });
  expect(await server.exited).toBe(1);
  const lines = server.logLines();
  expect(lines.map((l) => l.msg)).toEqual([
    'movr: The database URL "postgresql://postgres@127.0.0.1:1/movr?connect_timeout=abc" has connect_timeout "abc"; connect_timeout is a whole number of seconds from 0 (no limit) to 600',
  ]);
  expect(server.stderr()).toBe("");
});

describe("a listener that cannot be opened is one line naming its variables", () => {
  // Node's own "listen EADDRINUSE: address already in use 127.0.0.1:3000" and "getaddrinfo
  // ENOTFOUND <host>" named no setting, and could not tell the metrics listener from the server.
  let holder: Server;
  let taken: number;
  beforeAll(async () => {
    holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, "127.0.0.1", resolve));
    taken = (holder.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => holder.close(() => resolve())));

  const embedded = {
    DATABASE_URL: "memory://",
    MOVR_EMBEDDED_SQL_PORT: "off",
    MOVR_DEMO_DATA: "0",
    LOG_FORMAT: "json",
  };
  const fatal = async (server: ReturnType<typeof startServer>) => {
    expect(await server.exited).toBe(1);
    return server
      .logLines()
      .filter((l) => l.level === "fatal")
      .map((l) => l.msg);
  };

  it("PORT in use", async () => {
    const lines = await fatal(startServer({ ...embedded, PORT: String(taken) }));
    expect(lines).toEqual([
      `movr: The HTTP server cannot listen on "127.0.0.1" port ${taken} (HOST, PORT): the port is in use; choose another PORT (0 for any free one) or stop what holds it.`,
    ]);
  }, 60_000);

  it("METRICS_PORT in use, on HOST or METRICS_HOST", async () => {
    expect(await fatal(startServer({ ...embedded, PORT: "0", METRICS_PORT: String(taken) }))).toEqual([
      `movr: The metrics listener cannot listen on "127.0.0.1" port ${taken} (HOST, METRICS_PORT): the port is in use; choose another METRICS_PORT (0 for any free one) or stop what holds it.`,
    ]);
    const withHost = { ...embedded, PORT: "0", METRICS_PORT: String(taken), METRICS_HOST: "127.0.0.1" };
    expect(await fatal(startServer(withHost))).toEqual([
      `movr: The metrics listener cannot listen on "127.0.0.1" port ${taken} (METRICS_HOST, METRICS_PORT): the port is in use; choose another METRICS_PORT (0 for any free one) or stop what holds it.`,
    ]);
  }, 60_000);

  it("a HOST that names no address of this machine", async () => {
    const lines = await fatal(startServer({ ...embedded, PORT: "0", HOST: "192.0.2.1" }));
    expect(lines).toEqual([
      `movr: The HTTP server cannot listen on "192.0.2.1" port 0 (HOST, PORT): the address is not one of this machine's; set HOST to one (0.0.0.0 for all of them).`,
    ]);
  }, 60_000);

  it.runIf(process.env.MOVR_TEST_DATABASE_URL)(
    "PORT in use, with cluster workers",
    async () => {
      const server = startServer({
        DATABASE_URL: process.env.MOVR_TEST_DATABASE_URL ?? "",
        SESSION_SECRET: "s".repeat(32),
        WEB_CONCURRENCY: "2",
        LOG_FORMAT: "json",
        PORT: String(taken),
      });
      const lines = await fatal(server);
      expect(lines.length).toBeGreaterThan(0);
      for (const line of lines)
        expect(line).toBe(
          `movr: The HTTP server cannot listen on "127.0.0.1" port ${taken} (HOST, PORT): the port is in use; choose another PORT (0 for any free one) or stop what holds it.`,
        );
    },
    120_000,
  );
});

// LOG_LEVEL=silent (or any level) silences the logs, not the reason the server did not start: it
// exited 1 without a word.
it("a start-up failure is written whatever LOG_LEVEL says", async () => {
  for (const level of ["silent", "fatal"]) {
    const server = startServer({
      DATABASE_URL: "postgresql://postgres@127.0.0.1:1/movr",
      SESSION_SECRET: "s".repeat(32),
      PORT: "0",
      LOG_FORMAT: "json",
      LOG_LEVEL: level,
    });
    expect(await server.exited).toBe(1);
    expect(server.logLines().map((l) => l.msg)).toEqual([
      "movr: Cannot reach the database at 127.0.0.1:1: connection refused (is the server running?)",
    ]);
  }
}, 60_000);
