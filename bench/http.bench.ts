// HTTP benchmark: our Fastify app against a bare node:http + `pg` server issuing the same SQL
// (same statements, same transactions), on the PostgreSQL server. The ratio is what the
// framework, validation, serialization, Drizzle and our layering cost per request.
//
//   npx tsx bench/http.bench.ts   (optional: MOVR_BENCH_DATABASE_URL, MOVR_BENCH_SECONDS,
//                                  MOVR_BENCH_CONNECTIONS, MOVR_BENCH_DEBUG=1 to print failures)
//
// Each server runs in a child process of its own, so its peak RSS is its own and autocannon
// does not share its event loop.
import { fork, type ChildProcess } from "node:child_process";
import { createHash, randomUUID } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as delay } from "node:timers/promises";
import { fileURLToPath, pathToFileURL } from "node:url";
import type autocannon from "autocannon";
import pg from "pg";
import type { AuthContext } from "../src/auth/auth.service.ts";
import type { AppConfig } from "../src/config.ts";
import { centsToDecimal, computeFare } from "../src/rides/ride.fare.ts";
import { maxOf } from "../src/shared/arrays.ts";

// Everything else is imported where it is used: the baseline server must load no more than
// node:http and pg, or its RSS would measure our modules too.
const loadAutocannon = async () => (await import("autocannon")).default;

const DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/postgres";
const DB_NAME = "movr_bench_http";
const LIST_CITY = "new york";
const RIDE_CITY = "boston";
const CONNECTIONS = Number(process.env.MOVR_BENCH_CONNECTIONS) || 16;
const POOL_MAX = 10;
const WARMUP_SECONDS = 2;
const SERVE_FLAG = "--serve";
const SECRET = "bench-secret-".padEnd(40, "x");

type Kind = "ours" | "baseline";

interface Pair {
  token: string;
  vehicleId: string;
}

interface Measured {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  failures: number;
}

interface ServerStats {
  maxRssKb: number;
  /** Transactions re-run after a serialization failure, and those given up on. */
  retries: number;
  exhausted: number;
}

interface ServerHandle {
  url: string;
  stats(): Promise<ServerStats>;
  stop(): Promise<void>;
}

async function serverConfig(url: string): Promise<AppConfig> {
  const { loadConfig } = await import("../src/config.ts");
  return loadConfig({
    DATABASE_URL: url,
    SESSION_SECRET: SECRET,
    LOG_LEVEL: "silent",
    LOGIN_RATE_LIMIT_PER_MINUTE: "10000",
    DB_POOL_MAX: String(POOL_MAX),
  });
}

// ---------------------------------------------------------------------------------------------
// The parent: data, servers, load, report.

export async function runHttpBench(): Promise<void> {
  const adminUrl = process.env.MOVR_BENCH_DATABASE_URL || DEFAULT_URL;
  const seconds = Number(process.env.MOVR_BENCH_SECONDS) || 10;
  const { createContext } = await import("../src/app-context.ts");
  const { REFERENCE_CITIES } = await import("../src/cities/region.config.ts");
  const { openDatabase } = await import("../src/db/database.ts");
  const { migrate } = await import("../src/db/migrate.ts");
  const { endRide, listActiveRides } = await import("../src/rides/ride.service.ts");
  const { DomainError } = await import("../src/shared/errors.ts");
  const { loadData } = await import("../src/workload/load.service.ts");
  const url = await freshDatabase(adminUrl);
  const config = await serverConfig(url);
  const database = await openDatabase(config.database);
  try {
    await migrate(database);
    const ctx = createContext(config, database);
    const started = Date.now();
    await loadData(ctx, {
      cities: REFERENCE_CITIES,
      users: 450,
      vehicles: 450,
      rides: 2000,
      histories: 2000,
      promoCodes: 100,
      seed: 42,
      now: new Date(),
    });
    const pairs = await makeRiders(ctx, CONNECTIONS * 3);
    const riderIds = new Set(pairs.map((p) => p.riderId));
    console.log(
      `HTTP bench: ${database.description}, ${CONNECTIONS} connections, ${seconds} s per phase, best of ${Number(process.env.MOVR_BENCH_ROUNDS) || 2} alternating rounds ` +
        `(data ready in ${((Date.now() - started) / 1000).toFixed(1)} s)`,
    );
    // Ends the rides a stopped load run left open, so the next run finds every pair free.
    const settle = async () => {
      await delay(500);
      for (const ride of await listActiveRides(ctx, RIDE_CITY, 1000)) {
        if (ride.riderId && riderIds.has(ride.riderId)) {
          // A request still in flight when the load stopped may end it first.
          await endRide(ctx, { city: RIDE_CITY, rideId: ride.id, location: "depot", actor: "system" }).catch(
            (err: unknown) => {
              if (!(err instanceof DomainError && err.code === "ride_already_ended")) throw err;
            },
          );
        }
      }
    };

    const results: Record<Kind, { list: Measured; rides: Measured; server: ServerStats }> = {} as never;
    // Alternating rounds, best of each: on a 2-core machine one 10 s phase can land on a busy
    // moment (autovacuum, the other process), and alternating spreads that over both servers.
    const rounds = Number(process.env.MOVR_BENCH_ROUNDS) || 2;
    const order = Array.from({ length: rounds }, () => ["baseline", "ours"] as const).flat();
    for (const kind of order) {
      const server = await startServer(kind, url);
      try {
        await listLoad(server.url, WARMUP_SECONDS);
        const list = await listLoad(server.url, seconds);
        await ridePairs(server.url, pairs, WARMUP_SECONDS);
        await settle();
        const rides = await ridePairs(server.url, pairs, seconds);
        await settle();
        const stats = await server.stats();
        const prev = results[kind];
        results[kind] = {
          list: prev && prev.list.requestsPerSecond > list.requestsPerSecond ? prev.list : list,
          rides: prev && prev.rides.requestsPerSecond > rides.requestsPerSecond ? prev.rides : rides,
          server: {
            ...stats,
            maxRssKb: Math.max(stats.maxRssKb, prev?.server.maxRssKb ?? 0),
            retries: stats.retries + (prev?.server.retries ?? 0),
            exhausted: stats.exhausted + (prev?.server.exhausted ?? 0),
          },
        };
      } finally {
        await server.stop();
      }
    }
    report(results);
  } finally {
    await database.close();
    await dropDatabase(adminUrl);
  }
}

async function freshDatabase(adminUrl: string): Promise<string> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${DB_NAME} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${DB_NAME}`);
  } finally {
    await admin.end();
  }
  const u = new URL(adminUrl);
  u.pathname = `/${DB_NAME}`;
  return u.toString();
}

async function dropDatabase(adminUrl: string): Promise<void> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${DB_NAME} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

/** One rider (logged in, bearer token) and one vehicle per pair, all in RIDE_CITY. */
async function makeRiders(ctx: AuthContext, count: number): Promise<(Pair & { riderId: string })[]> {
  const { login, register } = await import("../src/auth/auth.service.ts");
  const { addUser } = await import("../src/users/user.service.ts");
  const { addVehicle } = await import("../src/vehicles/vehicle.service.ts");
  const owner = await addUser(ctx, { city: RIDE_CITY, name: "Bench Owner" });
  const pairs: (Pair & { riderId: string })[] = [];
  for (let i = 0; i < count; i++) {
    const username = `bench_${i}_${randomUUID().slice(0, 6)}`;
    const password = "bench password";
    const rider = await register(ctx, {
      city: RIDE_CITY,
      name: `Bench Rider ${i}`,
      username,
      email: `${username}@example.com`,
      password,
    });
    const { token } = await login(ctx, { username, password });
    const vehicle = await addVehicle(ctx, {
      ownerCity: RIDE_CITY,
      ownerId: owner.id,
      type: "scooter",
      location: `${i} Bench St`,
      color: "black",
    });
    pairs.push({ token, vehicleId: vehicle.id, riderId: rider.id });
  }
  return pairs;
}

function summarize(result: autocannon.Result, failures: number): Measured {
  return {
    requestsPerSecond: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    failures: failures + result.errors + result.timeouts,
  };
}

async function listLoad(base: string, seconds: number): Promise<Measured> {
  const result = await (
    await loadAutocannon()
  )({
    url: `${base}/api/v1/cities/${encodeURIComponent(LIST_CITY)}/vehicles?limit=25`,
    connections: CONNECTIONS,
    duration: seconds,
  });
  return summarize(result, result.non2xx);
}

/**
 * Start-ride / end-ride pairs. A pair (rider + vehicle) is taken from a shared pool when a
 * connection starts a ride and returned when it ends it, so pairs repeat for as long as the run
 * lasts and no two connections ever hold the same rider or vehicle.
 */
async function ridePairs(base: string, pairs: Pair[], seconds: number): Promise<Measured> {
  const free = [...pairs];
  let failures = 0;
  interface Ctx {
    pair?: Pair;
    rideId?: string;
  }
  const json = (pair: Pair) => ({
    "content-type": "application/json",
    authorization: `Bearer ${pair.token}`,
  });
  const result = await (
    await loadAutocannon()
  )({
    url: base,
    connections: CONNECTIONS,
    duration: seconds,
    requests: [
      {
        method: "POST",
        path: "/api/v1/rides",
        setupRequest: (req, context) => {
          const c = context as Ctx;
          // Out of pairs (too many sat out): reuse a busy one; it fails with a 409, counted.
          const pair = free.pop() ?? pairs[Math.floor(Math.random() * pairs.length)]!;
          c.pair = pair;
          return {
            ...req,
            headers: json(pair),
            body: JSON.stringify({ city: RIDE_CITY, vehicleId: pair.vehicleId }),
          };
        },
        onResponse: (status, body, context) => {
          const c = context as Ctx;
          if (status === 201) {
            c.rideId = (JSON.parse(body) as { ride: { id: string } }).ride.id;
          } else {
            failures++;
            if (process.env.MOVR_BENCH_DEBUG) console.log("start failed:", status, body.slice(0, 160));
            // A 409 means the pair is in a state the next run cannot use; anything else
            // (503: retries exhausted) rolled back, so the pair is as good as before.
            if (c.pair && status !== 409) free.push(c.pair);
            c.pair = undefined;
          }
        },
      },
      {
        method: "POST",
        setupRequest: (req, context) => {
          const c = context as Ctx;
          // A failed start: skip the end and start over (autocannon restarts on a falsy return).
          if (!c.rideId || !c.pair) return undefined as unknown as autocannon.Request;
          return {
            ...req,
            path: `/api/v1/cities/${encodeURIComponent(RIDE_CITY)}/rides/${c.rideId}/end`,
            headers: json(c.pair),
            body: JSON.stringify({ location: "2 Bench St" }),
          };
        },
        onResponse: (status, _body, context) => {
          const c = context as Ctx;
          // A ride that failed to end stays active: its pair sits out until settle() ends it.
          if (status !== 200) failures++;
          else if (c.pair) free.push(c.pair);
          c.pair = undefined;
        },
      },
    ],
  });
  return summarize(result, failures);
}

function report(results: Record<Kind, { list: Measured; rides: Measured; server: ServerStats }>): void {
  const rows: string[][] = [["", "", "ours", "baseline", "ours/baseline"]];
  const add = (phase: string, metric: string, ours: number, base: number, digits: number) =>
    rows.push([phase, metric, ours.toFixed(digits), base.toFixed(digits), (ours / base).toFixed(2)]);
  for (const [phase, key] of [
    ["GET vehicles (25 rows)", "list"],
    ["start+end ride", "rides"],
  ] as const) {
    const o = results.ours[key];
    const b = results.baseline[key];
    add(phase, "requests/s", o.requestsPerSecond, b.requestsPerSecond, 0);
    add("", "p50 ms", o.p50, b.p50, 1);
    add("", "p99 ms", o.p99, b.p99, 1);
    rows.push(["", "failed requests", String(o.failures), String(b.failures), ""]);
  }
  const o = results.ours.server;
  const b = results.baseline.server;
  add("server", "peak RSS MB", o.maxRssKb / 1024, b.maxRssKb / 1024, 0);
  rows.push(["", "tx retries (40001)", String(o.retries), String(b.retries), ""]);
  rows.push(["", "tx given up", String(o.exhausted), String(b.exhausted), ""]);
  const widths = rows[0]!.map((_, i) => maxOf(rows.map((r) => r[i]!.length)));
  for (const r of rows)
    console.log(r.map((cell, i) => (i < 2 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join("  "));
}

/** Forks this file as a server of the given kind; resolves once it listens. */
async function startServer(kind: Kind, databaseUrl: string): Promise<ServerHandle> {
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), [SERVE_FLAG, kind, databaseUrl], {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once("message", (m) => resolve((m as { port: number }).port));
    child.once("exit", (code) => reject(new Error(`the ${kind} server exited with code ${code}`)));
  });
  const ask = <T>(message: string) =>
    new Promise<T>((resolve) => {
      child.once("message", (m) => resolve(m as T));
      child.send(message);
    });
  return {
    url: `http://127.0.0.1:${port}`,
    stats: () => ask<ServerStats>("stats"),
    stop: async () => {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.send("stop");
      await exited;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The children: our app, or the bare baseline.

async function serve(kind: Kind, databaseUrl: string): Promise<void> {
  let close: () => Promise<void>;
  let txStats: () => { retries: number; exhausted: number } = () => baselineStats;
  let port: number;
  if (kind === "ours") {
    const { createContext } = await import("../src/app-context.ts");
    const { openDatabase } = await import("../src/db/database.ts");
    const { buildApp } = await import("../src/web/app.ts");
    const config = await serverConfig(databaseUrl);
    const database = await openDatabase(config.database);
    txStats = () => database.stats;
    const app = await buildApp({ config, ctx: createContext(config, database), logger: false });
    await app.listen({ host: "127.0.0.1", port: 0 });
    port = (app.server.address() as AddressInfo).port;
    close = async () => {
      await app.close();
      await database.close();
    };
  } else {
    const pool = new pg.Pool({ connectionString: databaseUrl, max: POOL_MAX });
    const server = http.createServer((req, res) => void baselineHandle(pool, req, res));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as AddressInfo).port;
    close = async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await pool.end();
    };
  }
  process.on("message", (m) => {
    if (m === "stats") process.send!({ maxRssKb: process.resourceUsage().maxRSS, ...txStats() });
    if (m === "stop") void close().then(() => process.exit(0));
  });
  process.send!({ port });
}

// The baseline: the statements our services issue (captured from Drizzle), written out by hand.
const USER_COLS = `"users"."id", "users"."city", "users"."name", "users"."address", "users"."credit_card", "users"."username", "users"."email", "users"."password_hash", "users"."is_owner", "users"."deactivated_at"`;
const VEHICLE_COLS = `"id", "city", "type", "owner_id", "creation_time", "status", "current_location", "ext"`;
const RIDE_COLS = `"id", "city", "vehicle_city", "rider_id", "vehicle_id", "start_address", "end_address", "start_time", "end_time", "revenue"`;
const SQL = {
  session: `select ${USER_COLS} from "sessions" inner join "users" on ("users"."city" = "sessions"."user_city" and "users"."id" = "sessions"."user_id") where ("sessions"."token_hash" = $1 and "sessions"."revoked_at" is null and "sessions"."expires_at" > $2 and "users"."deactivated_at" is null)`,
  listVehicles: `select ${VEHICLE_COLS} from "vehicles" where "vehicles"."city" = $1 order by "vehicles"."id" asc limit $2`,
  findUser: `select "id", "city", "name", "address", "credit_card", "username", "email", "password_hash", "is_owner", "deactivated_at" from "users" where ("users"."city" = $1 and "users"."id" = $2)`,
  findVehicle: `select ${VEHICLE_COLS} from "vehicles" where ("vehicles"."city" = $1 and "vehicles"."id" = $2)`,
  changeStatus: `update "vehicles" set "status" = $1 where ("vehicles"."city" = $2 and "vehicles"."id" = $3 and "vehicles"."status" = $4) returning "current_location"`,
  insertRide: `insert into "rides" (${RIDE_COLS}) values ($1, $2, $3, $4, $5, $6, default, $7, default, default) returning ${RIDE_COLS}`,
  rideToEnd: `select "rides"."id", "rides"."city", "rides"."vehicle_city", "rides"."rider_id", "rides"."vehicle_id", "rides"."start_address", "rides"."end_address", "rides"."start_time", "rides"."end_time", "rides"."revenue", "vehicles"."type", (SELECT json_agg("promo_codes"."rules") FROM "user_promo_codes" INNER JOIN "promo_codes" ON "promo_codes"."code" = "user_promo_codes"."code" WHERE "user_promo_codes"."city" = "rides"."city" AND "user_promo_codes"."user_id" = "rides"."rider_id" AND ("promo_codes"."expiration_time" IS NULL OR "promo_codes"."expiration_time" > $1)) AS rules from "rides" left join "vehicles" on ("vehicles"."city" = "rides"."vehicle_city" and "vehicles"."id" = "rides"."vehicle_id") where ("rides"."city" = $2 and "rides"."id" = $3)`,
  finishRide: `update "rides" set "end_address" = $1, "end_time" = $2, "revenue" = $3 where ("rides"."city" = $4 and "rides"."id" = $5 and "rides"."end_time" is null) returning ${RIDE_COLS}`,
  moveBack: `update "vehicles" set "status" = $1, "current_location" = $2 where ("vehicles"."city" = $3 and "vehicles"."id" = $4 and "vehicles"."status" = $5) returning "current_location"`,
  countCodeUse: `update "user_promo_codes" set "usage_count" = coalesce("user_promo_codes"."usage_count", 0) + 1 where ("user_promo_codes"."city" = $1 and "user_promo_codes"."user_id" = $2 and exists (select "code" from "promo_codes" where ("promo_codes"."code" = "user_promo_codes"."code" and ("promo_codes"."expiration_time" is null or "promo_codes"."expiration_time" > $3))))`,
};

type Row = Record<string, unknown>;
const baselineStats = { retries: 0, exhausted: 0 };
class HttpFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
  ) {
    super(code);
  }
}

/** BEGIN ... COMMIT as Drizzle issues them, re-run on a serialization failure. */
async function tx<T>(pool: pg.Pool, mode: "read only" | "read write", fn: (c: pg.PoolClient) => Promise<T>) {
  for (let attempt = 1; ; attempt++) {
    const client = await pool.connect();
    try {
      await client.query(`begin isolation level serializable ${mode}`);
      const result = await fn(client);
      await client.query("commit");
      return result;
    } catch (err) {
      await client.query("rollback").catch(() => undefined);
      const state = (err as { code?: string }).code;
      if (state !== "40001" && state !== "40P01") throw err;
      if (attempt >= 10) {
        baselineStats.exhausted++;
        throw err;
      }
      baselineStats.retries++;
      await delay(Math.random() * 5 * 2 ** attempt);
    } finally {
      client.release();
    }
  }
}

const iso = (d: unknown) => (d instanceof Date ? d.toISOString() : null);
const rideOut = (r: Row) => {
  const start = r.start_time as Date | null;
  const end = r.end_time as Date | null;
  return {
    id: r.id,
    city: r.city,
    vehicleId: r.vehicle_id,
    riderId: r.rider_id,
    startLocation: r.start_address,
    endLocation: r.end_address,
    startedAt: iso(start),
    endedAt: iso(end),
    durationSeconds: start && end ? Math.floor((end.getTime() - start.getTime()) / 1000) : null,
    revenue: r.revenue,
  };
};

async function readBody(req: http.IncomingMessage): Promise<Row> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return chunks.length ? (JSON.parse(Buffer.concat(chunks).toString("utf8")) as Row) : {};
}

async function authenticate(pool: pg.Pool, req: http.IncomingMessage): Promise<Row> {
  const token = req.headers.authorization?.slice(7) ?? "";
  const hash = createHash("sha256").update(token).digest("hex");
  const rows = await tx(
    pool,
    "read only",
    async (c) => (await c.query(SQL.session, [hash, new Date().toISOString()])).rows,
  );
  if (!rows[0]) throw new HttpFailure(401, "unauthenticated");
  return rows[0] as Row;
}

async function baselineHandle(
  pool: pg.Pool,
  req: http.IncomingMessage,
  res: http.ServerResponse,
): Promise<void> {
  const send = (status: number, body?: unknown) => {
    const text = body === undefined ? "" : JSON.stringify(body);
    res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
    res.end(text);
  };
  try {
    const url = new URL(req.url ?? "/", "http://localhost");
    const parts = url.pathname.split("/").map(decodeURIComponent);
    // ["", "api", "v1", ...]
    if (req.method === "GET" && parts[3] === "cities" && parts[5] === "vehicles" && parts.length === 6) {
      const limit = Number(url.searchParams.get("limit") ?? 25);
      const rows = await tx(
        pool,
        "read only",
        async (c) => (await c.query(SQL.listVehicles, [parts[4], limit + 1])).rows,
      );
      const page = rows.slice(0, limit) as Row[];
      const last = page[page.length - 1];
      return send(200, {
        vehicles: page.map((v) => {
          const ext = (v.ext ?? {}) as { color?: string; brand?: string };
          return {
            id: v.id,
            city: v.city,
            type: v.type,
            ownerId: v.owner_id,
            status: v.status,
            location: v.current_location,
            color: ext.color ?? null,
            brand: ext.brand ?? null,
            createdAt: iso(v.creation_time),
          };
        }),
        next:
          rows.length > limit && last ? Buffer.from(JSON.stringify([last.id])).toString("base64url") : null,
      });
    }
    if (req.method === "POST" && url.pathname === "/api/v1/rides") {
      const body = await readBody(req);
      const user = await authenticate(pool, req);
      const city = String(body.city);
      const vehicleId = String(body.vehicleId);
      const id = randomUUID();
      const now = new Date().toISOString();
      const ride = await tx(pool, "read write", async (c) => {
        const rider = (await c.query(SQL.findUser, [city, user.id])).rows[0] as Row | undefined;
        if (!rider) throw new HttpFailure(400, "invalid_request");
        const changed = await c.query(SQL.changeStatus, ["in_use", city, vehicleId, "available"]);
        if (changed.rowCount !== 1) {
          if (!(await c.query(SQL.findVehicle, [city, vehicleId])).rows[0])
            throw new HttpFailure(404, "not_found");
          throw new HttpFailure(409, "vehicle_unavailable");
        }
        const inserted = await c
          .query(SQL.insertRide, [
            id,
            city,
            city,
            user.id,
            vehicleId,
            (changed.rows[0] as Row).current_location,
            now,
          ])
          .catch((err: unknown) => {
            if ((err as { constraint?: string }).constraint === "rides_one_active_per_rider")
              throw new HttpFailure(409, "already_riding");
            throw err;
          });
        await c.query(SQL.countCodeUse, [city, user.id, now]);
        return inserted.rows[0] as Row;
      });
      return send(201, { ride: rideOut(ride) });
    }
    if (req.method === "POST" && parts[3] === "cities" && parts[5] === "rides" && parts[7] === "end") {
      const body = await readBody(req);
      const user = await authenticate(pool, req);
      const [city, rideId] = [parts[4]!, parts[6]!];
      const location = String(body.location);
      const now = new Date();
      const ride = await tx(pool, "read write", async (c) => {
        const found = (await c.query(SQL.rideToEnd, [now.toISOString(), city, rideId])).rows[0] as
          Row | undefined;
        if (!found) throw new HttpFailure(404, "not_found");
        if (found.rider_id !== user.id) throw new HttpFailure(403, "forbidden");
        if (found.end_time) throw new HttpFailure(409, "ride_already_ended");
        const started = (found.start_time as Date | null) ?? now;
        const fare = computeFare(
          (found.type as "scooter" | null) ?? null,
          started,
          now < started ? started : now,
        );
        const ended = await c.query(SQL.finishRide, [
          location,
          now.toISOString(),
          centsToDecimal(fare.cents),
          city,
          rideId,
        ]);
        if (found.vehicle_id)
          await c.query(SQL.moveBack, ["available", location, city, found.vehicle_id, "in_use"]);
        return ended.rows[0] as Row;
      });
      return send(200, { ride: rideOut(ride) });
    }
    send(404, { error: { code: "not_found", message: "No such route." } });
  } catch (err) {
    if (err instanceof HttpFailure) send(err.status, { error: { code: err.code, message: err.code } });
    else {
      if (process.env.MOVR_BENCH_DEBUG) console.error(err);
      send(500, { error: { code: "internal", message: "Something went wrong." } });
    }
  }
}

// ---------------------------------------------------------------------------------------------

const serveAt = process.argv.indexOf(SERVE_FLAG);
if (serveAt >= 0) {
  const kind = process.argv[serveAt + 1] as Kind;
  const databaseUrl = process.argv[serveAt + 2]!;
  serve(kind, databaseUrl).catch((err: unknown) => {
    console.error(`bench ${kind} server: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
} else if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runHttpBench().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
