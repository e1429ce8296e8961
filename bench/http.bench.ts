// HTTP benchmark, in paired rounds (paired.ts): our Fastify app against a bare node:http + `pg`
// server (raw-ops.ts: our statements, the fewest round trips), on the PostgreSQL server.
// Both servers run at once, each in a child process of its own (its CPU and peak RSS are its
// own, and autocannon, here, does not share its event loop); the load alternates between them.
//
//   node dist/bench/http.bench.js   (MOVR_BENCH_DATABASE_URL, MOVR_BENCH_PAIRS, MOVR_BENCH_SECONDS,
//                                    MOVR_BENCH_CONNECTIONS, MOVR_BENCH_DEBUG=1 to print failures,
//                                    MOVR_BENCH_CPU_PROF=<dir> for the servers' CPU profiles,
//                                    MOVR_BENCH_HTTP=rides for the ride pairs alone,
//                                    MOVR_BENCH_AGAINST=<file> for our app against another build of it,
//                                    MOVR_BENCH_CPU_PROF_INTERVAL=<µs> for the profiles' sampling interval)
import { fork, type ChildProcess } from "node:child_process";
import { createHash, randomUUID } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as delay } from "node:timers/promises";
import { fileURLToPath, pathToFileURL } from "node:url";
import type autocannon from "autocannon";
import type { AuthContext } from "../src/auth/auth.service.ts";
import type { AppConfig } from "../src/config.ts";
import { adminUrlFromEnv, benchDatabaseName, dropDatabases, freshDatabase } from "./databases.ts";
import {
  compare,
  pairsFromEnv,
  printRound,
  runPaired,
  secondsFromEnv,
  type Comparison,
  type Measurement,
} from "./paired.ts";
import * as raw from "./raw-ops.ts";
import { openPool, RawDb, type Row } from "./raw-sql.ts";
import { ridePairRequests, type RiderPair } from "./ride-pairs.ts";

// Everything else is imported where it is used: the baseline server must load no more than
// node:http and pg, or its RSS would measure our modules too.
const loadAutocannon = async () => (await import("autocannon")).default;

const DB_NAME = benchDatabaseName("movr_bench_http");
const LIST_CITY = "new york";
const RIDE_CITY = "boston";
const CONNECTIONS = Number(process.env.MOVR_BENCH_CONNECTIONS) || 16;
const POOL_MAX = 10;
const WARMUP_SECONDS = 2;
const SERVE_FLAG = "--serve";
const SECRET = "bench-secret-".padEnd(40, "x");
/** MOVR_BENCH_HTTP=rides: only the ride pairs (a CPU profile of them alone), not GET vehicles. */
const RIDES_ONLY = process.env.MOVR_BENCH_HTTP === "rides";
/**
 * MOVR_BENCH_AGAINST=<another build's dist/bench/http.bench.js>: the baseline's place is taken by
 * our app as that build serves it, so an old build and a new one run the same paired rounds.
 */
const AGAINST = process.env.MOVR_BENCH_AGAINST;

type Kind = "ours" | "baseline";
const LABELS: Record<Kind, string> = {
  ours: "MovR API",
  baseline: AGAINST ? "MovR API (other build)" : "node:http+pg",
};

type Pair = RiderPair;

interface ServerStats {
  maxRssKb: number;
  /** CPU (user + system) of the server process so far, microseconds. */
  cpuUs: number;
  /** Transactions re-run after a serialization failure, and those given up on. */
  retries: number;
  exhausted: number;
}

interface ServerHandle {
  kind: Kind;
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
    WEB_CONCURRENCY: "1",
  });
}

// ---------------------------------------------------------------------------------------------
// The parent: data, servers, load, report.

export async function runHttpBench(): Promise<Comparison[]> {
  const adminUrl = adminUrlFromEnv();
  const seconds = secondsFromEnv(4);
  const pairs = pairsFromEnv();
  const { createContext } = await import("../src/app-context.ts");
  const { REFERENCE_CITIES } = await import("../src/cities/region.config.ts");
  const { openDatabase } = await import("../src/db/database.ts");
  const { migrate } = await import("../src/db/migrate.ts");
  const { endRide, listActiveRides } = await import("../src/rides/ride.service.ts");
  const { DomainError } = await import("../src/shared/errors.ts");
  const { loadData } = await import("../src/workload/load.service.ts");
  const url = await freshDatabase(adminUrl, DB_NAME);
  const config = await serverConfig(url);
  const database = await openDatabase(config.database);
  const servers: ServerHandle[] = [];
  try {
    await migrate(database);
    const ctx = createContext(config, database);
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
    // loadData has ANALYZEd the tables it loaded, as after any bulk load: without statistics the
    // planner's generic plan for ending a ride scans every active ride of the city
    // (rides_active_by_start), and under SERIALIZABLE each end then conflicts with every other
    // (40001) until autovacuum's ANALYZE comes round, on both servers alike (ADR 019).
    const setupStarted = Date.now();
    const pairsOfRiders = await makeRiders(ctx, CONNECTIONS * 2);
    const riderIds = new Set(pairsOfRiders.map((p) => p.riderId));
    // Ends the rides a stopped round left open, so the next round finds every pair free.
    const settle = async () => {
      await delay(300);
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
    for (const kind of ["ours", "baseline"] as const) servers.push(await startServer(kind, url));
    const [ours, base] = servers as [ServerHandle, ServerHandle];
    // Each comparison's warm-up comes right before its own rounds, not before the 40 s of GET
    // rounds: in two runs whose ride routes warmed up first, the ride pairs' lowest ratio was
    // each run's first pair (0.56, 0.58; ours measured first), as a cold start would make it.
    const warmUp = async (load: (server: ServerHandle) => Promise<unknown>) => {
      for (const server of servers) await load(server);
    };
    if (!RIDES_ONLY) await warmUp((server) => listLoad(server.url, WARMUP_SECONDS));
    console.log(
      `${database.description}; ${CONNECTIONS} connections (autocannon), ${seconds} s rounds, pool of ${POOL_MAX} per server, one process each (riders and GET warm-up: ${((Date.now() - setupStarted) / 1000).toFixed(0)} s)`,
    );
    const progress = printRound("requests/s");
    const contender = (server: ServerHandle, load: () => Promise<Load>) => ({
      label: LABELS[server.kind],
      measure: () => measured(server, load),
    });
    const list = RIDES_ONLY
      ? undefined
      : await runPaired(
          contender(ours, () => listLoad(ours.url, seconds)),
          contender(base, () => listLoad(base.url, seconds)),
          { pairs, onRound: progress },
        );
    await warmUp(async (server) => {
      await ridePairs(server.url, pairsOfRiders, WARMUP_SECONDS);
      await settle();
    });
    const rides = await runPaired(
      contender(ours, () => ridePairs(ours.url, pairsOfRiders, seconds)),
      contender(base, () => ridePairs(base.url, pairsOfRiders, seconds)),
      { pairs, between: settle, onRound: progress },
    );
    const labels: [string, string] = [LABELS.ours, LABELS.baseline];
    const latency = [
      { name: "p50 ms", pick: (m: Measurement) => m.extra.p50!, digits: 1 },
      { name: "p99 ms", pick: (m: Measurement) => m.extra.p99!, digits: 1 },
      {
        name: "failed requests (all rounds)",
        pick: (m: Measurement) => m.extra.failures!,
        digits: 0,
        over: "sum" as const,
      },
    ];
    const rss = {
      name: "server peak RSS MB",
      pick: (m: Measurement) => m.extra.rssMb!,
      digits: 0,
      over: "max" as const,
    };
    const comparisons = [
      ...(list
        ? [
            compare("GET /api/v1/cities/new york/vehicles?limit=25", labels, list, "request", [
              ...latency,
              rss,
            ]),
          ]
        : []),
      compare(
        "start-ride + end-ride pairs",
        labels,
        rides,
        "request",
        [
          ...latency,
          { name: "tx retries (all rounds)", pick: (m) => m.extra.retries!, digits: 0, over: "sum" },
          { name: "tx given up (all rounds)", pick: (m) => m.extra.givenUp!, digits: 0, over: "sum" },
          rss,
        ],
        [{ name: "p99", pick: (m) => m.extra.p99! }],
      ),
    ];
    for (const c of comparisons) console.log(c.lines.join("\n"));
    return comparisons;
  } finally {
    for (const server of servers) await server.stop();
    await database.close();
    await dropDatabases(adminUrl, [DB_NAME]);
  }
}

/** One rider (logged in, bearer token) and one vehicle per pair, all in RIDE_CITY. */
async function makeRiders(ctx: AuthContext, count: number): Promise<(Pair & { riderId: string })[]> {
  const { login, register } = await import("../src/auth/auth.service.ts");
  const { addUser } = await import("../src/users/user.service.ts");
  const { addVehicle } = await import("../src/vehicles/vehicle.service.ts");
  const owner = await addUser(ctx, { city: RIDE_CITY, name: "Bench Owner" });
  // All at once: password hashing runs on libuv's threads, on both cores.
  return Promise.all(
    Array.from({ length: count }, async (_, i) => {
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
      return { token, vehicleId: vehicle.id, riderId: rider.id };
    }),
  );
}

interface Load {
  result: autocannon.Result;
  /** Requests that did not do what they asked (non-2xx, errors, timeouts). */
  failures: number;
}

/** One round of `load` on `server`: its successful requests per second, CPU and transactions. */
async function measured(server: ServerHandle, load: () => Promise<Load>): Promise<Measurement> {
  const before = await server.stats();
  const { result, failures } = await load();
  const after = await server.stats();
  const ok = result["2xx"];
  return {
    rate: ok / result.duration,
    ops: ok,
    cpuMs: (after.cpuUs - before.cpuUs) / 1000,
    extra: {
      p50: result.latency.p50,
      p99: result.latency.p99,
      failures: failures + result.errors + result.timeouts,
      retries: after.retries - before.retries,
      givenUp: after.exhausted - before.exhausted,
      rssMb: after.maxRssKb / 1024,
    },
  };
}

async function listLoad(base: string, seconds: number): Promise<Load> {
  const result = await (
    await loadAutocannon()
  )({
    url: `${base}/api/v1/cities/${encodeURIComponent(LIST_CITY)}/vehicles?limit=25`,
    connections: CONNECTIONS,
    duration: seconds,
  });
  return { result, failures: result.non2xx };
}

/** Start-ride / end-ride pairs (ride-pairs.ts); settle() ends the rides left active. */
async function ridePairs(base: string, pairs: Pair[], seconds: number): Promise<Load> {
  let failures = 0;
  const result = await (
    await loadAutocannon()
  )({
    url: base,
    connections: CONNECTIONS,
    duration: seconds,
    requests: ridePairRequests(RIDE_CITY, pairs, (step, status, body) => {
      failures++;
      if (process.env.MOVR_BENCH_DEBUG) console.log(`${step} failed:`, status, body.slice(0, 160));
    }),
  });
  return { result, failures };
}

/** Forks this file as a server of the given kind; resolves once it listens. */
async function startServer(kind: Kind, databaseUrl: string): Promise<ServerHandle> {
  // MOVR_BENCH_CPU_PROF=<dir>: each server writes a V8 CPU profile there when it stops.
  const profileDir = process.env.MOVR_BENCH_CPU_PROF;
  const other = kind === "baseline" && AGAINST !== undefined;
  const [file, serveAs] = other ? [AGAINST, "ours"] : [fileURLToPath(import.meta.url), kind];
  const child: ChildProcess = fork(file, [SERVE_FLAG, serveAs, databaseUrl], {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
    execArgv: profileDir
      ? [
          "--cpu-prof",
          `--cpu-prof-dir=${profileDir}`,
          `--cpu-prof-name=${other ? "other" : kind}-${process.pid}.cpuprofile`,
          ...(process.env.MOVR_BENCH_CPU_PROF_INTERVAL
            ? [`--cpu-prof-interval=${process.env.MOVR_BENCH_CPU_PROF_INTERVAL}`]
            : []),
        ]
      : [],
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
    kind,
    url: `http://127.0.0.1:${port}`,
    stats: () => ask<ServerStats>("stats"),
    stop: async () => {
      if (child.exitCode !== null) return;
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
  let txStats: () => { retries: number; exhausted: number };
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
    const db = new RawDb(openPool(databaseUrl, POOL_MAX));
    txStats = () => ({ retries: db.retries, exhausted: db.exhausted });
    const server = http.createServer((req, res) => void baselineHandle(db, req, res));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as AddressInfo).port;
    close = async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await db.pool.end();
    };
  }
  // The bench gone (killed, crashed): no server left behind.
  process.on("disconnect", () => process.exit(0));
  process.on("message", (m) => {
    if (m === "stats") {
      const cpu = process.cpuUsage();
      process.send!({ maxRssKb: process.resourceUsage().maxRSS, cpuUs: cpu.user + cpu.system, ...txStats() });
    }
    if (m === "stop") void close().then(() => process.exit(0));
  });
  process.send!({ port });
}

// The baseline server: routing, JSON in and out, and raw-ops.ts.

const STATUS: Record<string, number> = {
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  invalid_request: 400,
  vehicle_unavailable: 409,
  already_riding: 409,
  ride_already_ended: 409,
};

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
    currency: "USD",
  };
};

async function readBody(req: http.IncomingMessage): Promise<Row> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return chunks.length ? (JSON.parse(Buffer.concat(chunks).toString("utf8")) as Row) : {};
}

/** The caller of a bearer token `<city, base64url>.<random>`: one read by the session's key. */
async function authenticate(db: RawDb, req: http.IncomingMessage): Promise<Row> {
  const token = req.headers.authorization?.slice(7) ?? "";
  const city = Buffer.from(token.split(".")[0] ?? "", "base64url").toString();
  const user = await raw.sessionUser(db, city, createHash("sha256").update(token).digest("hex"));
  if (!user) throw new raw.RawRefusal("unauthenticated");
  return user;
}

async function baselineHandle(db: RawDb, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const send = (status: number, body: unknown) => {
    const text = JSON.stringify(body);
    res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
    res.end(text);
  };
  try {
    const url = new URL(req.url ?? "/", "http://localhost");
    const parts = url.pathname.split("/").map(decodeURIComponent);
    // ["", "api", "v1", ...]
    if (req.method === "GET" && parts[3] === "cities" && parts[5] === "vehicles" && parts.length === 6) {
      const limit = Number(url.searchParams.get("limit") ?? 25);
      const rows = await raw.listVehicles(db, parts[4]!, limit);
      const page = rows.slice(0, limit);
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
      const user = await authenticate(db, req);
      const ride = await raw.startRide(db, {
        id: randomUUID(),
        city: String(body.city),
        riderId: user.id as string,
        vehicleId: String(body.vehicleId),
        now: new Date(),
      });
      return send(201, { ride: rideOut(ride) });
    }
    if (req.method === "POST" && parts[3] === "cities" && parts[5] === "rides" && parts[7] === "end") {
      const body = await readBody(req);
      const user = await authenticate(db, req);
      const ride = await raw.endRide(db, {
        city: parts[4]!,
        rideId: parts[6]!,
        location: String(body.location),
        now: new Date(),
        riderId: user.id as string,
      });
      return send(200, { ride: rideOut(ride) });
    }
    send(404, { error: { code: "not_found", message: "No such route." } });
  } catch (err) {
    if (err instanceof raw.RawRefusal)
      send(STATUS[err.code] ?? 409, { error: { code: err.code, message: err.code } });
    else {
      if (process.env.MOVR_BENCH_DEBUG) console.error(err);
      const exhausted = ["40001", "40P01"].includes((err as { code?: string }).code ?? "");
      send(exhausted ? 503 : 500, { error: { code: "internal", message: "Something went wrong." } });
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
