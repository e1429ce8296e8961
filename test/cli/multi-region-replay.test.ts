// The statements `movr configure-multi-region` generates, replayed on a loaded database with only
// CockroachDB's multi-region clauses stubbed (test/support/multi-region-replay.ts): the CASE homes
// each city in its region, unmapped cities in the primary region, SET NOT NULL holds on the
// loaded rows, and no row is lost. On PGlite and (when set) the PostgreSQL server.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { register, login } from "../../src/auth/auth.service.ts";
import { REFERENCE_CITIES } from "../../src/cities/region.config.ts";
import { runLoad } from "../../src/cli/load.command.ts";
import { runConfigureMultiRegion } from "../../src/cli/multi-region.command.ts";
import type { Database } from "../../src/db/database.ts";
import { applyPromoCode, createPromoCode } from "../../src/promo-codes/promo-code.service.ts";
import { addUser } from "../../src/users/user.service.ts";
import { REGION_COLUMN, REGIONAL_BY_ROW_TABLES } from "../../src/workload/multi-region.sql.ts";
import { dropServerDatabases, MOVR_TABLES, TARGETS } from "../support/databases.ts";
import { replayMultiRegion, translateMultiRegion, type Translation } from "../support/multi-region-replay.ts";
import { Capture, testIo } from "./support.ts";

afterAll(dropServerDatabases);

const NOW = new Date("2026-03-01T00:00:00Z");
/** Rome and Los Angeles are in no region of the map below: homed in the primary by fallback. */
const LOADED = ["new york", "boston", "seattle", "paris", "rome", "los angeles"];
const REGION_CITY = ["us-east1=new york,boston", "us-west1=seattle", "europe-west1=paris"];
const PRIMARY = "us-east1";
const HOME: Record<string, string> = {
  "new york": "us-east1",
  boston: "us-east1",
  seattle: "us-west1",
  paris: "europe-west1",
};
const homeOf = (city: string) => HOME[city] ?? PRIMARY;

/** The statements, as `movr configure-multi-region --preview` prints them for this map. */
async function generatedStatements(database: string): Promise<string[]> {
  const io = testIo();
  return runConfigureMultiRegion(
    io.config,
    undefined,
    {
      regionCity: REGION_CITY,
      primaryRegion: PRIMARY,
      fromCluster: false,
      preview: true,
      databaseName: database,
    },
    () => Promise.reject(new Error("--preview must not connect")),
    io.stdout,
  );
}

async function rowCounts(database: Database): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const t of [...MOVR_TABLES, "sessions"]) {
    const { rows } = await database.query<{ n: string | number }>(`SELECT count(*) AS n FROM ${t}`);
    counts[t] = Number(rows[0]!.n);
  }
  return counts;
}

describe("the translation", () => {
  it("skips only the known CockroachDB clauses and refuses any other multi-region statement", async () => {
    const statements = await generatedStatements("movr");
    const t = translateMultiRegion(statements, "movr");
    expect(t.regions).toEqual(["us-east1", "us-west1", "europe-west1"]);
    expect(t.skipped.map((s) => s.as)).toEqual([
      "primary region",
      "add region",
      "add region",
      "table locality",
      ...REGIONAL_BY_ROW_TABLES.map(() => "table locality"),
    ]);
    // Nothing but the skipped and the rewritten statements is changed.
    const untouched = statements.filter(
      (s) => !t.skipped.some((k) => k.statement === s) && !t.rewritten.some(([c]) => c === s),
    );
    expect(t.run).toEqual([
      `DO $$ BEGIN CREATE TYPE crdb_internal_region AS ENUM ('us-east1', 'us-west1', 'europe-west1'); EXCEPTION WHEN duplicate_object THEN NULL; END $$`,
      expect.stringMatching(/^CREATE OR REPLACE FUNCTION default_to_database_primary_region\(/),
      ...statements
        .filter((s) => !t.skipped.some((k) => k.statement === s))
        .map((s) => t.rewritten.find(([c]) => c === s)?.[1] ?? s),
    ]);
    expect(untouched).toHaveLength(REGIONAL_BY_ROW_TABLES.length);
    for (const s of untouched) expect(s).toMatch(/^ALTER TABLE \w+ ALTER COLUMN region SET NOT NULL$/);
    expect(t.rewritten).toHaveLength(REGIONAL_BY_ROW_TABLES.length);

    for (const unknown of [
      'ALTER DATABASE movr DROP REGION "us-west1"',
      "ALTER TABLE users CONFIGURE ZONE USING num_replicas = 5",
      "ALTER TABLE users SET LOCALITY REGIONAL BY COLUMN region",
      "ALTER TABLE users ADD COLUMN crdb_region crdb_internal_region AS ('x') VIRTUAL",
    ]) {
      expect(() => translateMultiRegion([...statements, unknown], "movr"), unknown).toThrow(
        /No translation|refuse/i,
      );
    }
    expect(() => translateMultiRegion(statements, "other")).toThrow(/for database movr/);
  });
});

describe.each(TARGETS)("configure-multi-region replayed on $name", (target) => {
  let database: Database;
  let translation: Translation;
  let before: Record<string, number>;

  beforeAll(async () => {
    database = await target.open();
    const ctx = { database, cities: REFERENCE_CITIES, clock: () => NOW, sessionTtlHours: 24 };
    await runLoad(
      ctx,
      {
        cities: LOADED,
        users: 36,
        vehicles: 18,
        rides: 48,
        histories: 60,
        promoCodes: 6,
        seed: 9,
        now: NOW,
        drop: false,
        skipInit: false,
      },
      new Capture(),
    );
    // The two tables movr load leaves empty: a promo application and a session per city.
    await createPromoCode(ctx, {
      code: "REPLAY",
      description: "replay",
      discountPercent: 10,
      expiresAt: new Date(NOW.getTime() + 86_400_000),
    });
    for (const city of LOADED) {
      const user = await register(ctx, {
        city,
        name: `Rita ${city}`,
        username: `rita_${city.replace(" ", "_")}`,
        email: "rita@example.com",
        password: "correct horse",
      });
      await applyPromoCode(ctx, { city, userId: user.id, code: "REPLAY" });
      await login(ctx, { username: user.username!, password: "correct horse" });
    }
    before = await rowCounts(database);
    const { rows } = await database.query<{ name: string }>("SELECT current_database() AS name");
    translation = await replayMultiRegion(database, await generatedStatements(rows[0]!.name), rows[0]!.name);
  });
  afterAll(async () => database?.close());

  it("loaded every table, in every city", () => {
    for (const t of [...MOVR_TABLES, "sessions"]) expect(before[t], t).toBeGreaterThan(0);
  });

  it("each city-scoped table has a NOT NULL region column generated from its city column", async () => {
    for (const { table, cityColumn } of REGIONAL_BY_ROW_TABLES) {
      const { rows } = await database.query<{ is_nullable: string; is_generated: string; udt_name: string }>(
        `SELECT is_nullable, is_generated, udt_name FROM information_schema.columns
          WHERE table_schema = 'public' AND table_name = $1 AND column_name = $2`,
        [table, REGION_COLUMN],
      );
      expect(rows, table).toEqual([
        { is_nullable: "NO", is_generated: "ALWAYS", udt_name: "crdb_internal_region" },
      ]);
      const { rows: cities } = await database.query<{ city: string; region: string; n: string | number }>(
        `SELECT ${cityColumn} AS city, ${REGION_COLUMN}::text AS region, count(*) AS n
           FROM ${table} GROUP BY 1, 2 ORDER BY 1, 2`,
      );
      // Every loaded city, each in one region: its mapped one, else the primary.
      expect(cities.map((r) => r.city).sort(), table).toEqual([...LOADED].sort());
      for (const r of cities) expect(r.region, `${table}: ${r.city}`).toBe(homeOf(r.city));
    }
  });

  it("unmapped cities fall back to the primary region", async () => {
    const { rows } = await database.query<{ region: string }>(
      `SELECT DISTINCT ${REGION_COLUMN}::text AS region FROM users WHERE city IN ('rome', 'los angeles')`,
    );
    expect(rows).toEqual([{ region: PRIMARY }]);
  });

  it("the rows keep their counts, and rows written afterwards are homed too", async () => {
    expect(await rowCounts(database)).toEqual(before);
    const ctx = { database, cities: REFERENCE_CITIES, clock: () => NOW };
    const user = await addUser(ctx, { city: "seattle", name: "Late Larry" });
    const { rows } = await database.query<{ region: string }>(
      `SELECT ${REGION_COLUMN}::text AS region FROM users WHERE city = 'seattle' AND id = $1`,
      [user.id],
    );
    expect(rows).toEqual([{ region: "us-west1" }]);
  });

  it("ran every statement but the skipped ones", () => {
    expect(translation.skipped).toHaveLength(4 + REGIONAL_BY_ROW_TABLES.length);
    expect(translation.run).toHaveLength(2 + 2 * REGIONAL_BY_ROW_TABLES.length);
  });
});
