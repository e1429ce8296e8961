// Start-up and memory benchmark: `npm start` as an operator runs it (node dist/src/main.js in a
// child process), on the embedded database and on the PostgreSQL server.
//
// - first start: spawn to the first 200 from /readyz on an empty data directory (embedded:
//   initdb, migrations, demo data) or an empty database (PostgreSQL, demo data on);
// - restart: the same after SIGTERM, on the files the first start left;
// - RSS of the server process when first ready, and its peak sampled on the restarted server
//   during a few seconds of GET
//   vehicles and of start+end ride pairs (autocannon), read from /proc (Linux only).
//
//   node dist/bench/start.bench.js   (optional: MOVR_BENCH_DATABASE_URL, MOVR_BENCH_SECONDS,
//                                     MOVR_BENCH_CONNECTIONS; `embedded` or `postgres` to run one)
//
// The goals (issue 8): first start ≤ 3 s, restart ≤ 1.5 s, RSS under load ≤ 250 MB embedded and
// ≤ 150 MB on PostgreSQL. Wall-clock figures live here, never in tests.
import { spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { setTimeout as delay } from "node:timers/promises";
import { fileURLToPath, pathToFileURL } from "node:url";
import { processCpuMs } from "./child.ts";
import { ridePairRequests, type RiderPair } from "./ride-pairs.ts";
import { adminUrlFromEnv, benchDatabaseName, dropDatabases, freshDatabase } from "./databases.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const MAIN_JS = path.join(ROOT, "dist", "src", "main.js");
const DB_NAME = benchDatabaseName("movr_bench_start");
const CITY = "new york";
const SECRET = "bench-secret-".padEnd(40, "x");

export interface StartFigures {
  /** Spawn to the first 200 from /readyz, on empty files. */
  firstStartMs: number;
  /** The same on the files the first start left. */
  restartMs: number;
  /** Resident set of the server when it first became ready, in MB. */
  rssAtReadyMb: number | null;
  /** Highest resident set sampled during the load phases, on the restarted server, in MB. */
  peakRssMb: number | null;
  /** CPU time (user + system) the server used from spawn to ready: steadier than wall time on a busy machine. */
  firstStartCpuMs: number | null;
  restartCpuMs: number | null;
  listRequestsPerSecond: number;
  ridePairsPerSecond: number;
}

interface Running {
  child: ChildProcess;
  url: string;
  readyMs: number;
  cpuMs: number | null;
  stop(): Promise<void>;
}

/** CPU time of a process so far (child.ts), or null where there is no /proc. */
function procCpuMs(pid: number): number | null {
  const ms = processCpuMs(pid);
  return Number.isNaN(ms) ? null : ms;
}

/** /proc/<pid>/status field in MB, or null where there is no /proc. */
function procMb(pid: number, field: "VmRSS" | "VmHWM"): number | null {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

async function freePort(): Promise<number> {
  const net = await import("node:net");
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** Spawns the server and polls /readyz until it answers 200. */
async function start(env: Record<string, string>): Promise<Running> {
  const port = await freePort();
  const started = performance.now();
  const child = spawn(process.execPath, [MAIN_JS], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? "",
      PORT: String(port),
      SESSION_SECRET: SECRET,
      LOG_LEVEL: "warn",
      LOG_FORMAT: "json",
      LOGIN_RATE_LIMIT_PER_MINUTE: "10000",
      ...env,
    },
    stdio: ["ignore", "ignore", "inherit"],
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  let gone = false;
  void exited.then(() => (gone = true));
  const url = `http://127.0.0.1:${port}`;
  for (;;) {
    if (gone) throw new Error("the server exited before it was ready");
    const ok = await fetch(`${url}/readyz`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) break;
    if (performance.now() - started > 300_000) throw new Error("the server was not ready within 300 s");
    await delay(10);
  }
  const readyMs = performance.now() - started;
  return {
    child,
    url,
    readyMs,
    cpuMs: procCpuMs(child.pid!),
    stop: async () => {
      if (!gone) child.kill("SIGTERM");
      await exited;
    },
  };
}

const loadAutocannon = async () => (await import("autocannon")).default;

type Pair = RiderPair;

/** Riders registered through the API, one per vehicle of CITY that is free. */
async function makePairs(base: string, count: number): Promise<Pair[]> {
  const list = (await (
    await fetch(`${base}/api/v1/cities/${encodeURIComponent(CITY)}/vehicles?limit=100`)
  ).json()) as { vehicles: { id: string; status: string }[] };
  const free = list.vehicles.filter((v) => v.status === "available").slice(0, count);
  const pairs: Pair[] = [];
  for (const vehicle of free) {
    const username = `start_${randomUUID().slice(0, 8)}`;
    const password = "bench password";
    const post = (p: string, body: unknown) =>
      fetch(`${base}/api/v1${p}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    const reg = await post("/auth/register", {
      city: CITY,
      name: username,
      username,
      email: `${username}@example.com`,
      password,
    });
    if (reg.status !== 201) throw new Error(`register answered ${reg.status}: ${await reg.text()}`);
    const login = await post("/auth/login", { username, password });
    const { token } = (await login.json()) as { token: string };
    pairs.push({ token, vehicleId: vehicle.id });
  }
  return pairs;
}

async function load(
  base: string,
  pairs: Pair[],
  seconds: number,
  connections: number,
): Promise<[number, number]> {
  const ac = await loadAutocannon();
  const list = await ac({
    url: `${base}/api/v1/cities/${encodeURIComponent(CITY)}/vehicles?limit=25`,
    connections,
    duration: seconds,
  });
  const rides = await ac({
    url: base,
    connections: pairs.length,
    duration: seconds,
    requests: ridePairRequests(CITY, pairs),
  });
  return [list.requests.average, rides.requests.average / 2];
}

/** First start, load, restart: on the embedded database unless `databaseUrl` is given. */
export async function measureStart(databaseUrl?: string): Promise<StartFigures> {
  const seconds = Number(process.env.MOVR_BENCH_SECONDS) || 5;
  const connections = Number(process.env.MOVR_BENCH_CONNECTIONS) || 8;
  const dataDir = databaseUrl ? undefined : mkdtempSync(path.join(tmpdir(), "movr-start-bench-"));
  const env: Record<string, string> = databaseUrl
    ? { DATABASE_URL: databaseUrl, MOVR_DEMO_DATA: "1", WEB_CONCURRENCY: "1" }
    : { MOVR_DATA_DIR: dataDir!, MOVR_EMBEDDED_SQL_PORT: "0" };
  try {
    const first = await start(env);
    const rssAtReadyMb = procMb(first.child.pid!, "VmRSS");
    // Riders registered on the first run: each registration hashes a password (scrypt, 16 MB
    // for each hash in flight) and the memory allocator keeps what it took. The load is
    // measured on the restarted server, which has served no login.
    let pairs: Pair[];
    try {
      pairs = await makePairs(first.url, connections);
    } finally {
      await first.stop();
    }
    const again = await start(env);
    let peakRssMb: number | null;
    let rps: [number, number];
    try {
      const pid = again.child.pid!;
      peakRssMb = procMb(pid, "VmRSS");
      const sampler = setInterval(() => {
        const now = procMb(pid, "VmRSS");
        if (now !== null && (peakRssMb === null || now > peakRssMb)) peakRssMb = now;
      }, 100);
      try {
        rps = await load(again.url, pairs, seconds, connections);
      } finally {
        clearInterval(sampler);
      }
    } finally {
      await again.stop();
    }
    return {
      firstStartMs: first.readyMs,
      restartMs: again.readyMs,
      firstStartCpuMs: first.cpuMs,
      restartCpuMs: again.cpuMs,
      rssAtReadyMb,
      peakRssMb,
      listRequestsPerSecond: rps[0],
      ridePairsPerSecond: rps[1],
    };
  } finally {
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }
}

function line(label: string, f: StartFigures): string {
  const mb = (v: number | null) => (v === null ? "n/a" : `${v.toFixed(0)} MB`);
  const cpu = (v: number | null) => (v === null ? "" : ` [CPU ${(v / 1000).toFixed(2)} s]`);
  return (
    `${label.padEnd(11)} first start ${(f.firstStartMs / 1000).toFixed(2)} s${cpu(f.firstStartCpuMs)} (goal ≤ 3), ` +
    `restart ${(f.restartMs / 1000).toFixed(2)} s${cpu(f.restartCpuMs)} (goal ≤ 1.5), RSS ready ${mb(f.rssAtReadyMb)}, ` +
    `peak under load ${mb(f.peakRssMb)}; ${f.listRequestsPerSecond.toFixed(0)} GET/s, ` +
    `${f.ridePairsPerSecond.toFixed(0)} ride pairs/s`
  );
}

/** Both measurements, printed one line each (what `npm run bench` shows). */
export async function runStartBench(
  which: ("embedded" | "postgres")[] = ["embedded", "postgres"],
): Promise<void> {
  const { loadavg } = await import("node:os");
  console.log(
    `start-up and memory (load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(", ")})`,
  );
  if (which.includes("embedded")) console.log(line("embedded", await measureStart()));
  if (which.includes("postgres")) {
    const adminUrl = adminUrlFromEnv();
    const databaseUrl = await freshDatabase(adminUrl, DB_NAME);
    try {
      console.log(line("PostgreSQL", await measureStart(databaseUrl)));
    } finally {
      await dropDatabases(adminUrl, [DB_NAME]);
    }
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const which = process.argv
    .slice(2)
    .filter((a): a is "embedded" | "postgres" => a === "embedded" || a === "postgres");
  runStartBench(which.length > 0 ? which : undefined).catch((err: unknown) => {
    console.error(`bench: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
