// The statements that make a MovR database multi-region on CockroachDB (docs/decisions/
// 005-multi-region.md). Text only: `movr configure-multi-region` prints or runs them, one by one.
import type { RegionMap } from "../cities/region.config.ts";
import { pushAll } from "../shared/arrays.ts";

/** The city-scoped tables, homed row by row by the region of their city column. */
export const REGIONAL_BY_ROW_TABLES: readonly { table: string; cityColumn: string }[] = [
  { table: "users", cityColumn: "city" },
  { table: "vehicles", cityColumn: "city" },
  { table: "rides", cityColumn: "city" },
  { table: "vehicle_location_histories", cityColumn: "city" },
  { table: "user_promo_codes", cityColumn: "city" },
  { table: "sessions", cityColumn: "user_city" },
];

/** Read everywhere, written rarely: one copy per region, served locally. */
export const GLOBAL_TABLES: readonly string[] = ["promo_codes"];

/** The computed column that homes each row. */
export const REGION_COLUMN = "region";

/** The enum CockroachDB creates with a database's first region; its values are the database's regions. */
export const REGION_ENUM = "crdb_internal_region";

export interface MultiRegionPlan {
  /** The database to configure (current_database()). */
  database: string;
  primaryRegion: string;
  /** Regions and their cities; cities of no listed region are homed in the primary region. */
  regions: RegionMap;
}

/** A SQL identifier, quoted only when it must be (CockroachDB's and PostgreSQL's rules agree). */
export function quoteIdent(name: string): string {
  return /^[a-z_][a-z0-9_]*$/.test(name) ? name : `"${name.replaceAll('"', '""')}"`;
}

/** Region names are always quoted: they usually contain dashes (us-east1, gcp-europe-west1). */
export function quoteRegion(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

export function quoteLiteral(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/** CASE <city column> WHEN 'city' THEN 'region'::crdb_internal_region ... ELSE <primary> END */
export function regionExpression(
  cityColumn: string,
  plan: Pick<MultiRegionPlan, "regions" | "primaryRegion">,
): string {
  const region = (name: string) => `${quoteLiteral(name)}::crdb_internal_region`;
  const whens = plan.regions.flatMap((r) =>
    r.cities.map((city) => `WHEN ${quoteLiteral(city)} THEN ${region(r.name)}`),
  );
  return `CASE ${quoteIdent(cityColumn)} ${[...whens, `ELSE ${region(plan.primaryRegion)}`].join(" ")} END`;
}

/**
 * The statements, in order: database regions first (the crdb_internal_region type exists only
 * then), GLOBAL tables, then for each city-scoped table its region column, NOT NULL, and
 * REGIONAL BY ROW. Each is idempotent, so a rerun after a partial failure finishes the job.
 */
export function multiRegionStatements(plan: MultiRegionPlan): string[] {
  const names = plan.regions.map((r) => r.name);
  if (!names.includes(plan.primaryRegion)) names.unshift(plan.primaryRegion);
  const db = quoteIdent(plan.database);
  const statements = [`ALTER DATABASE ${db} PRIMARY REGION ${quoteRegion(plan.primaryRegion)}`];
  for (const name of names) {
    if (name !== plan.primaryRegion)
      statements.push(`ALTER DATABASE ${db} ADD REGION IF NOT EXISTS ${quoteRegion(name)}`);
  }
  for (const table of GLOBAL_TABLES) statements.push(`ALTER TABLE ${quoteIdent(table)} SET LOCALITY GLOBAL`);
  const column = quoteIdent(REGION_COLUMN);
  for (const { table, cityColumn } of REGIONAL_BY_ROW_TABLES) {
    const t = quoteIdent(table);
    statements.push(
      `ALTER TABLE ${t} ADD COLUMN IF NOT EXISTS ${column} crdb_internal_region AS (${regionExpression(cityColumn, plan)}) STORED`,
      `ALTER TABLE ${t} ALTER COLUMN ${column} SET NOT NULL`,
      `ALTER TABLE ${t} SET LOCALITY REGIONAL BY ROW AS ${column}`,
    );
  }
  return statements;
}

/** The query that lists the cluster's regions (CockroachDB). */
export const SHOW_CLUSTER_REGIONS_SQL = "SHOW REGIONS FROM CLUSTER";

const CLOUD_PREFIX = /^(gcp|aws|azure|az)[-_]/;
const AREAS: Record<string, string> = { us: "us", eu: "europe", europe: "europe", asia: "asia", ap: "asia" };
const DIRECTION = "(?:north|south)?(?:east|west|central)|north|south|central";
const AREA = "us|eu|europe|asia|ap|uk|ca|sa|af|me|jp|au|in|kr";

/** Lowercase letters and digits only, without a cloud prefix: "gcp-us-east1" → "useast1". */
function normalizeRegion(name: string): string {
  return name
    .toLowerCase()
    .replace(CLOUD_PREFIX, "")
    .replace(/[^a-z0-9]/g, "");
}

/**
 * Area and direction of a region name in any cloud's spelling, and its number if any:
 * GCP `us-east1`, `europe-west1`; AWS `us-east-1`, `eu-west-1`; Azure `eastus2`, `westeurope`;
 * CockroachDB's `gcp-`/`aws-`/`azure-` prefixes; the reference names `us-east`, `us_west`.
 */
export function regionShape(name: string): { area: string; direction: string; number: string } | undefined {
  const n = normalizeRegion(name);
  const areaFirst = new RegExp(`^(${AREA})(${DIRECTION})(\\d*)$`).exec(n);
  const directionFirst = new RegExp(`^(${DIRECTION})(${AREA})(\\d*)$`).exec(n);
  if (areaFirst)
    return { area: AREAS[areaFirst[1]!] ?? areaFirst[1]!, direction: areaFirst[2]!, number: areaFirst[3]! };
  if (directionFirst)
    return {
      area: AREAS[directionFirst[2]!] ?? directionFirst[2]!,
      direction: directionFirst[1]!,
      number: directionFirst[3]!,
    };
  return undefined;
}

export interface RegionMatch {
  /** The configured region. */
  configured: string;
  /** The cluster region its cities go to; undefined when none fits (its cities fall back). */
  cluster: string | undefined;
  /** Every cluster region that fits; more than one means the choice was a guess. */
  candidates: string[];
}

export interface ClusterMatch {
  /** Cluster regions with the cities homed in each, in configured order. */
  regions: RegionMap;
  matches: RegionMatch[];
  /** The cluster region the first configured region matched; undefined when it matched none. */
  primaryRegion: string | undefined;
  /** Cities of unmatched configured regions: homed in the primary region by the CASE's ELSE. */
  fallbackCities: string[];
  /** Cluster regions no configured region matched (not added to the database). */
  unusedClusterRegions: string[];
}

/** The cluster regions that fit `configured`: the same name, else the same area and direction. */
function candidatesFor(configured: string, cluster: readonly string[]): string[] {
  const exact = cluster.filter((c) => normalizeRegion(c) === normalizeRegion(configured));
  if (exact.length > 0) return exact;
  const want = regionShape(configured);
  if (!want) return [];
  return cluster
    .filter((c) => {
      const got = regionShape(c);
      return (
        got !== undefined &&
        got.area === want.area &&
        got.direction === want.direction &&
        (want.number === "" || got.number === want.number)
      );
    })
    .sort((a, b) =>
      (regionShape(a)?.number ?? "").localeCompare(regionShape(b)?.number ?? "", "en", { numeric: true }),
    );
}

/**
 * Maps configured regions onto the cluster's (SHOW REGIONS FROM CLUSTER) by name: "us-east"
 * matches GCP "us-east1", AWS "us-east-1" and "aws-us-east-1", Azure "eastus"; "europe-west"
 * matches "europe-west1", "eu-west-1", "westeurope". Several candidates: the lowest-numbered
 * (reported as a guess). None: the region's cities fall back to the primary region.
 */
export function matchClusterRegions(configured: RegionMap, cluster: readonly string[]): ClusterMatch {
  const matches = configured.map((r) => {
    const candidates = candidatesFor(r.name, cluster);
    return { configured: r.name, cluster: candidates[0], candidates };
  });
  const regions: { name: string; cities: string[] }[] = [];
  const fallbackCities: string[] = [];
  for (const [i, r] of configured.entries()) {
    const target = matches[i]!.cluster;
    if (!target) {
      pushAll(fallbackCities, r.cities);
      continue;
    }
    const existing = regions.find((x) => x.name === target);
    if (existing) pushAll(existing.cities, r.cities);
    else regions.push({ name: target, cities: [...r.cities] });
  }
  return {
    regions,
    matches,
    primaryRegion: matches[0]?.cluster,
    fallbackCities,
    unusedClusterRegions: cluster.filter((c) => !regions.some((r) => r.name === c)),
  };
}

/** The database the connection is in. */
export const CURRENT_DATABASE_SQL = "SELECT current_database() AS name";
