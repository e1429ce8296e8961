// Whether the database is multi-region (CockroachDB): its region enum and its primary region.
// Plain catalogue queries, readable by any user (SHOW REGIONS needs the admin role). PostgreSQL
// and PGlite have no such enum, so there they always answer "not multi-region".
import type { Database } from "../db/database.ts";
import { CURRENT_DATABASE_SQL, REGION_ENUM, SHOW_CLUSTER_REGIONS_SQL } from "./multi-region.sql.ts";

export interface DatabaseRegions {
  /** The database's regions, as its region enum lists them. */
  regions: string[];
  /** The database's primary region. */
  primaryRegion: string;
}

/**
 * The values of the current database's `public.crdb_internal_region`, the enum CockroachDB creates
 * with a database's first region and keeps equal to its regions (introspectable through
 * pg_catalog.pg_enum since v21.1). No rows: the database has no regions.
 */
export async function listDatabaseRegions(database: Database): Promise<string[]> {
  const { rows } = await database.query<{ region: string }>(
    `SELECT e.enumlabel AS region
       FROM pg_catalog.pg_enum e
       JOIN pg_catalog.pg_type t ON t.oid = e.enumtypid
       JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
      WHERE n.nspname = 'public' AND t.typname = $1
      ORDER BY e.enumsortorder, e.enumlabel`,
    [REGION_ENUM],
  );
  return rows.map((r) => r.region);
}

/**
 * The primary region of a multi-region database: CockroachDB's builtin returns its argument when
 * that is a region of the database, else the primary region ('' never is a region). The same
 * builtin is the default of the crdb_region column of REGIONAL BY ROW tables.
 */
export async function findPrimaryRegion(database: Database): Promise<string | undefined> {
  const { rows } = await database.query<{ region: string | null }>(
    "SELECT default_to_database_primary_region('') AS region",
  );
  return rows[0]?.region ?? undefined;
}

/** The database's regions and primary region; undefined when it is not multi-region. */
export async function findDatabaseRegions(database: Database): Promise<DatabaseRegions | undefined> {
  const regions = await listDatabaseRegions(database);
  if (regions.length === 0) return undefined;
  const primaryRegion = await findPrimaryRegion(database);
  return primaryRegion === undefined ? undefined : { regions, primaryRegion };
}

/** The database the connection is in (the name region statements address). */
export async function currentDatabaseName(database: Database): Promise<string> {
  const { rows } = await database.query<{ name: string }>(CURRENT_DATABASE_SQL);
  return rows[0]?.name ?? "movr";
}

/** The cluster's regions as its nodes' --locality names them (SHOW REGIONS FROM CLUSTER; CockroachDB only). */
export async function listClusterRegions(database: Database): Promise<string[]> {
  const { rows } = await database.query<{ region: string }>(SHOW_CLUSTER_REGIONS_SQL);
  return rows.map((r) => r.region);
}
