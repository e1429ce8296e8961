// Pool settings per dialect: CockroachDB's connection-pooling guidance (fixed size, 5-30 minute
// lifetimes with jitter, idle timeout = lifetime); PostgreSQL keeps its small idle pool.
import { describe, expect, it, vi } from "vitest";
import { databaseConfigFor } from "../../src/config.ts";
import { openDatabase } from "../../src/db/database.ts";
import { poolSettingsFor } from "../../src/db/pool-settings.ts";
import { createServerDatabase, dropServerDatabases, SERVER_URL } from "../support/databases.ts";

const defaults = { max: 12 };

describe("poolSettingsFor", () => {
  it("CockroachDB: min = max, lifetime 10 min ±10% per connection, idle timeout = lifetime", () => {
    const draws = [0, 0.5, 0.999999];
    const s = poolSettingsFor("cockroachdb", defaults, () => draws.shift()!);
    expect(s.min).toBe(12);
    expect(s.idleTimeoutMillis).toBe(600_000);
    expect([s.lifetimeSeconds(), s.lifetimeSeconds(), s.lifetimeSeconds()]).toEqual([540, 600, 660]);
    for (let i = 0; i < 100; i++) {
      const l = poolSettingsFor("cockroachdb", defaults).lifetimeSeconds();
      expect(l).toBeGreaterThanOrEqual(300);
      expect(l).toBeLessThanOrEqual(1800);
    }
  });

  it("configured values win, on both dialects", () => {
    const s = poolSettingsFor("cockroachdb", { max: 5, min: 2, idleTimeoutMs: 1000, maxLifetimeSeconds: 0 });
    expect([s.min, s.idleTimeoutMillis, s.lifetimeSeconds()]).toEqual([2, 1000, 0]);
    const p = poolSettingsFor("postgres", defaults);
    expect([p.min, p.idleTimeoutMillis, p.lifetimeSeconds()]).toEqual([0, 30_000, 1800]);
  });
});

if (SERVER_URL) {
  describe("a pool opened for CockroachDB", () => {
    it("is fixed-size with idle timeout = lifetime, each connection with a lifetime of its own", async () => {
      const url = (await createServerDatabase()).replace(/^postgresql:/, "cockroachdb:");
      const database = await openDatabase({
        ...databaseConfigFor(url, {}),
        pool: { ...databaseConfigFor(url, {}).pool, max: 4 },
      });
      try {
        expect(database.dialect).toBe("cockroachdb");
        const options = database.pool!.options;
        expect(options.min).toBe(4);
        // A lifetime drawn for each new connection: random() alternates low and high here.
        const draws = [0, 0.999999, 0];
        const random = vi.spyOn(Math, "random").mockImplementation(() => draws.shift() ?? 0.5);
        const seen: number[] = [];
        const clients = [];
        // The first reuses the connection opened to detect the dialect; three new ones follow.
        for (let i = 0; i < 4; i++) {
          clients.push(await database.pool!.connect());
          seen.push(options.maxLifetimeSeconds!);
        }
        random.mockRestore();
        for (const c of clients) c.release();
        expect(seen.slice(1)).toEqual([540, 660, 540]);
        expect(options.idleTimeoutMillis).toBe(600_000);
      } finally {
        await database.close();
        await dropServerDatabases();
      }
    });
  });
}
