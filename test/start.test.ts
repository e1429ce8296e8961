// `npm start` on a fresh data directory: migrated, demo data for every reference city, ready,
// and a graceful shutdown on SIGTERM that leaves the embedded database reopenable.
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect, it } from "vitest";
import { REFERENCE_CITIES } from "../src/cities/region.config.ts";
import { databaseConfigFor, PROJECT_ROOT } from "../src/config.ts";
import { openDatabase } from "../src/db/database.ts";

it("serves /readyz on a fresh embedded database filled with demo data, then shuts down cleanly", async () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), "movr-start-"));
  // What `npm start` runs: the JavaScript that `npm install` compiled (vitest's setup rebuilt it).
  const child = spawn(process.execPath, [path.join(PROJECT_ROOT, "dist", "src", "main.js")], {
    env: { PATH: process.env.PATH, MOVR_DATA_DIR: dataDir, PORT: "0", LOG_LEVEL: "warn" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr.on("data", (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setInterval(() => {
        const m = /MovR is serving (http:\/\/\S+) on/.exec(output);
        if (m?.[1]) {
          clearInterval(timer);
          resolve(m[1]);
        }
      }, 100);
      void exited.then(() => {
        clearInterval(timer);
        reject(new Error(`npm start exited early:\n${output}`));
      });
    });
    expect(output).toMatch(/Demo login: username "demo"/);
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(200);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
  } finally {
    child.kill("SIGTERM");
  }
  expect(await exited).toBe(0);

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
