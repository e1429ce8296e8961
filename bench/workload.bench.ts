// Workload benchmark, on the PostgreSQL server:
//
// 1. `movr run` (the real command line, concurrency 8) next to a baseline measured in the same
//    run: the same operation mix issuing the same SQL statements in the same transactions, with
//    raw `pg` calls (no Drizzle, no services, no validation). Ops/s and p99 per operation; the
//    ratio is what our layering costs.
// 2. `movr load` of 100,000 rows next to COPY FROM STDIN (pg-copy-streams) of the same rows.
//
//   npx tsx bench/workload.bench.ts   (optional: MOVR_BENCH_DATABASE_URL, MOVR_BENCH_SECONDS)
//
// Every phase uses a fresh database, dropped at the end.
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { setTimeout as delay } from "node:timers/promises";
import { pathToFileURL } from "node:url";
import pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import { REFERENCE_CITIES } from "../src/cities/region.config.ts";
import { runLoad } from "../src/cli/load.command.ts";
import type { OperationSummary } from "../src/cli/run.report.ts";
import { databaseConfigFor, PROJECT_ROOT } from "../src/config.ts";
import { openDatabase } from "../src/db/database.ts";
import { backoffMs, DEFAULT_RETRY_POLICY } from "../src/db/transaction.ts";
import { migrate } from "../src/db/migrate.ts";
import { centsToDecimal, computeFare, parsePercent } from "../src/rides/ride.fare.ts";
import { generate, promoCodePivot, type GenerateOptions } from "../src/workload/generate.ts";
import { Rng } from "../src/workload/random.ts";
import { summarize, WorkloadStats } from "../src/workload/stats.ts";
import { OPERATIONS, pickWrite, type OperationName } from "../src/workload/workload.ts";
import { VEHICLE_COLORS, VEHICLE_TYPES } from "../src/vehicles/vehicle.table.ts";
import { maxOf } from "../src/shared/arrays.ts";

const ROOT = PROJECT_ROOT;
const DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/postgres";
const CONCURRENCY = 8;
const READ_PERCENT = 95;
const NOW = new Date(
  Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate()),
);
const RUN_DATA = { users: 50, vehicles: 15, rides: 500, histories: 1000, promoCodes: 1000 };
const LOAD_DATA = { users: 10_000, vehicles: 10_000, rides: 40_000, histories: 30_000, promoCodes: 10_000 };

// ---------------------------------------------------------------------------------------------
// Databases

async function withAdmin<T>(adminUrl: string, fn: (admin: pg.Client) => Promise<T>): Promise<T> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.end();
  }
}

async function freshDatabase(adminUrl: string, name: string): Promise<string> {
  await withAdmin(adminUrl, async (admin) => {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${name}`);
  });
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

async function dropDatabases(adminUrl: string, names: string[]): Promise<void> {
  await withAdmin(adminUrl, async (admin) => {
    for (const name of names) await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  });
}

/** A database with the schema and the reference workload's initial data (same seed each time). */
async function loadedDatabase(adminUrl: string, name: string): Promise<string> {
  const url = await freshDatabase(adminUrl, name);
  const database = await openDatabase(databaseConfigFor(url, {}));
  try {
    await runLoad(
      { database, cities: REFERENCE_CITIES, clock: () => new Date() },
      { cities: [...REFERENCE_CITIES], ...RUN_DATA, seed: 1, now: NOW, drop: false, skipInit: false },
      new Writable({ write: (_chunk, _enc, cb) => cb() }),
    );
  } finally {
    await database.close();
  }
  return url;
}

/** Runs the real command line; resolves with its stdout. */
function movr(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, "bin", "movr.js"), ...args], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: "" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.on("exit", (code) =>
      code === 0 ? resolve(out) : reject(new Error(`movr ${args[0]} exited ${code}: ${err.trim()}`)),
    );
  });
}

// ---------------------------------------------------------------------------------------------
// The baseline: the same mix, the same statements, raw pg.

class Conflict extends Error {}

const RIDE_COLS =
  '"id", "city", "vehicle_city", "rider_id", "vehicle_id", "start_address", "end_address", "start_time", "end_time", "revenue"';
const USER_COLS =
  '"id", "city", "name", "address", "credit_card", "username", "email", "password_hash", "is_owner", "deactivated_at"';
const VEHICLE_COLS = '"id", "city", "type", "owner_id", "creation_time", "status", "current_location", "ext"';
const PROMO_COLS = '"code", "description", "creation_time", "expiration_time", "rules"';

type Query = (text: string, values?: unknown[]) => Promise<pg.QueryResult>;

const isRetryable = (err: unknown) => ["40001", "40P01"].includes((err as { code?: string }).code ?? "");

class RawDb {
  retries = 0;
  committed = 0;
  constructor(readonly pool: pg.Pool) {}

  /** BEGIN ... COMMIT, re-run on 40001/40P01 with runTransaction's own backoff policy. */
  async tx<T>(readOnly: boolean, fn: (q: Query) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const client = await this.pool.connect();
      let broken = false;
      try {
        await client.query(`begin isolation level serializable ${readOnly ? "read only" : "read write"}`);
        const result = await fn((text, values) => client.query(text, values));
        await client.query("commit");
        this.committed++;
        return result;
      } catch (err) {
        await client.query("rollback").catch(() => (broken = true));
        if (isRetryable(err) && attempt < DEFAULT_RETRY_POLICY.maxAttempts) {
          this.retries++;
          await delay(backoffMs(attempt, DEFAULT_RETRY_POLICY));
          continue;
        }
        if ((err as { code?: string }).code === "23505") throw new Conflict("unique violation");
        throw err;
      } finally {
        client.release(broken);
      }
    }
  }
}

const address = (rng: Rng) => `${rng.int(1, 9999)} Main St`;

async function pickUser(db: RawDb, city: string): Promise<string | undefined> {
  return db.tx(true, async (q) => {
    const after = await q(
      `select ${USER_COLS} from "users" where ("users"."city" = $1 and "users"."deactivated_at" is null and "users"."id" > $2) order by "users"."id" asc limit $3`,
      [city, randomUUID(), 1],
    );
    const row =
      after.rows[0] ??
      (
        await q(
          `select ${USER_COLS} from "users" where ("users"."city" = $1 and "users"."deactivated_at" is null) order by "users"."id" asc limit $2`,
          [city, 1],
        )
      ).rows[0];
    return row?.id as string | undefined;
  });
}

const RAW_OPS: Record<OperationName, (db: RawDb, city: string, rng: Rng) => Promise<void>> = {
  async readVehicles(db, city) {
    await db.tx(true, (q) =>
      q(
        `select ${VEHICLE_COLS} from "vehicles" where "vehicles"."city" = $1 order by "vehicles"."id" asc limit $2`,
        [city, 26],
      ),
    );
  },
  async updateActiveRides(db, city, rng) {
    const active = await db.tx(true, (q) =>
      q(
        `select ${RIDE_COLS} from "rides" where ("rides"."city" = $1 and "rides"."end_time" is null) order by "rides"."start_time" asc, "rides"."id" asc limit $2`,
        [city, 10],
      ),
    );
    for (const ride of active.rows) {
      try {
        await db.tx(false, async (q) => {
          const found = await q(
            `select ${RIDE_COLS} from "rides" where ("rides"."city" = $1 and "rides"."id" = $2)`,
            [city, ride.id],
          );
          if (!found.rows[0] || found.rows[0].end_time) throw new Conflict("ride_already_ended");
          await q(
            `insert into "vehicle_location_histories" ("city", "ride_id", "timestamp", "lat", "long") values ($1, $2, $3, $4, $5)`,
            [city, ride.id, new Date(), rng.int(-90_000, 90_000) / 1000, rng.int(-180_000, 180_000) / 1000],
          );
        });
      } catch (err) {
        if (!(err instanceof Conflict)) throw err;
      }
    }
  },
  async createPromoCode(db, _city, rng) {
    const now = new Date();
    await db.tx(false, (q) =>
      q(
        `insert into "promo_codes" ("code", "description", "creation_time", "expiration_time", "rules") values ($1, $2, $3, $4, $5) returning ${PROMO_COLS}`,
        [
          `PROMO_${randomUUID().replaceAll("-", "").slice(0, 16).toUpperCase()}`,
          "Workload promotion",
          now,
          new Date(now.getTime() + 30 * 86_400_000),
          { type: "percent_discount", value: `${rng.pick([5, 10, 15, 20, 25])}%` },
        ],
      ),
    );
  },
  async applyPromoCode(db, city, rng) {
    const userId = await pickUser(db, city);
    if (!userId) throw new Conflict("no_user");
    const pivot = promoCodePivot(rng);
    const code = await db.tx(true, async (q) => {
      const after = await q(
        `select "code" from "promo_codes" where "promo_codes"."code" > $1 order by "promo_codes"."code" asc limit $2`,
        [pivot, 1],
      );
      const row =
        after.rows[0] ??
        (await q(`select "code" from "promo_codes" order by "promo_codes"."code" asc limit $1`, [1])).rows[0];
      return row?.code as string | undefined;
    });
    if (!code) throw new Conflict("no_promo_code");
    const now = new Date();
    await db.tx(false, async (q) => {
      const user = await q(
        `select ${USER_COLS} from "users" where ("users"."city" = $1 and "users"."id" = $2)`,
        [city, userId],
      );
      if (!user.rows[0] || user.rows[0].deactivated_at) throw new Conflict("not_found");
      const promo = await q(
        `select ${PROMO_COLS}, (SELECT count(*) FROM "user_promo_codes" WHERE "user_promo_codes"."code" = "promo_codes"."code") from "promo_codes" where "promo_codes"."code" = $1`,
        [code],
      );
      if (!promo.rows[0]) throw new Conflict("not_found");
      if (promo.rows[0].expiration_time && promo.rows[0].expiration_time <= now)
        throw new Conflict("promo_code_expired");
      await q(
        `insert into "user_promo_codes" ("city", "user_id", "code", "timestamp", "usage_count") values ($1, $2, $3, $4, $5)`,
        [city, userId, code, now, 0],
      );
    });
  },
  async addUser(db, city, rng) {
    await db.tx(false, (q) =>
      q(
        `insert into "users" ("id", "city", "name", "address", "credit_card", "username", "email", "password_hash", "is_owner", "deactivated_at") values ($1, $2, $3, $4, $5, $6, $7, $8, default, default) returning ${USER_COLS}`,
        [randomUUID(), city, "Alex Smith", address(rng), String(rng.int(1e9, 9.99e9)), null, null, null],
      ),
    );
  },
  async addVehicle(db, city, rng) {
    const ownerId = await pickUser(db, city);
    if (!ownerId) throw new Conflict("no_user");
    const type = rng.pick(VEHICLE_TYPES);
    await db.tx(false, async (q) => {
      const owner = await q(
        `select ${USER_COLS} from "users" where ("users"."city" = $1 and "users"."id" = $2)`,
        [city, ownerId],
      );
      if (!owner.rows[0] || owner.rows[0].deactivated_at) throw new Conflict("not_found");
      await q(
        `insert into "vehicles" ("id", "city", "type", "owner_id", "creation_time", "status", "current_location", "ext") values ($1, $2, $3, $4, $5, $6, $7, $8) returning ${VEHICLE_COLS}`,
        [
          randomUUID(),
          city,
          type,
          ownerId,
          new Date(),
          "available",
          address(rng),
          { color: rng.pick(VEHICLE_COLORS), ...(type === "bike" ? { brand: "Workload Cycles" } : {}) },
        ],
      );
      if (!owner.rows[0].is_owner) {
        await q(`update "users" set "is_owner" = $1 where ("users"."city" = $2 and "users"."id" = $3)`, [
          true,
          city,
          ownerId,
        ]);
      }
    });
  },
  async startRide(db, city) {
    const riderId = await pickUser(db, city);
    if (!riderId) throw new Conflict("no_user");
    const vehicleId = await db.tx(true, async (q) => {
      const after = await q(
        `select ${VEHICLE_COLS} from "vehicles" where ("vehicles"."city" = $1 and "vehicles"."status" = $2 and "vehicles"."id" > $3) order by "vehicles"."id" asc limit $4`,
        [city, "available", randomUUID(), 1],
      );
      const row =
        after.rows[0] ??
        (
          await q(
            `select ${VEHICLE_COLS} from "vehicles" where ("vehicles"."city" = $1 and "vehicles"."status" = $2) order by "vehicles"."id" asc limit $3`,
            [city, "available", 1],
          )
        ).rows[0];
      return row?.id as string | undefined;
    });
    if (!vehicleId) throw new Conflict("no_vehicle_available");
    const now = new Date();
    await db.tx(false, async (q) => {
      const rider = await q(
        `select ${USER_COLS} from "users" where ("users"."city" = $1 and "users"."id" = $2)`,
        [city, riderId],
      );
      if (!rider.rows[0] || rider.rows[0].deactivated_at) throw new Conflict("not_found");
      const claimed = await q(
        `update "vehicles" set "status" = $1 where ("vehicles"."city" = $2 and "vehicles"."id" = $3 and "vehicles"."status" = $4) returning "current_location"`,
        ["in_use", city, vehicleId, "available"],
      );
      if (!claimed.rows[0]) {
        await q(
          `select ${VEHICLE_COLS} from "vehicles" where ("vehicles"."city" = $1 and "vehicles"."id" = $2)`,
          [city, vehicleId],
        );
        throw new Conflict("vehicle_unavailable");
      }
      await q(
        `insert into "rides" ("id", "city", "vehicle_city", "rider_id", "vehicle_id", "start_address", "end_address", "start_time", "end_time", "revenue") values ($1, $2, $3, $4, $5, $6, default, $7, default, default) returning ${RIDE_COLS}`,
        [randomUUID(), city, city, riderId, vehicleId, claimed.rows[0].current_location, now],
      );
      await q(
        `update "user_promo_codes" set "usage_count" = coalesce("user_promo_codes"."usage_count", 0) + 1 where ("user_promo_codes"."city" = $1 and "user_promo_codes"."user_id" = $2 and exists (select "code" from "promo_codes" where ("promo_codes"."code" = "user_promo_codes"."code" and ("promo_codes"."expiration_time" is null or "promo_codes"."expiration_time" > $3))))`,
        [city, riderId, now],
      );
    });
  },
  async endRide(db, city, rng) {
    const oldest = await db.tx(true, (q) =>
      q(
        `select ${RIDE_COLS} from "rides" where ("rides"."city" = $1 and "rides"."end_time" is null) order by "rides"."start_time" asc, "rides"."id" asc limit $2`,
        [city, 1],
      ),
    );
    const rideId = oldest.rows[0]?.id as string | undefined;
    if (!rideId) throw new Conflict("no_active_ride");
    const now = new Date();
    const location = address(rng);
    await db.tx(false, async (q) => {
      // The one read of endRide (findRideToEnd): ride, vehicle type and valid promo rules.
      const ride = (
        await q(
          `select "rides"."id", "rides"."city", "rides"."vehicle_city", "rides"."rider_id", "rides"."vehicle_id", "rides"."start_address", "rides"."end_address", "rides"."start_time", "rides"."end_time", "rides"."revenue", "vehicles"."type", (SELECT json_agg("promo_codes"."rules") FROM "user_promo_codes" INNER JOIN "promo_codes" ON "promo_codes"."code" = "user_promo_codes"."code" WHERE "user_promo_codes"."city" = "rides"."city" AND "user_promo_codes"."user_id" = "rides"."rider_id" AND ("promo_codes"."expiration_time" IS NULL OR "promo_codes"."expiration_time" > $1)) AS rules from "rides" left join "vehicles" on ("vehicles"."city" = "rides"."vehicle_city" and "vehicles"."id" = "rides"."vehicle_id") where ("rides"."city" = $2 and "rides"."id" = $3)`,
          [now.toISOString(), city, rideId],
        )
      ).rows[0];
      if (!ride) throw new Conflict("not_found");
      if (ride.end_time) throw new Conflict("ride_already_ended");
      const rules = (ride.rules ?? []) as { type?: string; value?: string }[];
      const best = maxOf(
        rules.map((r) => (r?.type === "percent_discount" ? (parsePercent(r.value) ?? 0) : 0)),
        0,
      );
      const startedAt: Date = ride.start_time ?? now;
      const endTime = now < startedAt ? startedAt : now;
      const fare = computeFare(ride.type ?? null, startedAt, endTime, best);
      const ended = await q(
        `update "rides" set "end_address" = $1, "end_time" = $2, "revenue" = $3 where ("rides"."city" = $4 and "rides"."id" = $5 and "rides"."end_time" is null) returning ${RIDE_COLS}`,
        [location, endTime, centsToDecimal(fare.cents), city, rideId],
      );
      if (!ended.rows[0]) throw new Conflict("ride_already_ended");
      if (ride.vehicle_id) {
        await q(
          `update "vehicles" set "status" = $1, "current_location" = $2 where ("vehicles"."city" = $3 and "vehicles"."id" = $4 and "vehicles"."status" = $5) returning "current_location"`,
          ["available", location, city, ride.vehicle_id, "in_use"],
        );
      }
    });
  },
};

/** The reference mix over raw pg, for `seconds`, with CONCURRENCY workers. */
async function runBaseline(
  url: string,
  seconds: number,
): Promise<{ stats: WorkloadStats; elapsedMs: number; db: RawDb }> {
  const pool = new pg.Pool({ connectionString: url, max: CONCURRENCY });
  pool.on("error", () => undefined);
  const db = new RawDb(pool);
  const stats = new WorkloadStats(OPERATIONS);
  const stopAt = performance.now() + seconds * 1000;
  const started = performance.now();
  const perform = async (op: OperationName, city: string, rng: Rng) => {
    const t0 = performance.now();
    try {
      await RAW_OPS[op](db, city, rng);
      stats.op(op).recordOk(performance.now() - t0);
    } catch (err) {
      if (err instanceof Conflict) stats.op(op).recordConflict(err.message);
      else {
        stats.op(op).recordError(false);
        stats.recordErrorState((err as { code?: string }).code ?? "other");
      }
    }
  };
  const worker = async (index: number) => {
    const rng = new Rng(1_000_003 + index + 1);
    while (performance.now() < stopAt) {
      const city = rng.pick(REFERENCE_CITIES);
      if (rng.next() * 100 < READ_PERCENT) {
        await perform("readVehicles", city, rng);
        continue;
      }
      await perform("updateActiveRides", city, rng);
      await perform(pickWrite(rng), city, rng);
    }
  };
  try {
    await Promise.all(Array.from({ length: CONCURRENCY }, (_, i) => worker(i)));
  } finally {
    await pool.end();
  }
  return { stats, elapsedMs: performance.now() - started, db };
}

// ---------------------------------------------------------------------------------------------
// COPY baseline of the load

/** COPY text format: tab-separated, \N for NULL, backslash escapes. */
function copyField(value: unknown): string {
  if (value === null || value === undefined) return "\\N";
  const text =
    value instanceof Date
      ? value.toISOString()
      : typeof value === "object"
        ? JSON.stringify(value)
        : String(value);
  return text.replace(/\\/g, "\\\\").replace(/\t/g, "\\t").replace(/\n/g, "\\n").replace(/\r/g, "\\r");
}

async function copyRows(
  client: pg.PoolClient | pg.Client,
  table: string,
  columns: string[],
  rows: unknown[][],
): Promise<void> {
  const stream = client.query(copyFrom(`COPY ${table} (${columns.join(", ")}) FROM STDIN`));
  // Chunks of 1,000 rows: one small write per row would measure the stream, not COPY.
  const lines = (function* () {
    for (let i = 0; i < rows.length; i += 1000) {
      yield rows
        .slice(i, i + 1000)
        .map((row) => `${row.map(copyField).join("\t")}\n`)
        .join("");
    }
  })();
  await pipeline(Readable.from(lines), stream);
}

async function copyLoad(url: string, options: GenerateOptions): Promise<{ rows: number; ms: number }> {
  const database = await openDatabase(databaseConfigFor(url, {}));
  try {
    await migrate(database);
  } finally {
    await database.close();
  }
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const started = performance.now();
    const d = generate(options);
    await copyRows(
      client,
      "users",
      ["id", "city", "name", "address", "credit_card", "is_owner"],
      d.users.map((u) => [u.id, u.city, u.name, u.address, u.creditCard, u.isOwner]),
    );
    await copyRows(
      client,
      "vehicles",
      ["id", "city", "type", "owner_id", "creation_time", "status", "current_location", "ext"],
      d.vehicles.map((v) => [
        v.id,
        v.city,
        v.type,
        v.ownerId,
        v.creationTime,
        v.status,
        v.currentLocation,
        v.ext,
      ]),
    );
    await copyRows(
      client,
      "rides",
      [
        "id",
        "city",
        "vehicle_city",
        "rider_id",
        "vehicle_id",
        "start_address",
        "end_address",
        "start_time",
        "end_time",
        "revenue",
      ],
      d.rides.map((r) => [
        r.id,
        r.city,
        r.vehicleCity,
        r.riderId,
        r.vehicleId,
        r.startAddress,
        r.endAddress,
        r.startTime,
        r.endTime,
        r.revenue,
      ]),
    );
    await copyRows(
      client,
      "vehicle_location_histories",
      ["city", "ride_id", '"timestamp"', "lat", "long"],
      d.histories.map((h) => [h.city, h.rideId, h.timestamp, h.lat, h.long]),
    );
    await copyRows(
      client,
      "promo_codes",
      ["code", "description", "creation_time", "expiration_time", "rules"],
      d.promoCodes.map((p) => [p.code, p.description, p.creationTime, p.expirationTime, p.rules]),
    );
    const ms = performance.now() - started;
    const rows =
      d.users.length + d.vehicles.length + d.rides.length + d.histories.length + d.promoCodes.length;
    return { rows, ms };
  } finally {
    await client.end();
  }
}

// ---------------------------------------------------------------------------------------------

const f1 = (n: number) => n.toFixed(1);
const ratio = (ours: number, base: number) => (base > 0 ? (ours / base).toFixed(2) : "-");

export async function runWorkloadBench(): Promise<void> {
  const adminUrl = process.env.MOVR_BENCH_DATABASE_URL || DEFAULT_URL;
  const seconds = Number(process.env.MOVR_BENCH_SECONDS) || 30;
  const names = ["movr_bench_run_ours", "movr_bench_run_raw", "movr_bench_load_ours", "movr_bench_load_copy"];
  try {
    // 1. movr run against raw pg.
    const oursUrl = await loadedDatabase(adminUrl, names[0]!);
    const rawUrl = await loadedDatabase(adminUrl, names[1]!);
    console.log(
      `Workload bench: movr run vs the same SQL mix on raw pg, concurrency ${CONCURRENCY}, ${READ_PERCENT}% reads, ${seconds} s each, on ${new URL(adminUrl).host}`,
    );
    const out = await movr([
      "run",
      "--url",
      oursUrl,
      "--concurrency",
      String(CONCURRENCY),
      "--duration",
      `${seconds}s`,
      "--read-percent",
      String(READ_PERCENT),
      "--display-format",
      "json",
    ]);
    const objects = out
      .trim()
      .split("\n")
      .map(
        (l) =>
          JSON.parse(l) as { type: string } & Partial<OperationSummary> & {
              transactions?: { retries: number };
            },
      );
    const ours = new Map(objects.filter((o) => o.type === "summary").map((o) => [o.op!, o]));
    const oursTotal = objects.find((o) => o.type === "total")!;
    const oursResult = objects.find((o) => o.type === "result")!;
    const raw = await runBaseline(rawUrl, seconds);
    const rawElapsedS = raw.elapsedMs / 1000;

    const header = `${"operation".padEnd(18)} ${"movr ops/s".padStart(11)} ${"p99 ms".padStart(8)} ${"raw ops/s".padStart(11)} ${"p99 ms".padStart(8)} ${"ratio".padStart(6)}`;
    console.log(header);
    for (const op of OPERATIONS) {
      const o = ours.get(op);
      const r = raw.stats.op(op);
      const rl = summarize(r.cumulative);
      const rawOps = r.ok / rawElapsedS;
      console.log(
        `${op.padEnd(18)} ${f1(o?.opsPerSec ?? 0).padStart(11)} ${f1(o?.p99Ms ?? 0).padStart(8)} ${f1(rawOps).padStart(11)} ${f1(rl.p99Ms).padStart(8)} ${ratio(o?.opsPerSec ?? 0, rawOps).padStart(6)}`,
      );
    }
    const rawTotal = raw.stats.total();
    const rawTotalOps = rawTotal.ok / rawElapsedS;
    console.log(
      `${"total".padEnd(18)} ${f1(oursTotal.opsPerSec ?? 0).padStart(11)} ${f1(oursTotal.p99Ms ?? 0).padStart(8)} ${f1(rawTotalOps).padStart(11)} ${f1(rawTotal.p99Ms).padStart(8)} ${ratio(oursTotal.opsPerSec ?? 0, rawTotalOps).padStart(6)}`,
    );
    console.log(
      `retries after 40001/40P01: movr ${oursResult.transactions?.retries ?? 0}, raw ${raw.db.retries}; raw errors: ${rawTotal.errors}; movr errors: ${oursTotal.errors ?? 0}`,
    );

    // 2. movr load against COPY, the same 100,000 rows.
    const loadUrl = await freshDatabase(adminUrl, names[2]!);
    const copyUrl = await freshDatabase(adminUrl, names[3]!);
    const loadOut = await movr([
      "load",
      "--url",
      loadUrl,
      "--num-users",
      String(LOAD_DATA.users),
      "--num-vehicles",
      String(LOAD_DATA.vehicles),
      "--num-rides",
      String(LOAD_DATA.rides),
      "--num-histories",
      String(LOAD_DATA.histories),
      "--num-promo-codes",
      String(LOAD_DATA.promoCodes),
      "--seed",
      "1",
      "--now",
      NOW.toISOString(),
    ]);
    const m = /^Loaded ([\d,]+) rows .* in ([\d.]+) s \(([\d,]+) rows\/s\)/m.exec(loadOut);
    if (!m) throw new Error(`unexpected movr load output:\n${loadOut}`);
    const loadRows = Number(m[1]!.replaceAll(",", ""));
    const loadRate = Number(m[3]!.replaceAll(",", ""));
    const copy = await copyLoad(copyUrl, { cities: REFERENCE_CITIES, ...LOAD_DATA, seed: 1, now: NOW });
    const copyRate = (copy.rows * 1000) / copy.ms;
    console.log(
      `movr load: ${loadRows.toLocaleString("en-US")} rows in ${m[2]} s (${Math.round(loadRate).toLocaleString("en-US")} rows/s, bulk INSERTs of 500 rows (unnest), 4 in flight); ` +
        `COPY FROM STDIN (pg-copy-streams, one connection): ${copy.rows.toLocaleString("en-US")} rows in ${(copy.ms / 1000).toFixed(1)} s (${Math.round(copyRate).toLocaleString("en-US")} rows/s); ratio ${ratio(loadRate, copyRate)}`,
    );
  } finally {
    await dropDatabases(adminUrl, names);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runWorkloadBench().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
