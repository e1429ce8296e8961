// `movr configure-multi-region`: the exact statements (--preview, anywhere), and a refusal that
// changes nothing on PostgreSQL and PGlite.
import { afterAll, describe, expect, it } from "vitest";
import { REFERENCE_REGIONS } from "../../src/cities/region.config.ts";
import { runCli } from "../../src/cli/program.ts";
import { databaseConfigFor } from "../../src/config.ts";
import { openDatabase } from "../../src/db/database.ts";
import { migrate } from "../../src/db/migrate.ts";
import { matchClusterRegions, multiRegionStatements } from "../../src/workload/multi-region.sql.ts";
import { createServerDatabase, dropServerDatabases, SERVER_URL } from "../support/databases.ts";
import { runMovr, testIo } from "./support.ts";

afterAll(dropServerDatabases);

const CASE_REFERENCE = (column: string) =>
  `CASE ${column} WHEN 'new york' THEN 'us-east'::crdb_internal_region WHEN 'boston' THEN 'us-east'::crdb_internal_region WHEN 'washington dc' THEN 'us-east'::crdb_internal_region WHEN 'san francisco' THEN 'us-west'::crdb_internal_region WHEN 'seattle' THEN 'us-west'::crdb_internal_region WHEN 'los angeles' THEN 'us-west'::crdb_internal_region WHEN 'amsterdam' THEN 'europe-west'::crdb_internal_region WHEN 'paris' THEN 'europe-west'::crdb_internal_region WHEN 'rome' THEN 'europe-west'::crdb_internal_region ELSE 'us-east'::crdb_internal_region END`;

const regionalByRow = (table: string, column = "city") => [
  `ALTER TABLE ${table} ADD COLUMN IF NOT EXISTS region crdb_internal_region AS (${CASE_REFERENCE(column)}) STORED`,
  `ALTER TABLE ${table} ALTER COLUMN region SET NOT NULL`,
  `ALTER TABLE ${table} SET LOCALITY REGIONAL BY ROW AS region`,
];

const REFERENCE_STATEMENTS = [
  'ALTER DATABASE movr PRIMARY REGION "us-east"',
  'ALTER DATABASE movr ADD REGION IF NOT EXISTS "us-west"',
  'ALTER DATABASE movr ADD REGION IF NOT EXISTS "europe-west"',
  "ALTER TABLE promo_codes SET LOCALITY GLOBAL",
  ...regionalByRow("users"),
  ...regionalByRow("vehicles"),
  ...regionalByRow("rides"),
  ...regionalByRow("vehicle_location_histories"),
  ...regionalByRow("user_promo_codes"),
  ...regionalByRow("sessions", "user_city"),
];

describe("multi-region statements", () => {
  it("for the reference map: regions, GLOBAL promo codes, each city-scoped table REGIONAL BY ROW", () => {
    expect(
      multiRegionStatements({ database: "movr", primaryRegion: "us-east", regions: REFERENCE_REGIONS }),
    ).toEqual(REFERENCE_STATEMENTS);
  });

  it("quotes names and escapes cities; a primary region outside the map is added first", () => {
    const statements = multiRegionStatements({
      database: "Movr-Prod",
      primaryRegion: "gcp-us-central1",
      regions: [{ name: 'eu"west', cities: ["l'aquila"] }],
    });
    expect(statements.slice(0, 3)).toEqual([
      'ALTER DATABASE "Movr-Prod" PRIMARY REGION "gcp-us-central1"',
      'ALTER DATABASE "Movr-Prod" ADD REGION IF NOT EXISTS "eu""west"',
      "ALTER TABLE promo_codes SET LOCALITY GLOBAL",
    ]);
    expect(statements[3]).toBe(
      `ALTER TABLE users ADD COLUMN IF NOT EXISTS region crdb_internal_region AS (CASE city WHEN 'l''aquila' THEN 'eu"west'::crdb_internal_region ELSE 'gcp-us-central1'::crdb_internal_region END) STORED`,
    );
  });

  it("matches the cluster's region names to the configured regions", () => {
    const map = matchClusterRegions(REFERENCE_REGIONS, [
      "gcp-europe-west1",
      "gcp-us-east1",
      "gcp-asia-east1",
    ]);
    expect(map).toEqual([
      { name: "gcp-europe-west1", cities: ["amsterdam", "paris", "rome"] },
      { name: "gcp-us-east1", cities: ["new york", "boston", "washington dc"] },
      { name: "gcp-asia-east1", cities: [] },
    ]);
  });
});

describe("movr configure-multi-region", () => {
  it("--preview prints the statements and connects to nothing", async () => {
    // An unreachable URL: --preview must not need the database.
    const io = testIo();
    const code = await runCli(
      ["configure-multi-region", "--preview", "--url", "postgresql://postgres@127.0.0.1:1/movr"],
      io,
    );
    expect(io.stderr.text).toBe("");
    expect(code).toBe(0);
    expect(io.stdout.lines).toEqual([
      "-- Preview: nothing was run. Each statement runs on its own.",
      ...REFERENCE_STATEMENTS.map((s) => `${s};`),
    ]);
  });

  it("--region-city and --primary-region shape the map; unknown cities are refused with exit code 2", async () => {
    const io = testIo();
    const code = await runCli(
      [
        "configure-multi-region",
        "--preview",
        "--database",
        "movr",
        "--primary-region",
        "us-east1",
        "--region-city",
        "us-east1=new york",
        "--region-city",
        "us-west1=seattle,los angeles",
      ],
      io,
    );
    expect(code).toBe(0);
    expect(io.stdout.lines.slice(1, 5)).toEqual([
      'ALTER DATABASE movr PRIMARY REGION "us-east1";',
      'ALTER DATABASE movr ADD REGION IF NOT EXISTS "us-west1";',
      "ALTER TABLE promo_codes SET LOCALITY GLOBAL;",
      "ALTER TABLE users ADD COLUMN IF NOT EXISTS region crdb_internal_region AS (CASE city WHEN 'new york' THEN 'us-east1'::crdb_internal_region WHEN 'seattle' THEN 'us-west1'::crdb_internal_region WHEN 'los angeles' THEN 'us-west1'::crdb_internal_region ELSE 'us-east1'::crdb_internal_region END) STORED;",
    ]);

    const bad = testIo();
    expect(
      await runCli(["configure-multi-region", "--preview", "--region-city", "us-east1=gotham"], bad),
    ).toBe(2);
    expect(bad.stderr.lines).toEqual([
      'movr: --region-city: "gotham" is not a MovR city; the cities are new york, boston, washington dc, san francisco, seattle, los angeles, amsterdam, paris, rome.',
    ]);
    const malformed = testIo();
    expect(await runCli(["configure-multi-region", "--preview", "--region-city", "seattle"], malformed)).toBe(
      2,
    );
    expect(malformed.stderr.lines).toEqual([
      'movr: --region-city: "seattle" is not of the form region=city,city.',
    ]);
  });

  it("refuses on PGlite with one sentence and exit code 1", async () => {
    const io = testIo();
    const code = await runCli(["configure-multi-region", "--url", "memory://"], io);
    expect(code).toBe(1);
    expect(io.stdout.text).toBe("");
    expect(io.stderr.lines).toEqual([
      "movr: configure-multi-region needs CockroachDB: embedded PGlite (in memory) has no regions or table localities, so nothing was changed (--preview prints the statements anywhere).",
    ]);
  });

  if (SERVER_URL) {
    it("refuses on the PostgreSQL server and changes nothing there (the real command line)", async () => {
      const url = await createServerDatabase();
      const database = await openDatabase(databaseConfigFor(url, {}));
      try {
        await migrate(database);
        const columns = async () =>
          (
            await database.query<{ n: string }>(
              "SELECT count(*) AS n FROM information_schema.columns WHERE table_schema = 'public'",
            )
          ).rows[0]!.n;
        const before = await columns();
        const r = await runMovr(["configure-multi-region", "--url", url]);
        expect(r.code).toBe(1);
        expect(r.stdout).toBe("");
        expect(r.stderr).toBe(
          "movr: configure-multi-region needs CockroachDB: PostgreSQL at 127.0.0.1:5432 has no regions or table localities, so nothing was changed (--preview prints the statements anywhere).\n",
        );
        expect(await columns()).toBe(before);
        const fromCluster = await runMovr([
          "configure-multi-region",
          "--from-cluster",
          "--preview",
          "--url",
          url,
        ]);
        expect(fromCluster.code).toBe(1);
        expect(fromCluster.stderr).toMatch(/^movr: --from-cluster needs CockroachDB: PostgreSQL at /);
      } finally {
        await database.close();
      }
    });
  }
});
