// A test device: runs the statements `movr configure-multi-region` generates on PostgreSQL or
// PGlite, with only CockroachDB's multi-region clauses stubbed, so the rest (the CASE that homes
// each city, SET NOT NULL on loaded rows) runs for real. The translation is small and explicit:
// - `crdb_internal_region`, the enum CockroachDB creates at `ALTER DATABASE … PRIMARY REGION`
//   (one value per database region), becomes an enum of the regions the region statements name
//   (created unless it exists), and CockroachDB's builtin default_to_database_primary_region
//   gets a stand-in that answers with the primary region;
// - `… crdb_internal_region AS (expr) STORED` (CockroachDB's computed column) becomes
//   `… crdb_internal_region GENERATED ALWAYS AS (expr) STORED` (PostgreSQL's generated column);
// - `ALTER DATABASE … PRIMARY REGION / ADD REGION / SURVIVE` and `ALTER TABLE … SET LOCALITY`
//   are skipped, each only when it matches one of the patterns below;
// - every other statement runs unchanged, so PostgreSQL refuses whatever it does not know.
import { PassThrough } from "node:stream";
import { REFERENCE_REGIONS } from "../../src/cities/region.config.ts";
import { runConfigureMultiRegion } from "../../src/cli/multi-region.command.ts";
import { databaseConfigFor } from "../../src/config.ts";
import type { Database, SqlSession } from "../../src/db/database.ts";
import { REGION_ENUM } from "../../src/workload/multi-region.sql.ts";

const IDENT = String.raw`(?:[a-z_][a-z0-9_]*|"(?:[^"]|"")+")`;
const REGION = String.raw`"((?:[^"]|"")+)"`;

/** Statements with no PostgreSQL meaning, skipped; a region statement also names a region. */
const SKIPPED: readonly { name: string; pattern: RegExp }[] = [
  { name: "primary region", pattern: new RegExp(`^ALTER DATABASE (${IDENT}) PRIMARY REGION ${REGION}$`) },
  {
    name: "add region",
    pattern: new RegExp(`^ALTER DATABASE (${IDENT}) ADD REGION (?:IF NOT EXISTS )?${REGION}$`),
  },
  {
    name: "survival goal",
    pattern: new RegExp(`^ALTER DATABASE (${IDENT}) SURVIVE (?:ZONE|REGION) FAILURE$`),
  },
  {
    name: "table locality",
    pattern: new RegExp(
      `^ALTER TABLE ${IDENT} SET LOCALITY (?:GLOBAL|REGIONAL BY ROW(?: AS ${IDENT})?|REGIONAL BY TABLE(?: IN (?:PRIMARY REGION|${REGION}))?)$`,
    ),
  },
];

/** CockroachDB's computed column of the region type; group 1 the head, group 2 the expression. */
const COMPUTED_REGION_COLUMN = new RegExp(
  `^(ALTER TABLE ${IDENT} ADD COLUMN (?:IF NOT EXISTS )?${IDENT} ${REGION_ENUM}) AS \\((.*)\\) STORED$`,
  "s",
);

export interface Translation {
  /** The statements to run on PostgreSQL, in order: the region enum and the builtin first. */
  run: string[];
  /** Skipped statements with the pattern each matched. */
  skipped: { statement: string; as: string }[];
  /** The regions the region statements named, the primary first. */
  regions: string[];
  /** Statements rewritten (computed column → generated column): [CockroachDB's, PostgreSQL's]. */
  rewritten: [string, string][];
}

const unquote = (quoted: string) => quoted.replaceAll('""', '"');
const literal = (text: string) => `'${text.replaceAll("'", "''")}'`;

/**
 * Translates configure-multi-region's statements for PostgreSQL. `database` is the name they
 * must address (a region statement for another database is an error, not a skip).
 */
export function translateMultiRegion(statements: readonly string[], database: string): Translation {
  const skipped: Translation["skipped"] = [];
  const rewritten: Translation["rewritten"] = [];
  const regions: string[] = [];
  const body: string[] = [];
  for (const statement of statements) {
    const skip = SKIPPED.find((s) => s.pattern.test(statement));
    if (skip) {
      const m = skip.pattern.exec(statement)!;
      if (statement.startsWith("ALTER DATABASE")) {
        const named = unquote(m[1]!.replace(/^"|"$/g, ""));
        if (named !== database) throw new Error(`A region statement for database ${named}: ${statement}`);
        if (m[2] !== undefined && !regions.includes(unquote(m[2]))) regions.push(unquote(m[2]));
      }
      skipped.push({ statement, as: skip.name });
      continue;
    }
    const computed = COMPUTED_REGION_COLUMN.exec(statement);
    if (computed) {
      const translated = `${computed[1]} GENERATED ALWAYS AS (${computed[2]}) STORED`;
      rewritten.push([statement, translated]);
      body.push(translated);
      continue;
    }
    if (/\b(?:LOCALITY|REGIONS?|SURVIVE|CONFIGURE ZONE)\b|crdb_internal/.test(statement)) {
      // Multi-region syntax in a shape none of the patterns know: refuse rather than guess.
      throw new Error(`No translation for a CockroachDB multi-region statement: ${statement}`);
    }
    body.push(statement);
  }
  if (regions.length === 0) throw new Error("No PRIMARY REGION statement: no region enum to create");
  // Idempotent, as CockroachDB's region statements are: the type outlives a DROP TABLE.
  const enumType = `DO $$ BEGIN CREATE TYPE ${REGION_ENUM} AS ENUM (${regions.map(literal).join(", ")}); EXCEPTION WHEN duplicate_object THEN NULL; END $$`;
  // CockroachDB's builtin, which knows the primary region: its argument when that is a region
  // of the database, else the primary region (what src/workload/multi-region.repository.ts asks).
  const primary = `CREATE OR REPLACE FUNCTION default_to_database_primary_region(region TEXT) RETURNS TEXT LANGUAGE sql STABLE AS $$ SELECT CASE WHEN region = ANY (enum_range(NULL::${REGION_ENUM})::TEXT[]) THEN region ELSE ${literal(regions[0]!)} END $$`;
  return { run: [enumType, primary, ...body], skipped, regions, rewritten };
}

/** Runs the translation one statement at a time, as configure-multi-region does. */
export async function replayMultiRegion(
  session: SqlSession,
  statements: readonly string[],
  database: string,
): Promise<Translation> {
  const translation = translateMultiRegion(statements, database);
  for (const statement of translation.run) await session.exec(statement);
  return translation;
}

/**
 * Makes a loaded PostgreSQL or PGlite database look multi-region to MovR: configure-multi-region's
 * statements (as --preview prints them for `regionCity` and `primaryRegion`), replayed.
 */
export async function configureByReplay(
  database: Database,
  regionCity: string[],
  primaryRegion: string,
): Promise<Translation> {
  const { rows } = await database.query<{ name: string }>("SELECT current_database() AS name");
  const name = rows[0]!.name;
  const statements = await runConfigureMultiRegion(
    { database: databaseConfigFor(undefined, {}), regions: REFERENCE_REGIONS },
    undefined,
    { regionCity, primaryRegion, fromCluster: false, preview: true, databaseName: name },
    () => Promise.reject(new Error("--preview must not connect")),
    new PassThrough(),
  );
  return replayMultiRegion(database, statements, name);
}
