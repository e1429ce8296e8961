// `movr load`: exactly the rows asked for, per table and per city; every foreign key holds; the
// same seed (and timeline end) gives the same rows.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REFERENCE_CITIES } from "../../src/cities/region.config.ts";
import { CliError, UsageError } from "../../src/cli/errors.ts";
import { checkSizes, runLoad, type LoadCommandOptions } from "../../src/cli/load.command.ts";
import { openDatabase, type Database } from "../../src/db/database.ts";
import type { MovrContext } from "../../src/shared/context.ts";
import type { PgTable } from "drizzle-orm/pg-core";
import { runTransaction } from "../../src/db/transaction.ts";
import { promoCodes } from "../../src/promo-codes/promo-code.table.ts";
import { rides, vehicleLocationHistories } from "../../src/rides/ride.table.ts";
import { users } from "../../src/users/user.table.ts";
import { vehicles } from "../../src/vehicles/vehicle.table.ts";
import { generate, spread } from "../../src/workload/generate.ts";
import {
  createServerDatabase,
  dropServerDatabases,
  MOVR_TABLES,
  SERVER_URL,
  TARGETS,
} from "../support/databases.ts";
import { countStatements } from "../support/round-trips.ts";
import { LOAD_TABLES } from "../../src/workload/load.service.ts";
import { DEMO_SIZES, ensureDemoData } from "../../src/workload/demo-data.ts";
import { startDemo } from "../../src/cli/demo.command.ts";
import { databaseConfigFor } from "../../src/config.ts";
import { migrate } from "../../src/db/migrate.ts";
import { Capture, count, spawnMovr } from "./support.ts";

afterAll(dropServerDatabases);

const NOW = new Date("2026-03-01T00:00:00Z");
const CITIES = ["new york", "paris", "rome"];
const SIZES = { users: 20, vehicles: 10, rides: 40, histories: 70, promoCodes: 25 };
const OPTIONS: LoadCommandOptions = {
  cities: CITIES,
  ...SIZES,
  seed: 7,
  now: NOW,
  drop: false,
  skipInit: false,
  batchSize: 7, // several batches per table, several in flight
  concurrency: 3,
};
const CITY_TABLES = {
  users: SIZES.users,
  vehicles: SIZES.vehicles,
  rides: SIZES.rides,
  vehicle_location_histories: SIZES.histories,
};

/** A digest of every row of every table: equal digests, equal data. */
async function contentHash(database: Database): Promise<string> {
  const parts: string[] = [];
  for (const t of MOVR_TABLES) {
    const { rows } = await database.query<{ h: string }>(
      `SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) AS h FROM ${t} t`,
    );
    parts.push(`${t}:${rows[0]!.h}`);
  }
  return parts.join(",");
}

/** Whether each loaded table has column statistics in pg_stats (ANALYZE has run on it). */
async function statistics(database: Database): Promise<Record<string, boolean>> {
  const { rows } = await database.query<{ tablename: string }>(
    "SELECT DISTINCT tablename FROM pg_stats WHERE schemaname = current_schema() AND tablename = ANY($1)",
    [[...LOAD_TABLES]],
  );
  const found = new Set(rows.map((r) => r.tablename));
  return Object.fromEntries(LOAD_TABLES.map((t) => [t, found.has(t)]));
}

/** Rows whose parent row is missing, for each foreign key of the schema. */
const ORPHANS: Record<string, string> = {
  "vehicles → users": `SELECT count(*) AS n FROM vehicles v WHERE v.owner_id IS NOT NULL
     AND NOT EXISTS (SELECT 1 FROM users u WHERE u.city = v.city AND u.id = v.owner_id)`,
  "rides → users": `SELECT count(*) AS n FROM rides r WHERE r.rider_id IS NOT NULL
     AND NOT EXISTS (SELECT 1 FROM users u WHERE u.city = r.city AND u.id = r.rider_id)`,
  "rides → vehicles": `SELECT count(*) AS n FROM rides r WHERE r.vehicle_id IS NOT NULL
     AND NOT EXISTS (SELECT 1 FROM vehicles v WHERE v.city = r.vehicle_city AND v.id = r.vehicle_id)`,
  "vehicle_location_histories → rides": `SELECT count(*) AS n FROM vehicle_location_histories h
     WHERE NOT EXISTS (SELECT 1 FROM rides r WHERE r.city = h.city AND r.id = h.ride_id)`,
  "user_promo_codes → users": `SELECT count(*) AS n FROM user_promo_codes p
     WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.city = p.city AND u.id = p.user_id)`,
  "rides in another city than their vehicle": `SELECT count(*) AS n FROM rides WHERE vehicle_city <> city`,
  "in_use vehicles without their active ride": `SELECT count(*) AS n FROM vehicles v WHERE v.status = 'in_use'
     AND NOT EXISTS (SELECT 1 FROM rides r WHERE r.vehicle_city = v.city AND r.vehicle_id = v.id AND r.end_time IS NULL)`,
  "active rides on a vehicle not in use": `SELECT count(*) AS n FROM rides r JOIN vehicles v
     ON v.city = r.vehicle_city AND v.id = r.vehicle_id WHERE r.end_time IS NULL AND v.status <> 'in_use'`,
  "owners not flagged as owners": `SELECT count(*) AS n FROM users u WHERE NOT u.is_owner
     AND EXISTS (SELECT 1 FROM vehicles v WHERE v.city = u.city AND v.owner_id = u.id)`,
};

describe.each(TARGETS)("movr load on $name", (target) => {
  let database: Database;
  let ctx: MovrContext;
  beforeAll(async () => {
    database = await target.open({ poolMax: 3 });
    ctx = { database, cities: REFERENCE_CITIES, clock: () => new Date() };
  });
  afterAll(async () => database?.close());

  let firstHash = "";

  it("creates the schema and loads exactly the rows asked for, per table and per city", async () => {
    const out = new Capture();
    const summary = await runLoad(ctx, OPTIONS, out);
    expect(summary.migrationsApplied.length).toBeGreaterThan(0);
    expect(summary.inserted).toEqual({
      users: 20,
      vehicles: 10,
      rides: 40,
      vehicle_location_histories: 70,
      promo_codes: 25,
    });
    expect(summary.rows).toBe(165);
    expect(summary.skipped).toBe(0);
    for (const [table, total] of Object.entries(CITY_TABLES)) {
      const { rows } = await database.query<{ city: string; n: string | number }>(
        `SELECT city, count(*) AS n FROM ${table} GROUP BY city`,
      );
      const perCity = Object.fromEntries(rows.map((r) => [r.city, Number(r.n)]));
      const expected = Object.fromEntries(CITIES.map((c, i) => [c, spread(total, CITIES.length)[i]]));
      expect(perCity, table).toEqual(expected);
    }
    expect(await count(database, "SELECT count(*) AS n FROM promo_codes")).toBe(25);
    expect(out.text).toMatch(/^Loaded 165 rows into .+ over 3 cities in [\d.]+ s \([\d,]+ rows\/s\)\.$/m);
    expect(out.text).toContain("movr load --seed 7 --now 2026-03-01T00:00:00.000Z");
    firstHash = await contentHash(database);
  });

  it("leaves no row without its parent, whatever the foreign key", async () => {
    for (const [what, sql] of Object.entries(ORPHANS)) {
      expect(await count(database, sql), what).toBe(0);
    }
    // The data is not trivially empty where it matters.
    expect(await count(database, "SELECT count(*) AS n FROM rides WHERE end_time IS NULL")).toBeGreaterThan(
      0,
    );
    expect(
      await count(database, "SELECT count(*) AS n FROM rides WHERE end_time IS NOT NULL"),
    ).toBeGreaterThan(0);
  });

  it("makes the same rows for the same seed, and other rows for another seed", async () => {
    const out = new Capture();
    const again = await runLoad(ctx, { ...OPTIONS, drop: true }, out);
    expect(out.text).toMatch(/^Dropped .*users.*movr_schema_migrations\.$/m);
    expect(again.rows).toBe(165);
    expect(await contentHash(database)).toBe(firstHash);

    const other = await runLoad(ctx, { ...OPTIONS, drop: true, seed: 8 }, new Capture());
    expect(other.rows).toBe(165);
    expect(await contentHash(database)).not.toBe(firstHash);

    const later = await runLoad(
      ctx,
      { ...OPTIONS, drop: true, now: new Date("2026-03-02T00:00:00Z") },
      new Capture(),
    );
    expect(later.rows).toBe(165);
    expect(await contentHash(database)).not.toBe(firstHash);
  });

  it("a second load without --drop leaves the rows there alone and says so", async () => {
    const out = new Capture();
    const summary = await runLoad(ctx, { ...OPTIONS, now: new Date("2026-03-02T00:00:00Z") }, out);
    expect(summary.rows).toBe(0);
    expect(summary.skipped).toBe(165);
    expect(out.text).toContain("165 generated rows were already there");
    expect(await count(database, "SELECT count(*) AS n FROM users")).toBe(20);
  });

  it("stores exactly the rows the typed Drizzle insert of the data API stores", async () => {
    // The bulk path (unnest of text arrays, cast back per column) must not change a value.
    const bulk = await contentHash(database);
    await database.exec(
      "TRUNCATE users, vehicles, rides, vehicle_location_histories, promo_codes, user_promo_codes CASCADE",
    );
    const data = generate({ ...OPTIONS, now: new Date("2026-03-02T00:00:00Z") });
    const plan: [PgTable, object[]][] = [
      [users, data.users],
      [vehicles, data.vehicles],
      [rides, data.rides],
      [vehicleLocationHistories, data.histories],
      [promoCodes, data.promoCodes],
    ];
    for (const [table, rows] of plan) {
      await runTransaction(database, async (tx) => {
        for (let i = 0; i < rows.length; i += 100)
          await tx.insert(table).values(rows.slice(i, i + 100) as never[]);
      });
    }
    expect(await contentHash(database)).toBe(bulk);
  });

  it("a load with other sizes on top: refused before writing when its rows clash, else added beside", async () => {
    const before = await contentHash(database);
    // One more user shifts what follows: one new active ride lands on a rider or vehicle already there.
    const clash = runLoad(ctx, { ...OPTIONS, users: 23 }, new Capture());
    await expect(clash).rejects.toThrow(CliError);
    await expect(clash).rejects.toThrow(
      /^.+ already has movr rows from another load: \d+ of the rows this load generates contradict rows there \(a second active ride for a vehicle or rider, a ride or owner that is another load's\)\. Nothing was loaded\. Repeat the first load's sizes, --seed, --now and cities to resume it, or add --drop to start over\.$/,
    );
    expect(await contentHash(database)).toBe(before);

    // The case: default sizes on a database loaded with others (seed 7: a generated
    // active ride's key is already there, for another vehicle). Refused the same way.
    await expect(
      runLoad(
        ctx,
        { ...OPTIONS, users: 50, vehicles: 15, rides: 500, histories: 1000, promoCodes: 1000 },
        new Capture(),
      ),
    ).rejects.toThrow(/already has movr rows from another load: \d+ of the rows/);
    expect(await contentHash(database)).toBe(before);

    // Rows that contradict nothing are added beside what is there; every rule still holds.
    const beside = await runLoad(ctx, { ...OPTIONS, users: 21, vehicles: 10, rides: 60 }, new Capture());
    expect(beside.rows).toBeGreaterThan(0);
    expect(beside.skipped).toBeGreaterThan(0);
    for (const [what, sql] of Object.entries(ORPHANS)) {
      expect(await count(database, sql), what).toBe(0);
    }
  });

  it("loads a server's empty tables with COPY FROM STDIN, and PGlite's with bulk INSERTs", async () => {
    const fresh = await target.open({ poolMax: 3 });
    const counter = countStatements(fresh);
    try {
      await runLoad({ ...ctx, database: fresh }, OPTIONS, new Capture());
      const copies = counter.texts().filter((t) => /^COPY /.test(t));
      if (target.name === "pglite") expect(copies).toEqual([]);
      else expect(copies.map((t) => /^COPY (\w+)/.exec(t)?.[1])).toEqual([...LOAD_TABLES]);
      expect(await contentHash(fresh)).toBe(firstHash);
    } finally {
      counter.restore();
      await fresh.close();
    }
  });

  it("leaves the planner statistics of every table it wrote (ANALYZE), and says so", async () => {
    const out = new Capture();
    const summary = await runLoad(ctx, { ...OPTIONS, drop: true }, out);
    expect(await statistics(database)).toEqual(Object.fromEntries(LOAD_TABLES.map((t) => [t, true])));
    // The row counts the planner sees are the rows loaded, not the -1 of a table never analyzed.
    const { rows } = await database.query<{ relname: string; reltuples: number }>(
      "SELECT relname, reltuples::int AS reltuples FROM pg_class WHERE relname IN ('users', 'rides')",
    );
    expect(Object.fromEntries(rows.map((r) => [r.relname, Number(r.reltuples)]))).toEqual({
      users: 20,
      rides: 40,
    });
    expect(summary.analyzed).toEqual([...LOAD_TABLES]);
    expect(out.text).toMatch(
      /^Analyzed users, vehicles, rides, vehicle_location_histories, promo_codes in [\d.]+ s: the planner has their statistics\.$/m,
    );
  });

  it("refuses --drop together with --skip-init", async () => {
    await expect(runLoad(ctx, { ...OPTIONS, drop: true, skipInit: true }, new Capture())).rejects.toThrow(
      "--drop and --skip-init cannot be used together.",
    );
  });
});

describe("load sizes", () => {
  it("refuses sizes that would leave rows without their parents, naming the flag", () => {
    expect(() => checkSizes({ cities: CITIES, users: 2, vehicles: 5, rides: 0, histories: 0 })).toThrow(
      UsageError,
    );
    expect(() => checkSizes({ cities: CITIES, users: 2, vehicles: 5, rides: 0, histories: 0 })).toThrow(
      "Vehicles need --num-users of at least 3 (one per city) so every row has its parent; got 2.",
    );
    expect(() => checkSizes({ cities: CITIES, users: 3, vehicles: 3, rides: 2, histories: 9 })).toThrow(
      /--num-rides of at least 3/,
    );
    expect(() => checkSizes({ cities: CITIES, users: 0, vehicles: 0, rides: 0, histories: 0 })).not.toThrow();
  });
});

describe.each(TARGETS)("the other bulk loads on $name leave statistics too", (target) => {
  it("the demo data of a first start (ensureDemoData)", async () => {
    const database = await target.open();
    try {
      await migrate(database);
      const loaded = await ensureDemoData({ database, cities: REFERENCE_CITIES, clock: () => NOW });
      expect(await statistics(database)).toEqual(Object.fromEntries(LOAD_TABLES.map((t) => [t, true])));
      expect(loaded?.analyzed).toEqual([...LOAD_TABLES]);
    } finally {
      await database.close();
    }
  });
});

describe("movr demo's database", () => {
  it("has the statistics of every table it loaded", async () => {
    const demo = await startDemo(databaseConfigFor("memory://", {}), {
      cities: ["rome"],
      allCities: REFERENCE_CITIES,
      seed: 1,
      now: NOW,
      host: "127.0.0.1",
      port: 0,
      sizes: { users: 5, vehicles: 3, rides: 6, histories: 4, promoCodes: 2 },
    });
    try {
      expect(await statistics(demo.database)).toEqual(Object.fromEntries(LOAD_TABLES.map((t) => [t, true])));
    } finally {
      await demo.stop();
    }
  });
});

// Ctrl-C stops a load at once (exit 130) with one line saying what is kept and how to finish;
// following it finishes the load, the rows already there left as they are.
describe.runIf(SERVER_URL)("the real command line: movr load interrupted", () => {
  it("says how to finish, and finishing with those flags completes the load", async () => {
    const url = await createServerDatabase();
    const args = ["load", "--url", url, "--num-users", "150000", "--city", "boston"];
    const first = spawnMovr(args);
    await first.waitFor(/Created the schema/);
    first.child.kill("SIGINT");
    expect(await first.exited).toBe(130);
    const line =
      /^movr: interrupted; the rows loaded so far are kept\. To finish the load, run the same command with (--seed 1 --now \S+Z)\.$/m.exec(
        first.stderr(),
      );
    expect(line, first.stderr()).not.toBeNull();
    const again = spawnMovr([...args, ...line![1]!.split(" ")]);
    expect(await again.exited, again.stderr()).toBe(0);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const r = await client.query<{ n: string }>("SELECT count(*) AS n FROM users");
      expect(Number(r.rows[0]!.n)).toBe(150_000);
    } finally {
      await client.end();
    }
  });
});

// Cluster workers (or replicas) starting at once on an empty server database: each ran the demo
// fill, both saw no users, and the second failed on 23505 users_pkey, which stopped the server.
describe.runIf(SERVER_URL)("the demo data of servers starting at once", () => {
  it("is filled once; the others find it and start", async () => {
    const url = await createServerDatabase();
    const config = databaseConfigFor(url, {});
    const handles = await Promise.all([1, 2, 3].map(() => openDatabase(config)));
    try {
      await migrate(handles[0]!);
      const results = await Promise.all(
        handles.map((database) => ensureDemoData({ database, cities: REFERENCE_CITIES, clock: () => NOW })),
      );
      expect(results.filter((r) => r !== null)).toHaveLength(1);
      expect(await count(handles[0]!, "SELECT count(*) AS n FROM users")).toBe(
        DEMO_SIZES.users * REFERENCE_CITIES.length,
      );
    } finally {
      for (const database of handles) await database.close();
    }
  });
});
