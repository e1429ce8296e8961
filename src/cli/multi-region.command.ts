// `movr configure-multi-region`: database regions, GLOBAL promo codes, and the city-scoped
// tables REGIONAL BY ROW, homed by a region column computed from the city. CockroachDB only;
// --preview prints the statements anywhere and changes nothing.
import { citiesOf, parseRegionMap, type RegionMap } from "../cities/region.config.ts";
import type { ToolConfig } from "../config.ts";
import type { Database } from "../db/database.ts";
import { currentDatabaseName, listClusterRegions } from "../workload/multi-region.repository.ts";
import {
  matchClusterRegions,
  multiRegionStatements,
  type MultiRegionPlan,
} from "../workload/multi-region.sql.ts";
import { CliError, describeFailure, UsageError } from "./errors.ts";
import { writeLine, type OutStream } from "./io.ts";

export interface MultiRegionOptions {
  primaryRegion?: string | undefined;
  /** `region=city` (or `region=city,city`) pairs; none means the configured map. */
  regionCity: string[];
  /** With --preview: connect and match the cluster's regions (a connected run always does). */
  fromCluster: boolean;
  /** Accept guessed matches and fallback homing instead of refusing. */
  yes?: boolean | undefined;
  preview: boolean;
  /** The database name for --preview without a connection; default: the URL's, else "movr". */
  databaseName?: string | undefined;
}

export function regionMapFrom(config: ToolConfig, pairs: string[]): RegionMap {
  if (pairs.length === 0) return config.regions;
  let map: RegionMap;
  try {
    map = parseRegionMap(pairs.join(";"));
  } catch (err) {
    throw new UsageError(`--region-city: ${(err as Error).message}.`);
  }
  const known = citiesOf(config.regions);
  for (const city of citiesOf(map)) {
    if (!known.includes(city)) {
      throw new UsageError(
        `--region-city: "${city}" is not a MovR city; the cities are ${known.join(", ")}.`,
      );
    }
  }
  return map;
}

/** The database name in a server URL's path, if any. */
export function databaseNameFromUrl(url: string | undefined): string | undefined {
  if (!url || !/^(postgres|postgresql|cockroachdb):\/\//i.test(url)) return undefined;
  try {
    const name = decodeURIComponent(new URL(url.replace(/^cockroachdb:/i, "postgresql:")).pathname.slice(1));
    return name || undefined;
  } catch {
    return undefined;
  }
}

/**
 * --primary-region naming no region of `known` (`whose`: "the region map", "the cluster"), as
 * the one line both paths print: the statements would make an unknown region primary.
 */
function unknownPrimaryRegion(flag: string, known: readonly string[], whose: string): UsageError {
  return new UsageError(
    `--primary-region "${flag}" is not a region of ${whose}; the regions are ${known.join(", ")}.`,
  );
}

/** The plan without a connection: --primary-region must be one of the map's regions. */
export function buildPlan(
  regions: RegionMap,
  o: Pick<MultiRegionOptions, "primaryRegion">,
  database: string,
): MultiRegionPlan {
  const names = regions.map((r) => r.name);
  const primaryRegion = o.primaryRegion ?? names[0];
  if (!primaryRegion) throw new UsageError("No regions to configure: give --region-city region=city.");
  if (!names.includes(primaryRegion)) {
    throw unknownPrimaryRegion(primaryRegion, names, "the region map (MOVR_REGIONS, or --region-city)");
  }
  return { database, primaryRegion, regions };
}

/**
 * The configured map in the cluster's region names (SHOW REGIONS FROM CLUSTER). Prints each
 * match, every configured region left unmatched and every city homed by fallback; refuses to
 * guess (unmatched regions, several candidates, no primary) unless `yes`. The primary region is
 * --primary-region, else the match of the configured first region.
 */
async function clusterPlan(
  database: Database,
  configured: RegionMap,
  o: Pick<MultiRegionOptions, "primaryRegion" | "yes">,
  stdout: OutStream,
): Promise<{ regions: RegionMap; primaryRegion: string }> {
  const names = await listClusterRegions(database);
  if (names.length === 0)
    throw new CliError(
      "SHOW REGIONS FROM CLUSTER lists no regions: start the nodes with --locality=region=...",
    );
  const match = matchClusterRegions(configured, names);
  const guesses: string[] = [];
  writeLine(stdout, `-- Cluster regions: ${names.join(", ")}.`);
  for (const m of match.matches) {
    if (!m.cluster) {
      writeLine(stdout, `-- Configured region ${m.configured}: no cluster region matches it.`);
      guesses.push(`${m.configured} matches no cluster region`);
    } else if (m.candidates.length > 1) {
      writeLine(
        stdout,
        `-- Configured region ${m.configured} -> ${m.cluster} (guessed among ${m.candidates.join(", ")}).`,
      );
      guesses.push(`${m.configured} could be ${m.candidates.join(" or ")}`);
    } else {
      writeLine(stdout, `-- Configured region ${m.configured} -> ${m.cluster}.`);
    }
  }
  let primaryRegion = match.primaryRegion;
  if (o.primaryRegion !== undefined) {
    // Matched as the map's regions are: us-east names us-east1 or aws-us-east-1.
    const [flagMatch] = matchClusterRegions([{ name: o.primaryRegion, cities: [] }], names).matches;
    primaryRegion = flagMatch?.cluster;
    if (!primaryRegion) throw unknownPrimaryRegion(o.primaryRegion, names, "the cluster");
    if (flagMatch!.candidates.length > 1) {
      guesses.push(`--primary-region ${o.primaryRegion} could be ${flagMatch!.candidates.join(" or ")}`);
    }
  } else if (!primaryRegion) {
    primaryRegion = match.regions[0]?.name;
    guesses.push(
      `the first configured region matches no cluster region, so the primary would be ${primaryRegion ?? "none"}`,
    );
  }
  if (!primaryRegion)
    throw new CliError(
      "No configured region matches a cluster region: give --region-city with the cluster's names.",
    );
  if (match.fallbackCities.length > 0) {
    writeLine(
      stdout,
      `-- Homed in the primary region ${primaryRegion} by fallback: ${match.fallbackCities.join(", ")}.`,
    );
  }
  if (match.unusedClusterRegions.length > 0) {
    writeLine(
      stdout,
      `-- Cluster regions homing no city, not added: ${match.unusedClusterRegions.join(", ")}.`,
    );
  }
  if (guesses.length > 0 && !o.yes) {
    throw new CliError(
      `Refusing to guess: ${guesses.join("; ")}. Nothing was changed. Give --region-city region=city with the cluster's region names, or --yes to accept the matches above.`,
    );
  }
  return { regions: match.regions, primaryRegion };
}

/**
 * Runs configure-multi-region's statements one by one, printing each. A failure names the
 * statement; those before it took effect, and being idempotent they can all run again (`rerun`
 * says how, e.g. "run the command again").
 */
export async function applyStatements(
  database: Database,
  statements: readonly string[],
  stdout: OutStream,
  rerun: string,
): Promise<void> {
  for (const [i, statement] of statements.entries()) {
    writeLine(stdout, `${statement};`);
    try {
      await database.exec(statement);
    } catch (err) {
      throw new CliError(
        `Statement ${i + 1} of ${statements.length} failed: ${describeFailure(err).message}. The statements before it took effect; they are idempotent, so ${rerun} once the cause is fixed.`,
      );
    }
  }
}

function refuseUnlessCockroach(database: Database, what: string): void {
  if (database.dialect !== "cockroachdb") {
    throw new CliError(
      `${what} needs CockroachDB: ${database.description} has no regions or table localities, so nothing was changed (--preview prints the statements anywhere).`,
    );
  }
}

/**
 * Prints the statements (preview) or runs them one by one. `open` connects when needed: never
 * for a plain --preview.
 */
export async function runConfigureMultiRegion(
  config: ToolConfig,
  url: string | undefined,
  o: MultiRegionOptions,
  open: () => Promise<Database>,
  stdout: OutStream,
): Promise<string[]> {
  let regions = regionMapFrom(config, o.regionCity);
  if (o.preview && !o.fromCluster) {
    const name = o.databaseName ?? databaseNameFromUrl(url ?? config.database.url) ?? "movr";
    const statements = multiRegionStatements(buildPlan(regions, o, name));
    writeLine(stdout, "-- Preview: nothing was run. Each statement runs on its own.");
    for (const s of statements) writeLine(stdout, `${s};`);
    return statements;
  }
  const database = await open();
  try {
    refuseUnlessCockroach(database, o.fromCluster ? "--from-cluster" : "configure-multi-region");
    // Connected: the cluster's own region names, whatever the configured map calls them.
    const planned = await clusterPlan(database, regions, o, stdout);
    regions = planned.regions;
    const name = o.databaseName ?? (await currentDatabaseName(database));
    const plan: MultiRegionPlan = { database: name, primaryRegion: planned.primaryRegion, regions };
    const statements = multiRegionStatements(plan);
    if (o.preview) {
      writeLine(stdout, "-- Preview: nothing was run. Each statement runs on its own.");
      for (const s of statements) writeLine(stdout, `${s};`);
      return statements;
    }
    await applyStatements(database, statements, stdout, "run the command again");
    writeLine(
      stdout,
      `Configured ${name} for ${regions.length} regions (primary ${plan.primaryRegion}): ${statements.length} statements.`,
    );
    return statements;
  } finally {
    await database.close();
  }
}
