// `movr configure-multi-region`: the exact statements (--preview, anywhere), and a refusal that
// changes nothing on PostgreSQL and PGlite.
import { afterAll, describe, expect, it } from "vitest";
import { REFERENCE_REGIONS } from "../../src/cities/region.config.ts";
import { runConfigureMultiRegion, type MultiRegionOptions } from "../../src/cli/multi-region.command.ts";
import { UsageError } from "../../src/cli/errors.ts";
import { runCli } from "../../src/cli/program.ts";
import { databaseConfigFor } from "../../src/config.ts";
import { openDatabase, type Database } from "../../src/db/database.ts";
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

  it("matches configured names to GCP, AWS and Azure cluster names, reporting what it cannot", () => {
    const clouds: [string, string[], string[]][] = [
      [
        "GCP",
        ["gcp-europe-west1", "gcp-us-east1", "gcp-us-west1"],
        ["gcp-us-east1", "gcp-us-west1", "gcp-europe-west1"],
      ],
      ["demo", ["europe-west1", "us-east1", "us-west1"], ["us-east1", "us-west1", "europe-west1"]],
      [
        "AWS",
        ["aws-us-east-1", "aws-us-west-2", "aws-eu-west-1"],
        ["aws-us-east-1", "aws-us-west-2", "aws-eu-west-1"],
      ],
      ["Azure", ["eastus", "westus2", "westeurope"], ["eastus", "westus2", "westeurope"]],
    ];
    for (const [cloud, cluster, expected] of clouds) {
      const m = matchClusterRegions(REFERENCE_REGIONS, cluster);
      expect(
        m.regions.map((r) => r.name),
        cloud,
      ).toEqual(expected);
      expect(
        m.regions.map((r) => r.cities),
        cloud,
      ).toEqual(REFERENCE_REGIONS.map((r) => r.cities));
      expect(m.primaryRegion, cloud).toBe(expected[0]);
      expect(m.fallbackCities, cloud).toEqual([]);
    }
    const partial = matchClusterRegions(REFERENCE_REGIONS, ["us-east-1", "us-east-2", "ap-south-1"]);
    expect(partial.matches.map((x) => [x.configured, x.cluster, x.candidates])).toEqual([
      ["us-east", "us-east-1", ["us-east-1", "us-east-2"]],
      ["us-west", undefined, []],
      ["europe-west", undefined, []],
    ]);
    expect(partial.fallbackCities).toEqual([
      "san francisco",
      "seattle",
      "los angeles",
      "amsterdam",
      "paris",
      "rome",
    ]);
    expect(partial.unusedClusterRegions).toEqual(["us-east-2", "ap-south-1"]);
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
    // The primary region must be one of the map's: the statements would make an unknown one primary.
    for (const [args, regions] of [
      [[], "us-east, us-west, europe-west"],
      [["--region-city", "us-east1=new york", "--region-city", "us-west1=seattle"], "us-east1, us-west1"],
    ] as const) {
      const unknown = testIo();
      expect(
        await runCli(["configure-multi-region", "--preview", "--primary-region", "mars", ...args], unknown),
      ).toBe(2);
      expect(unknown.stderr.lines).toEqual([
        `movr: --primary-region "mars" is not a region of the region map (MOVR_REGIONS, or --region-city); the regions are ${regions}.`,
      ]);
      expect(unknown.stdout.text).toBe("");
    }
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

/** A stand-in for a CockroachDB connection: SHOW REGIONS answers `regions`; statements are recorded. */
function fakeCockroach(regions: string[]) {
  const executed: string[] = [];
  const database = {
    dialect: "cockroachdb",
    description: "CockroachDB at fake:26257",
    query: async (sql: string) => {
      if (sql === "SHOW REGIONS FROM CLUSTER")
        return { rows: regions.map((region) => ({ region })), fields: [] };
      return { rows: [{ name: "movr" }], fields: [] };
    },
    exec: async (sql: string) => {
      executed.push(sql);
    },
    close: async () => undefined,
  } as unknown as Database;
  return { database, executed };
}

describe("configure-multi-region on a cluster (matched against SHOW REGIONS FROM CLUSTER)", () => {
  const run = async (regions: string[], o: Partial<MultiRegionOptions> = {}) => {
    const fake = fakeCockroach(regions);
    const io = testIo();
    const result = await runConfigureMultiRegion(
      io.config,
      undefined,
      { regionCity: [], fromCluster: false, preview: false, ...o },
      async () => fake.database,
      io.stdout,
    ).catch((e: unknown) => e);
    return { result, io, executed: fake.executed };
  };

  it("Azure names: the configured map, homed under the cluster's names; primary = the configured first", async () => {
    const { executed, io } = await run(["westeurope", "eastus", "westus2"]);
    expect(executed[0]).toBe('ALTER DATABASE movr PRIMARY REGION "eastus"');
    expect(executed.slice(1, 3)).toEqual([
      'ALTER DATABASE movr ADD REGION IF NOT EXISTS "westus2"',
      'ALTER DATABASE movr ADD REGION IF NOT EXISTS "westeurope"',
    ]);
    expect(executed.find((s) => s.startsWith("ALTER TABLE users ADD COLUMN"))).toContain(
      "WHEN 'paris' THEN 'westeurope'::crdb_internal_region",
    );
    expect(io.stdout.lines).toContain("-- Configured region europe-west -> westeurope.");
  });

  it("refuses to guess without --yes: prints every unmatched region and every city homed by fallback", async () => {
    const refused = await run(["aws-us-east-1", "aws-us-west-2"]);
    expect(refused.executed).toEqual([]);
    expect((refused.result as Error).message).toMatch(
      /^Refusing to guess: europe-west matches no cluster region\. Nothing was changed\./,
    );
    expect(refused.io.stdout.lines).toContain(
      "-- Configured region europe-west: no cluster region matches it.",
    );
    expect(refused.io.stdout.lines).toContain(
      "-- Homed in the primary region aws-us-east-1 by fallback: amsterdam, paris, rome.",
    );
    const accepted = await run(["aws-us-east-1", "aws-us-west-2"], { yes: true });
    expect(accepted.executed[0]).toBe('ALTER DATABASE movr PRIMARY REGION "aws-us-east-1"');
    expect(accepted.executed.filter((s) => s.includes("ADD REGION"))).toEqual([
      'ALTER DATABASE movr ADD REGION IF NOT EXISTS "aws-us-west-2"',
    ]);
  });

  it("several candidates are a guess too; --primary-region must name a cluster region", async () => {
    const ambiguous = await run(["us-east1", "us-east4", "us-west1", "europe-west1"]);
    expect((ambiguous.result as Error).message).toMatch(/us-east could be us-east1 or us-east4/);
    expect(ambiguous.executed).toEqual([]);
    const wrong = await run(["us-east1", "us-west1", "europe-west1"], { primaryRegion: "mars-north1" });
    expect(wrong.result).toBeInstanceOf(UsageError);
    expect((wrong.result as Error).message).toBe(
      '--primary-region "mars-north1" is not a region of the cluster; the regions are us-east1, us-west1, europe-west1.',
    );
    expect(wrong.executed).toEqual([]);
    const chosen = await run(["us-east1", "us-west1", "europe-west1"], { primaryRegion: "europe-west" });
    expect(chosen.executed[0]).toBe('ALTER DATABASE movr PRIMARY REGION "europe-west1"');
    // A --primary-region that fits several cluster regions is a guess like the map's.
    const unsure = await run(["us-east1", "us-east4", "us-west1", "europe-west1"], {
      primaryRegion: "us-east",
      regionCity: ["us-east1=new york", "us-west1=seattle", "europe-west1=paris"],
    });
    expect((unsure.result as Error).message).toMatch(
      /^Refusing to guess: --primary-region us-east could be us-east1 or us-east4\. Nothing was changed\./,
    );
    expect(unsure.executed).toEqual([]);
  });
});
