// The statement catalogue: every SQL text MovR sends, recorded by driving every repository
// function, the migrator (each lock strategy) and the multi-region generator on an embedded
// database, compared with the committed test/sql/catalogue.txt. Any change to a statement shows
// in review as a change to that file.
//
// After changing SQL on purpose, regenerate the file and review its diff:
//
//   UPDATE_SQL_CATALOGUE=1 npx vitest run test/sql/catalogue.test.ts
//
// A lint then refuses, in the catalogue and in every migration file, what CockroachDB rejects or
// runs differently (see LINT below).
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { PGlite } from "@electric-sql/pglite";
import { getTableConfig } from "drizzle-orm/pg-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REFERENCE_REGIONS } from "../../src/cities/region.config.ts";
import { openPgliteShell } from "../../src/cli/shell/connection.ts";
import { databaseConfigFor, PROJECT_ROOT } from "../../src/config.ts";
import { openDatabase, type Database } from "../../src/db/database.ts";
import { loadMigrations, migrate, MIGRATIONS_DIR } from "../../src/db/migrate.ts";
import { users } from "../../src/users/user.table.ts";
import { multiRegionStatements } from "../../src/workload/multi-region.sql.ts";
import { DRIZZLE_TABLES } from "../support/tables.ts";

const CATALOGUE = path.join(PROJECT_ROOT, "test", "sql", "catalogue.txt");
const UPDATE = process.env.UPDATE_SQL_CATALOGUE === "1";

const CITY = "boston";
const U = "11111111-1111-4111-8111-111111111111";
const V = "22222222-2222-4222-8222-222222222222";
const R = "33333333-3333-4333-8333-333333333333";
const NOW = new Date("2026-01-01T00:00:00Z");

/** Collapses whitespace so each statement is one line of the catalogue. */
const oneLine = (sql: string) => sql.replace(/\s+/g, " ").trim();

/** Records every statement sent through the PGlite instance (queries, execs, transactions). */
function record(pglite: PGlite, into: () => string[]): void {
  type Q = (sql: string, params?: unknown, options?: unknown) => Promise<unknown>;
  const wrap = <T extends { query: Q; exec: Q }>(target: T) => {
    const query = target.query.bind(target);
    const exec = target.exec.bind(target);
    target.query = (sql, params, options) => {
      into().push(oneLine(sql));
      return query(sql, params, options);
    };
    target.exec = (sql, params, options) => {
      into().push(oneLine(sql));
      return exec(sql, params, options);
    };
    return target;
  };
  wrap(pglite as unknown as { query: Q; exec: Q });
  const transaction = pglite.transaction.bind(pglite);
  pglite.transaction = ((fn: (tx: never) => Promise<unknown>) =>
    transaction((tx) =>
      fn(wrap(tx as unknown as { query: Q; exec: Q }) as never),
    )) as typeof pglite.transaction;
}

type Call = (database: Database) => Promise<unknown>;

/** Records a statement sent outside PGlite (set by buildCatalogue). */
let recordText: (sql: string) => void = () => undefined;
type Repo = Record<string, unknown>;

/** One call per exported repository function, with arguments that reach its SQL. */
function calls(m: Record<string, Repo>): Record<string, Call> {
  const tx =
    (fn: (tx: never) => Promise<unknown>): Call =>
    (d) =>
      d.transaction((t) => fn(t as never), { readOnly: false });
  const f = (file: string, name: string) => m[file]![name] as (...args: unknown[]) => Promise<unknown>;
  const key = { userCity: CITY, tokenHash: "h" };
  return {
    "users/user.repository insertUser": tx((t) =>
      f("users/user.repository", "insertUser")(t, { id: U, city: CITY, name: "A", username: "a" }),
    ),
    "users/user.repository findUser": tx((t) => f("users/user.repository", "findUser")(t, CITY, U)),
    "users/user.repository findUserByUsername": tx((t) =>
      f("users/user.repository", "findUserByUsername")(t, "a"),
    ),
    "users/user.repository listUserNamesOfCity": tx((t) =>
      f("users/user.repository", "listUserNamesOfCity")(t, CITY, 10, { name: "Rita", id: U }),
    ),
    "users/user.repository listUsersOfCity": tx((t) =>
      f("users/user.repository", "listUsersOfCity")(t, CITY, 10, U),
    ),
    "users/user.repository pickUserId": tx((t) =>
      f("users/user.repository", "pickUserId")(t, CITY, "ffffffff-ffff-4fff-8fff-ffffffffffff"),
    ),
    "users/user.repository setOwnerFlag": tx((t) =>
      f("users/user.repository", "setOwnerFlag")(t, CITY, U, true),
    ),
    "users/user.repository refreshOwnerFlag": tx((t) =>
      f("users/user.repository", "refreshOwnerFlag")(t, CITY, U),
    ),
    "users/user.repository markDeactivated": tx((t) =>
      f("users/user.repository", "markDeactivated")(t, CITY, "00000000-0000-4000-8000-000000000000", NOW),
    ),
    "vehicles/vehicle.repository insertVehicle": tx((t) =>
      f("vehicles/vehicle.repository", "insertVehicle")(t, {
        id: V,
        city: CITY,
        type: "bike",
        ownerId: U,
        status: "available",
        creationTime: NOW,
      }),
    ),
    "vehicles/vehicle.repository findOwnedVehicleInRide": tx((t) =>
      f("vehicles/vehicle.repository", "findOwnedVehicleInRide")(t, CITY, U),
    ),
    "vehicles/vehicle.repository findVehicle": tx((t) =>
      f("vehicles/vehicle.repository", "findVehicle")(t, CITY, V),
    ),
    "vehicles/vehicle.repository listVehicles": tx((t) =>
      f("vehicles/vehicle.repository", "listVehicles")(t, {
        city: CITY,
        status: "available",
        type: "bike",
        afterId: U,
        limit: 5,
      }),
    ),
    "vehicles/vehicle.repository listVehiclesOfOwner": tx((t) =>
      f("vehicles/vehicle.repository", "listVehiclesOfOwner")(t, CITY, U),
    ),
    "vehicles/vehicle.repository changeVehicleStatus": tx((t) =>
      f("vehicles/vehicle.repository", "changeVehicleStatus")(t, CITY, V, "available", "available", "here"),
    ),
    "vehicles/vehicle.repository pickAvailableVehicleId": tx((t) =>
      f("vehicles/vehicle.repository", "pickAvailableVehicleId")(
        t,
        CITY,
        "ffffffff-ffff-4fff-8fff-ffffffffffff",
      ),
    ),
    "rides/ride.repository startRideRow": tx((t) =>
      f("rides/ride.repository", "startRideRow")(t, {
        id: R,
        city: CITY,
        riderId: U,
        vehicleId: V,
        startTime: NOW,
      }),
    ),
    "rides/ride.repository findRide": tx((t) => f("rides/ride.repository", "findRide")(t, CITY, R)),
    // By the ride's key, then as its rider's active ride.
    "rides/ride.repository findRideToEnd": tx(async (t) => {
      await f("rides/ride.repository", "findRideToEnd")(t, CITY, R, NOW);
      await f("rides/ride.repository", "findRideToEnd")(t, CITY, R, NOW, U);
    }),
    "rides/ride.repository findActiveRideOfRider": tx((t) =>
      f("rides/ride.repository", "findActiveRideOfRider")(t, CITY, U),
    ),
    "rides/ride.repository findActiveRideOfVehicle": tx((t) =>
      f("rides/ride.repository", "findActiveRideOfVehicle")(t, CITY, V),
    ),
    "rides/ride.repository logRideLocation": tx((t) =>
      f("rides/ride.repository", "logRideLocation")(
        t,
        { city: CITY, rideId: R, timestamp: NOW, lat: 1, long: 2 },
        { city: CITY, id: U },
      ),
    ),
    "rides/ride.repository listLocations": tx((t) => f("rides/ride.repository", "listLocations")(t, CITY, R)),
    "rides/ride.repository listRidesOfRider": tx((t) =>
      f("rides/ride.repository", "listRidesOfRider")(t, CITY, U, 5, { startTime: NOW, id: R }),
    ),
    "rides/ride.repository listActiveRides": tx((t) =>
      f("rides/ride.repository", "listActiveRides")(t, CITY, 5),
    ),
    "rides/ride.repository finishRide": tx(async (t) => {
      const end = { endAddress: "there", endTime: NOW, revenue: "1.00" };
      await f("rides/ride.repository", "finishRide")(t, { city: CITY, id: R, vehicleId: V }, end);
      await f("rides/ride.repository", "finishRide")(t, { city: CITY, id: R, vehicleId: V, riderId: U }, end);
    }),
    "promo-codes/promo-code.repository insertPromoCode": tx((t) =>
      f("promo-codes/promo-code.repository", "insertPromoCode")(t, {
        code: "C",
        creationTime: NOW,
        rules: { type: "percent_discount", value: "10%" },
      }),
    ),
    "promo-codes/promo-code.repository findPromoCode": tx((t) =>
      f("promo-codes/promo-code.repository", "findPromoCode")(t, "C"),
    ),
    "promo-codes/promo-code.repository listUnexpiredPromoCodes": tx((t) =>
      f("promo-codes/promo-code.repository", "listUnexpiredPromoCodes")(t, NOW, 5, "A"),
    ),
    "promo-codes/promo-code.repository insertUserPromoCode": tx((t) =>
      f("promo-codes/promo-code.repository", "insertUserPromoCode")(t, {
        city: CITY,
        userId: U,
        code: "C",
        timestamp: NOW,
        usageCount: 0,
      }),
    ),
    "promo-codes/promo-code.repository listCodesOfUser": tx((t) =>
      f("promo-codes/promo-code.repository", "listCodesOfUser")(t, CITY, U),
    ),
    "promo-codes/promo-code.repository pickPromoCode": tx((t) =>
      f("promo-codes/promo-code.repository", "pickPromoCode")(t, "B"),
    ),
    "auth/session.repository insertSession": tx((t) =>
      f("auth/session.repository", "insertSession")(t, { ...key, userId: U, createdAt: NOW, expiresAt: NOW }),
    ),
    "auth/session.repository findSessionUser": tx((t) =>
      f("auth/session.repository", "findSessionUser")(t, key, NOW),
    ),
    "auth/session.repository revokeSession": tx((t) =>
      f("auth/session.repository", "revokeSession")(t, key, NOW),
    ),
    "auth/session.repository revokeUserSessions": tx((t) =>
      f("auth/session.repository", "revokeUserSessions")(t, CITY, U, NOW),
    ),
    "vehicles/vehicle.repository removeAllVehiclesOfOwner": tx((t) =>
      f("vehicles/vehicle.repository", "removeAllVehiclesOfOwner")(
        t,
        CITY,
        "00000000-0000-4000-8000-000000000000",
      ),
    ),
    "workload/load.repository insertRows": tx((t) =>
      f("workload/load.repository", "insertRows")(t, users, [
        { id: "44444444-4444-4444-8444-444444444444", city: CITY, name: "L" },
      ]),
    ),
    "workload/load.repository countLoadClashes": (d) =>
      f("workload/load.repository", "countLoadClashes")(d, {
        activeRides: [{ city: CITY, id: R, vehicleCity: CITY, vehicleId: V, riderId: U }],
        vehicles: [{ city: CITY, id: V, ownerId: U }],
      }),
    "workload/load.repository dropTables": (d) =>
      f("workload/load.repository", "dropTables")(d, ["no_such_table"]),
    "workload/load.repository isEmpty": (d) => f("workload/load.repository", "isEmpty")(d, users),
    "db/connection-limit.repository findConnectionLimit": (d) =>
      f("db/connection-limit.repository", "findConnectionLimit")(d),
    "workload/load.repository analyzeTables": (d) =>
      f("workload/load.repository", "analyzeTables")(d, [users]),
    // COPY needs a server pool: a stand-in client records the statement and stops there.
    "workload/load.repository copyRows": () => {
      const client = {
        query: (q: { text: string }) => {
          recordText(q.text);
          throw new Error("recorded");
        },
        release: () => undefined,
      };
      return f("workload/load.repository", "copyRows")({ connect: async () => client }, users, [
        { id: "55555555-5555-4555-8555-555555555555", city: CITY, name: "C" },
      ]);
    },
    "workload/multi-region.repository listDatabaseRegions": (d) =>
      f("workload/multi-region.repository", "listDatabaseRegions")(d),
    // Sent only where the region enum exists (CockroachDB): PGlite has no such builtin.
    "workload/multi-region.repository findPrimaryRegion": (d) =>
      f("workload/multi-region.repository", "findPrimaryRegion")(d),
    "workload/multi-region.repository findDatabaseRegions": (d) =>
      f("workload/multi-region.repository", "findDatabaseRegions")(d),
    // CockroachDB only: PGlite refuses it, after the recording client has seen it.
    "workload/multi-region.repository listClusterRegions": (d) =>
      f("workload/multi-region.repository", "listClusterRegions")(d),
    "workload/multi-region.repository currentDatabaseName": (d) =>
      f("workload/multi-region.repository", "currentDatabaseName")(d),
    "cli/shell/catalog.repository showTables": async (d) =>
      f("cli/shell/catalog.repository", "showTables")(await openPgliteShell(d.pglite!, "x")),
    "cli/shell/catalog.repository showCreateTable": async (d) =>
      f("cli/shell/catalog.repository", "showCreateTable")(await openPgliteShell(d.pglite!, "x"), "rides"),
  };
}

/** Every exported function of every src/**\/*.repository.ts, as "dir/file name". */
async function repositoryModules(): Promise<{ modules: Record<string, Repo>; functions: string[] }> {
  const src = path.join(PROJECT_ROOT, "src");
  const files = (readdirSync(src, { recursive: true }) as string[])
    .filter((f) => f.endsWith(".repository.ts"))
    .sort();
  const modules: Record<string, Repo> = {};
  const functions: string[] = [];
  for (const file of files) {
    const id = file.slice(0, -3).replaceAll(path.sep, "/");
    modules[id] = (await import(path.join(src, file))) as Repo;
    for (const [name, value] of Object.entries(modules[id]!)) {
      // Pure helpers that send no SQL.
      if (typeof value === "function" && name !== "shortType") functions.push(`${id} ${name}`);
    }
  }
  return { modules, functions };
}

async function buildCatalogue(): Promise<string> {
  const sections: [string, string[]][] = [];
  let current: string[] = [];
  const open = async () => {
    const database = await openDatabase(databaseConfigFor("memory://", {}));
    record(database.pglite!, () => current);
    return database;
  };
  recordText = (sql) => current.push(oneLine(sql));
  for (const strategy of ["in-process", "advisory", "lease"] as const) {
    const database = await open();
    current = [];
    await migrate(database, loadMigrations(), { strategy });
    sections.push([
      `migrator, lock strategy ${strategy}${strategy === "advisory" ? " (PostgreSQL only)" : ""}`,
      current,
    ]);
    await database.close();
  }
  const database = await open();
  await migrate(database);
  const { modules, functions } = await repositoryModules();
  const table = calls(modules);
  expect(Object.keys(table).sort(), "every repository function has a call in this test").toEqual(
    [...functions].sort(),
  );
  for (const name of Object.keys(table)) {
    current = [];
    await table[name]!(database).catch(() => undefined); // the statement text is what matters here
    sections.push([name, current]);
  }
  await database.close();
  sections.push([
    "configure-multi-region (CockroachDB only), reference map",
    multiRegionStatements({ database: "movr", primaryRegion: "us-east", regions: REFERENCE_REGIONS }),
  ]);
  const noise = /^(SELECT oid::int AS oid FROM pg_type|BEGIN|COMMIT|ROLLBACK)/i;
  return sections
    .map(([name, statements]) =>
      [`## ${name}`, ...[...new Set(statements.filter((s) => !noise.test(s)))]].join("\n"),
    )
    .join("\n\n")
    .concat("\n");
}

/** Columns that may be NULL, as "table.column", from the Drizzle tables. */
function nullableColumns(): Set<string> {
  const out = new Set<string>();
  for (const t of DRIZZLE_TABLES) {
    const config = getTableConfig(t);
    for (const c of config.columns) if (!c.notNull && !c.primary) out.add(`${config.name}.${c.name}`);
  }
  return out;
}

interface Finding {
  where: string;
  problem: string;
}

/**
 * What CockroachDB rejects or runs differently. `statements` are one-line texts with where they
 * come from (a catalogue section or a migration file).
 */
export function lintStatements(
  statements: { where: string; sql: string }[],
  nullable: Set<string>,
): Finding[] {
  const findings: Finding[] = [];
  for (const { where, sql } of statements) {
    const s = sql.toLowerCase();
    const refuse = (problem: string) => findings.push({ where, problem: `${problem}: ${sql.slice(0, 120)}` });
    if (/pg_(try_)?advisory/.test(s) && !where.includes("(PostgreSQL only)"))
      refuse("advisory locks outside the PostgreSQL-only migrator path (CockroachDB has no-op stubs)");
    if (/\block\s+table\b/.test(s)) refuse("LOCK TABLE (CockroachDB rejects it)");
    if (/with\s*\(\s*force\s*\)/.test(s)) refuse("WITH (FORCE) (CockroachDB rejects it)");
    if (/\b(big|small)?serial\b|\bcreate\s+sequence\b|\bnextval\s*\(/.test(s))
      refuse("SERIAL or sequences (on CockroachDB a hot spot; unique_rowid() is not a sequence)");
    for (const m of sql.matchAll(/order by (.+?)(?= limit | offset | for update|\)|$)/gi)) {
      for (const item of m[1]!.split(/,(?![^(]*\))/)) {
        const col = /^\s*"?([a-z_]+)"?\."?([a-z_]+)"?/i.exec(item) ?? /^\s*"?([a-z_]+)"?(?=\s|$)/i.exec(item);
        const name = col?.[2] ? `${col[1]}.${col[2]}` : undefined;
        const bare = col && !col[2] ? col[1] : undefined;
        const isNullable = name
          ? nullable.has(name)
          : bare !== undefined &&
            [...nullable].some((n) => n.endsWith(`.${bare}`) && s.includes(n.split(".")[0]!));
        if (isNullable && !/nulls (first|last)/i.test(item))
          refuse(
            `ORDER BY on nullable ${name ?? bare} without NULLS FIRST/LAST (NULLs sort first on CockroachDB, last on PostgreSQL)`,
          );
      }
    }
  }
  return findings;
}

function migrationFileStatements(): { where: string; sql: string }[] {
  const out: { where: string; sql: string }[] = [];
  for (const m of loadMigrations(MIGRATIONS_DIR)) {
    for (const sql of [...m.repairs, ...m.statements])
      out.push({ where: `migration ${m.version} ${m.name}`, sql: oneLine(sql) });
  }
  return out;
}

function catalogueStatements(text: string): { where: string; sql: string }[] {
  const out: { where: string; sql: string }[] = [];
  let where = "";
  for (const line of text.split("\n")) {
    if (line.startsWith("## ")) where = line.slice(3);
    else if (line.trim()) out.push({ where, sql: line });
  }
  return out;
}

describe("the statement catalogue", () => {
  let built: string;
  beforeAll(async () => {
    built = await buildCatalogue();
    if (UPDATE) writeFileSync(CATALOGUE, built);
  }, 240_000);
  afterAll(() => undefined);

  it("matches test/sql/catalogue.txt (UPDATE_SQL_CATALOGUE=1 regenerates it)", () => {
    expect(built).toBe(readFileSync(CATALOGUE, "utf8"));
  });

  it("has nothing CockroachDB rejects or runs differently, in the catalogue or the migrations", () => {
    const findings = lintStatements(
      [...catalogueStatements(built), ...migrationFileStatements()],
      nullableColumns(),
    );
    expect(findings).toEqual([]);
  });

  it("the lint can fail: each construct it refuses is found", () => {
    const nullable = nullableColumns();
    const bad = [
      "SELECT pg_advisory_lock(1)",
      "LOCK TABLE rides IN EXCLUSIVE MODE",
      "DROP DATABASE x WITH (FORCE)",
      "CREATE TABLE t (id SERIAL PRIMARY KEY)",
      'select "id" from "rides" where "rides"."city" = $1 order by "rides"."start_time" desc limit $2',
      'select "id" from "vehicles" order by "vehicles"."creation_time" asc, "vehicles"."id" asc',
    ].map((sql) => ({ where: "test", sql }));
    expect(lintStatements(bad, nullable).map((f) => f.problem.split(":")[0])).toEqual([
      "advisory locks outside the PostgreSQL-only migrator path (CockroachDB has no-op stubs)",
      "LOCK TABLE (CockroachDB rejects it)",
      "WITH (FORCE) (CockroachDB rejects it)",
      "SERIAL or sequences (on CockroachDB a hot spot; unique_rowid() is not a sequence)",
      "ORDER BY on nullable rides.start_time without NULLS FIRST/LAST (NULLs sort first on CockroachDB, last on PostgreSQL)",
      "ORDER BY on nullable vehicles.creation_time without NULLS FIRST/LAST (NULLs sort first on CockroachDB, last on PostgreSQL)",
    ]);
    expect(
      lintStatements(
        [{ where: "test", sql: 'select 1 from "rides" order by "rides"."start_time" desc nulls last' }],
        nullable,
      ),
    ).toEqual([]);
  });
});
