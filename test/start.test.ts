// `npm start` on a fresh data directory: migrated, demo data for every reference city, ready,
// and a graceful shutdown on SIGTERM that leaves the embedded database reopenable.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect, it } from "vitest";
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
