// A fresh embedded database starts from the build's template (a copy of an initdb'd data
// directory), not from an initdb of its own; PGlite runs with MovR's memory settings.
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { databaseConfigFor } from "../../src/config.ts";
import { openDatabase, type Database } from "../../src/db/database.ts";
import { ensureTemplate, PGLITE_SETTINGS, seedDataDir, TEMPLATE_DIR } from "../../src/db/embedded-engine.ts";

const scratch = mkdtempSync(path.join(tmpdir(), "movr-template-"));
const freshDir = () => mkdtempSync(path.join(scratch, "data-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function withDatabase<T>(url: string | undefined, dataDir: string, fn: (db: Database) => Promise<T>) {
  const database = await openDatabase({ ...databaseConfigFor(url, {}), dataDir });
  try {
    return await fn(database);
  } finally {
    await database.close();
  }
}

const systemId = (db: Database) =>
  db
    .query<{ id: string }>("SELECT system_identifier::text AS id FROM pg_control_system()")
    .then((r) => r.rows[0]!.id);

describe("the embedded database's template", () => {
  // The build made it already; a no-op then (and it makes one if the build could not).
  beforeAll(async () => {
    await ensureTemplate();
  }, 300_000);

  it("is what a fresh data directory starts from: no initdb of its own", async () => {
    const [a, b] = [freshDir(), freshDir()];
    const ids = [
      await withDatabase(undefined, a, async (db) => {
        await db.exec("CREATE TABLE kept (x INT)");
        await db.exec("INSERT INTO kept VALUES (1)");
        return systemId(db);
      }),
      await withDatabase(undefined, b, systemId),
    ];
    // initdb gives every cluster its own system identifier; copies of one template share it.
    expect(ids[0]).toBe(ids[1]);
    // The copy is a database like any other: what it was given is there after a restart.
    await withDatabase(undefined, a, async (db) => {
      expect((await db.query("SELECT x FROM kept")).rows).toEqual([{ x: 1 }]);
    });
  }, 120_000);

  it("gives memory:// databases the same start, and MovR's settings", async () => {
    const onDisk = await withDatabase(undefined, freshDir(), systemId);
    await withDatabase("memory://", freshDir(), async (db) => {
      expect(await systemId(db)).toBe(onDisk);
      const settings = await db.query<{ name: string; value: string }>(
        "SELECT name, current_setting(name) AS value FROM unnest($1::text[]) AS name",
        [Object.keys(PGLITE_SETTINGS)],
      );
      expect(Object.fromEntries(settings.rows.map((r) => [r.name, r.value]))).toEqual(PGLITE_SETTINGS);
    });
  }, 120_000);

  it("copies over a copy cut short (no PG_VERSION yet), and never over a database", async () => {
    const dir = freshDir();
    // A copy killed half way: some files, and the mark of a finished one missing.
    cpSync(path.join(TEMPLATE_DIR, "data", "global"), path.join(dir, "global"), { recursive: true });
    writeFileSync(path.join(dir, "global", "pg_control"), "torn");
    expect(await seedDataDir(dir)).toBe(true);
    expect(existsSync(path.join(dir, "PG_VERSION"))).toBe(true);
    expect(readdirSync(dir).sort()).toEqual(readdirSync(path.join(TEMPLATE_DIR, "data")).sort());
    // Once it is a database, the template never touches it again.
    writeFileSync(path.join(dir, "global", "pg_control"), "ours");
    expect(await seedDataDir(dir)).toBe(false);
  });

  it("is not used when it was made by another PGlite version", async () => {
    const other = path.join(scratch, "other-template");
    cpSync(TEMPLATE_DIR, other, { recursive: true });
    writeFileSync(path.join(other, "version"), "0.0.1\n");
    const dir = freshDir();
    expect(await seedDataDir(dir, other)).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
  });
});
