// `movr load --drop` on a multi-region database: it reads the database's regions before dropping
// (the region enum in pg_catalog, and CockroachDB's primary-region builtin), then re-applies
// configure-multi-region's statements to the recreated tables, or refuses before dropping anything
// when the configured map fits the regions only by guessing (unless --yes). The database here is
// PostgreSQL or PGlite made to look multi-region by replaying configure-multi-region's statements
// (test/support/multi-region-replay.ts: a real region enum and a stand-in for the builtin); the
// re-applied statements are replayed the same way.
import { afterAll, describe, expect, it } from "vitest";
import { REFERENCE_CITIES, REFERENCE_REGIONS } from "../../src/cities/region.config.ts";
import { CliError } from "../../src/cli/errors.ts";
import { runLoad, type LoadCommandOptions } from "../../src/cli/load.command.ts";
import type { Database } from "../../src/db/database.ts";
import { findDatabaseRegions } from "../../src/workload/multi-region.repository.ts";
import { REGIONAL_BY_ROW_TABLES } from "../../src/workload/multi-region.sql.ts";
import {
  createServerDatabase,
  dropServerDatabases,
  openMigrated,
  SERVER_URL,
  TARGETS,
} from "../support/databases.ts";
import { configureByReplay, replayMultiRegion } from "../support/multi-region-replay.ts";
import { Capture, count, runMovr } from "./support.ts";
import { databaseConfigFor } from "../../src/config.ts";
import { openDatabase } from "../../src/db/database.ts";

afterAll(dropServerDatabases);

const NOW = new Date("2026-03-01T00:00:00Z");
const CITIES = ["new york", "seattle", "paris"];
const OPTIONS: LoadCommandOptions = {
  cities: CITIES,
  users: 12,
  vehicles: 6,
  rides: 12,
  histories: 12,
  promoCodes: 3,
  seed: 3,
  now: NOW,
  drop: false,
  skipInit: false,
};
const ALL_THREE = [
  "us-east1=new york,boston,washington dc",
  "us-west1=san francisco,seattle,los angeles",
  "europe-west1=amsterdam,paris,rome",
];
const TWO = ["us-east1=new york,boston,washington dc", "us-west1=san francisco,seattle,los angeles"];

const ctxOf = (database: Database) => ({ database, cities: REFERENCE_CITIES, clock: () => NOW });

async function loadedMultiRegion(database: Database, regionCity: string[]): Promise<void> {
  await runLoad(ctxOf(database), OPTIONS, new Capture());
  await configureByReplay(database, regionCity, "us-east1");
}

/** Each loaded city's region in users, or undefined where users has no region column. */
async function regionsOfCities(database: Database): Promise<Record<string, string> | undefined> {
  const { rows: columns } = await database.query(
    "SELECT 1 FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'region' AND table_schema = 'public'",
  );
  if (columns.length === 0) return undefined;
  const { rows } = await database.query<{ city: string; region: string }>(
    "SELECT DISTINCT city, region::text AS region FROM users ORDER BY city",
  );
  return Object.fromEntries(rows.map((r) => [r.city, r.region]));
}

describe.each(TARGETS)("movr load --drop on a multi-region database, on $name", (target) => {
  it("without regions nothing changes: no warning, nothing re-applied", async () => {
    const database = await openMigrated(target);
    try {
      expect(await findDatabaseRegions(database)).toBeUndefined();
      const out = new Capture();
      const summary = await runLoad(ctxOf(database), { ...OPTIONS, drop: true }, out);
      expect(summary.localitiesReapplied).toBe(0);
      expect(out.text).not.toMatch(/multi-region/);
    } finally {
      await database.close();
    }
  });

  it("regions the map fits (us-east → us-east1, ...): warns, drops, re-applies configure-multi-region's statements, loads", async () => {
    const database = await target.open();
    try {
      await loadedMultiRegion(database, ALL_THREE);
      expect(await findDatabaseRegions(database)).toEqual({
        regions: ["us-east1", "us-west1", "europe-west1"],
        primaryRegion: "us-east1",
      });
      const out = new Capture();
      const applied: string[][] = [];
      const summary = await runLoad(
        ctxOf(database),
        { ...OPTIONS, drop: true, regions: REFERENCE_REGIONS },
        out,
        {
          applyMultiRegion: async (statements) => {
            applied.push(statements);
            await replayMultiRegion(database, statements, statements[0]!.split(" ")[2]!);
          },
        },
      );
      expect(out.lines[0]).toMatch(
        /^.* is multi-region \(primary region us-east1; regions us-east1, us-west1, europe-west1\): the recreated tables are made multi-region again with configure-multi-region's statements\.$/,
      );
      expect(out.lines[1]).toMatch(/^Dropped /);
      expect(applied).toHaveLength(1);
      expect(applied[0]![0]).toMatch(/ PRIMARY REGION "us-east1"$/);
      expect(summary.localitiesReapplied).toBe(applied[0]!.length);
      expect(await regionsOfCities(database)).toEqual({
        "new york": "us-east1",
        paris: "europe-west1",
        seattle: "us-west1",
      });
      for (const { table } of REGIONAL_BY_ROW_TABLES) {
        expect(
          await count(
            database,
            "SELECT count(*) AS n FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1 AND column_name = 'region' AND is_nullable = 'NO'",
            [table],
          ),
          table,
        ).toBe(1);
      }
      expect(await count(database, "SELECT count(*) AS n FROM users")).toBe(OPTIONS.users);
    } finally {
      await database.close();
    }
  });

  it("a map that fits only by guessing: refused before dropping anything, unless --yes", async () => {
    const database = await target.open();
    try {
      await loadedMultiRegion(database, TWO);
      const before = await regionsOfCities(database);
      expect(before).toEqual({ "new york": "us-east1", paris: "us-east1", seattle: "us-west1" });
      const refused = await runLoad(
        ctxOf(database),
        { ...OPTIONS, drop: true, seed: 4, regions: REFERENCE_REGIONS },
        new Capture(),
        { applyMultiRegion: () => Promise.reject(new Error("must not run")) },
      ).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(CliError);
      expect((refused as Error).message).toMatch(
        /^.* is multi-region \(regions us-east1, us-west1; primary us-east1\) and the configured region map fits its regions only by guessing: europe-west matches no region of the database\. Nothing was dropped\. .*--yes.* \(amsterdam, paris, rome homed in us-east1\)\.$/,
      );
      // Nothing dropped: the same rows, still homed.
      expect(await regionsOfCities(database)).toEqual(before);
      expect(await count(database, "SELECT count(*) AS n FROM users")).toBe(OPTIONS.users);

      const out = new Capture();
      await runLoad(ctxOf(database), { ...OPTIONS, drop: true, yes: true, regions: REFERENCE_REGIONS }, out, {
        applyMultiRegion: (statements) =>
          replayMultiRegion(database, statements, statements[0]!.split(" ")[2]!).then(() => undefined),
      });
      expect(out.lines).toContain(
        "Homed in the primary region us-east1 by fallback: amsterdam, paris, rome.",
      );
      expect(await regionsOfCities(database)).toEqual(before);
    } finally {
      await database.close();
    }
  });
});

describe.runIf(SERVER_URL)("movr load --drop on the command line", () => {
  it("says in one line why it refuses, names configure-multi-region's way out, and exits 1", async () => {
    const url = await createServerDatabase();
    const database = await openDatabase(databaseConfigFor(url, {}));
    try {
      await loadedMultiRegion(database, TWO);
      const r = await runMovr(["load", "--drop", "--url", url, "--num-users", "10"]);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe("");
      expect(r.stderr.split("\n").filter(Boolean)).toHaveLength(1);
      expect(r.stderr).toMatch(
        /^movr: PostgreSQL at [^ ]+ is multi-region \(regions us-east1, us-west1; primary us-east1\) and the configured region map fits its regions only by guessing: europe-west matches no region of the database\. Nothing was dropped\./,
      );
      expect(await count(database, "SELECT count(*) AS n FROM users")).toBe(OPTIONS.users);
    } finally {
      await database.close();
    }
  });
});
