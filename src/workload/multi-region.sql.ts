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

/** Lowercase letters and digits only, without a cloud prefix: "gcp-us-east1" → "useast1". */
function normalizeRegion(name: string): string {
  return name
    .toLowerCase()
    .replace(/^(gcp|aws|azure|az)[-_]/, "")
    .replace(/[^a-z0-9]/g, "");
}

/**
 * Maps configured regions onto the cluster's region names: "us-east" matches "us-east1" and
 * "gcp-us-east1". Configured regions without a match are left out; their cities fall back to the
 * primary region.
 */
export function matchClusterRegions(configured: RegionMap, cluster: readonly string[]): RegionMap {
  const result: { name: string; cities: string[] }[] = cluster.map((name) => ({ name, cities: [] }));
  for (const r of configured) {
    const want = normalizeRegion(r.name);
    const exact = result.find((c) => normalizeRegion(c.name) === want);
    const target = exact ?? result.find((c) => normalizeRegion(c.name).startsWith(want));
    if (target) pushAll(target.cities, r.cities);
  }
  return result;
}

/** The database the connection is in. */
export const CURRENT_DATABASE_SQL = "SELECT current_database() AS name";
