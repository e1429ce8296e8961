// Several migrators at once on one database (servers started together, `movr migrate` in two
// terminals): they take turns, exactly one applies each migration, and none fails. PostgreSQL
// uses an advisory lock; the lease row CockroachDB needs is exercised here on the same engines.
import { afterAll, describe, expect, it } from "vitest";
import { databaseConfigFor } from "../../src/config.ts";
import { openDatabase, type Database } from "../../src/db/database.ts";
import { loadMigrations, migrate, type MigrationResult } from "../../src/db/migrate.ts";
import { LEASE_VERSION, LEDGER, type LockStrategy } from "../../src/db/migration-lock.ts";
import { runMovr } from "../cli/support.ts";
import { createServerDatabase, dropServerDatabases, SERVER_URL, TARGETS } from "../support/databases.ts";

afterAll(dropServerDatabases);

const MIGRATIONS = loadMigrations().length;

async function expectMigratedOnce(database: Database, results: MigrationResult[]) {
  expect(results.reduce((n, r) => n + r.applied.length, 0)).toBe(MIGRATIONS);
  const { rows } = await database.query<{ version: number }>(
    `SELECT version FROM ${LEDGER} ORDER BY version`,
  );
  expect(rows.map((r) => Number(r.version))).toEqual(loadMigrations().map((m) => m.version));
  expect(rows.some((r) => Number(r.version) === LEASE_VERSION)).toBe(false);
}

describe.each(TARGETS)("concurrent migrators on $name", (target) => {
  it("four migrate() calls at once on one handle: each migration applied once", async () => {
    const database = await target.open();
    try {
      const results = await Promise.all([1, 2, 3, 4].map(() => migrate(database)));
      await expectMigratedOnce(database, results);
    } finally {
      await database.close();
    }
  });

  it("a lease left by a crashed migrator is taken over once it expires", async () => {
    const database = await target.open();
    try {
      await database.exec(
        `CREATE TABLE ${LEDGER} (version INT NOT NULL PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL DEFAULT now())`,
      );
      await database.query(
        `INSERT INTO ${LEDGER} (version, name, applied_at) VALUES ($1, 'lease of a dead process', (now() AT TIME ZONE 'UTC') + INTERVAL '1 second')`,
        [LEASE_VERSION],
      );
      const result = await migrate(database, undefined, { strategy: "lease", leaseTtlMs: 5000 });
      await expectMigratedOnce(database, [result]);
    } finally {
      await database.close();
    }
  });
});

if (SERVER_URL) {
  describe("concurrent migrators on separate connections to the server", () => {
    for (const strategy of ["advisory", "lease"] as LockStrategy[]) {
      it(`five handles at once on an empty database (${strategy}): no duplicate-key failures`, async () => {
        const config = databaseConfigFor(await createServerDatabase(), {});
        const handles = await Promise.all(
          [1, 2, 3, 4, 5].map(() => openDatabase({ ...config, pool: { ...config.pool, max: 1 } })),
        );
        try {
          const results = await Promise.all(handles.map((h) => migrate(h, undefined, { strategy })));
          await expectMigratedOnce(handles[0]!, results);
        } finally {
          await Promise.all(handles.map((h) => h.close()));
        }
      }, 120_000);
    }

    it("three `movr migrate` processes at once: all exit 0, one applies, the others find it done", async () => {
      const url = await createServerDatabase();
      const runs = await Promise.all([1, 2, 3].map(() => runMovr(["migrate", "--url", url])));
      for (const r of runs) expect(r.code, r.stderr).toBe(0);
      expect(runs.filter((r) => /^Applied /m.test(r.stdout))).toHaveLength(1);
      expect(runs.filter((r) => /is up to date/.test(r.stdout))).toHaveLength(2);
      const database = await openDatabase(databaseConfigFor(url, {}));
      try {
        await expectMigratedOnce(database, [{ applied: loadMigrations().map(String), alreadyApplied: 0 }]);
      } finally {
        await database.close();
      }
    }, 180_000);
  });
}
