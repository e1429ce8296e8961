// Start-up and memory benchmark: `npm start` as an operator runs it (its `node` command from
// package.json, in a child process), on the embedded database and on the PostgreSQL server.
//
// - first start: spawn to the first 200 from /readyz on an empty data directory (embedded:
//   initdb, migrations, demo data) or an empty database (PostgreSQL, demo data on);
// - restart: the same after SIGTERM, on the files the first start left;
// - RSS of the server when first ready, and its peak sampled on the restarted server while the
//   riders log in, all at once, and during a few seconds of GET vehicles and of start+end ride
//   pairs (autocannon), read from /proc (Linux only). With several processes (PostgreSQL's
//   default WEB_CONCURRENCY: one worker per core, and the primary), their sum and each one's.
//
//   node dist/bench/start.bench.js   (optional: MOVR_BENCH_DATABASE_URL, MOVR_BENCH_SECONDS,
//                                     MOVR_BENCH_CONNECTIONS; `embedded`, `postgres` (one
//                                     process) or `workers` (the default WEB_CONCURRENCY) to run
//                                     only some)
//
// The goals (issue 8): first start ≤ 3 s, restart ≤ 1.5 s, RSS under load ≤ 250 MB embedded and
// ≤ 150 MB on PostgreSQL. Wall-clock figures live here, never in tests.
import { spawn, type ChildProcess } from "node:child_process";
import type autocannon from "autocannon";
import { randomUUID } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { setTimeout as delay } from "node:timers/promises";
import { fileURLToPath, pathToFileURL } from "node:url";
import { processCpuMs } from "./child.ts";
import { ridePairRequests, type RiderPair } from "./ride-pairs.ts";
import { adminUrlFromEnv, benchDatabaseName, dropDatabases, freshDatabase } from "./databases.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

/**
 * `npm start`'s command (package.json), without npm in front: `node`'s arguments, V8 flags and
 * all, so that the server measured is the one an operator starts.
 */
function startArguments(): string[] {
  const pkg = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
    scripts: { start: string };
  };
  const [command, ...args] = pkg.scripts.start.trim().split(/\s+/);
  if (command !== "node") throw new Error(`npm start runs ${command}, not node: the bench cannot spawn it`);
  return args;
}
const DB_NAME = benchDatabaseName("movr_bench_start");
const CITY = "new york";
const SECRET = "bench-secret-".padEnd(40, "x");

export interface StartFigures {
  /** Spawn to the first 200 from /readyz, on empty files. */
  firstStartMs: number;
  /** The same on the files the first start left. */
  restartMs: number;
  /** Resident set of the server when it first became ready, in MB: each process's, primary first. */
  rssAtReadyMb: number[] | null;
  /**
   * Highest resident set sampled during the logins and the load, on the restarted server, in MB:
   * the highest sum over its processes, and each process's own highest, primary first.
   */
  peakRssMb: number | null;
  peakRssPerProcessMb: number[] | null;
  /** CPU time (user + system) the server used from spawn to ready: steadier than wall time on a busy machine. */
  firstStartCpuMs: number | null;
  restartCpuMs: number | null;
  listRequestsPerSecond: number;
  ridePairsPerSecond: number;
  /** Server CPU (all its processes) per GET and per ride pair, µs: steadier than the rates on a busy machine. */
  listCpuUs: number | null;
  ridePairCpuUs: number | null;
}

interface Running {
  child: ChildProcess;
  url: string;
  readyMs: number;
  cpuMs: number | null;
  stop(): Promise<void>;
}

/** CPU time of the server so far, all its processes (child.ts), or null where there is no /proc. */
function procCpuMs(pid: number): number | null {
  const ms = processTree(pid).reduce((total, p) => total + processCpuMs(p), 0);
  return Number.isNaN(ms) ? null : ms;
}

/** /proc/<pid>/status's VmRSS in MB, or null where there is no /proc (or no such process). */
function rssMb(pid: number): number | null {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

/** `pid` and its children (a cluster's workers), from /proc's parent ids; [pid] without /proc. */
function processTree(pid: number): number[] {
  const children: number[] = [];
  try {
    for (const entry of readdirSync("/proc")) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
        // Field 4 (the parent's id), after the command name, which may hold spaces.
        if (Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) === pid) children.push(Number(entry));
      } catch {
        // Gone since the directory was read.
      }
    }
  } catch {
    return [pid];
  }
  return [pid, ...children.sort((a, b) => a - b)];
}

/** RSS of each process of the server (primary first), or null where there is no /proc. */
function treeRssMb(pid: number): { pid: number; mb: number }[] | null {
  const rows = processTree(pid).flatMap((p) => {
    const mb = rssMb(p);
    return mb === null ? [] : [{ pid: p, mb }];
  });
  return rows.length > 0 ? rows : null;
}

/** Samples the server's RSS every 100 ms until stopped: the highest sum, and each process's highest. */
function sampleRss(pid: number): () => { peakMb: number | null; perProcessMb: number[] | null } {
  let peakMb: number | null = null;
  const perPid = new Map<number, number>();
  const sample = () => {
    const rows = treeRssMb(pid);
    if (!rows) return;
    const sum = rows.reduce((total, r) => total + r.mb, 0);
    if (peakMb === null || sum > peakMb) peakMb = sum;
    for (const r of rows) perPid.set(r.pid, Math.max(perPid.get(r.pid) ?? 0, r.mb));
  };
  sample();
  const timer = setInterval(sample, 100);
  return () => {
    clearInterval(timer);
    sample();
    if (!perPid.has(pid)) return { peakMb, perProcessMb: null };
    // The primary first, then its workers by process id.
    const workers = [...perPid.entries()].filter(([p]) => p !== pid).sort(([a], [b]) => a - b);
    return { peakMb, perProcessMb: [perPid.get(pid)!].concat(workers.map(([, mb]) => mb)) };
  };
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
  const child = spawn(process.execPath, startArguments(), {
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
    stdio: ["ignore", "pipe", "inherit"],
  });
  // The server logs (JSON) to stdout: the last line is kept to say why it stopped, if it does.
  let lastLine = "";
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
    const lines = chunk.trim().split("\n");
    lastLine = lines[lines.length - 1] || lastLine;
  });
  let exit = "";
  const exited = new Promise<void>((resolve) =>
    child.once("exit", (code, signal) => {
      exit = signal ?? `code ${code}`;
      resolve();
    }),
  );
  let gone = false;
  void exited.then(() => (gone = true));
  const url = `http://127.0.0.1:${port}`;
  for (;;) {
    if (gone) throw new Error(`the server exited before it was ready (${exit}): ${lastLine.slice(0, 300)}`);
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

interface Rider {
  username: string;
  password: string;
  vehicleId: string;
}

const postJson = (base: string, p: string, body: unknown) =>
  fetch(`${base}/api/v1${p}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });

/** Riders registered through the API, one per vehicle of CITY that is free. */
async function registerRiders(base: string, count: number): Promise<Rider[]> {
  const list = (await (
    await fetch(`${base}/api/v1/cities/${encodeURIComponent(CITY)}/vehicles?limit=100`)
  ).json()) as { vehicles: { id: string; status: string }[] };
  const free = list.vehicles.filter((v) => v.status === "available").slice(0, count);
  const riders: Rider[] = [];
  for (const vehicle of free) {
    const username = `start_${randomUUID().slice(0, 8)}`;
    const password = "bench password";
    const reg = await postJson(base, "/auth/register", {
      city: CITY,
      name: username,
      username,
      email: `${username}@example.com`,
      password,
    });
    if (reg.status !== 201) throw new Error(`register answered ${reg.status}: ${await reg.text()}`);
    riders.push({ username, password, vehicleId: vehicle.id });
  }
  return riders;
}

/** Every rider logged in at once, as a server sees logins arrive: its ride pairs. */
async function logIn(base: string, riders: Rider[]): Promise<RiderPair[]> {
  return Promise.all(
    riders.map(async ({ username, password, vehicleId }) => {
      const login = await postJson(base, "/auth/login", { username, password });
      if (login.status !== 200) throw new Error(`login answered ${login.status}: ${await login.text()}`);
      const { token } = (await login.json()) as { token: string };
      return { token, vehicleId };
    }),
  );
}

interface LoadFigures {
  listPerSecond: number;
  pairsPerSecond: number;
  listCpuUs: number | null;
  pairCpuUs: number | null;
}

/** GET vehicles, then ride pairs, on the server `pid` serves: rates and the server's CPU per operation. */
async function load(
  base: string,
  pid: number,
  pairs: RiderPair[],
  seconds: number,
  connections: number,
): Promise<LoadFigures> {
  const ac = await loadAutocannon();
  const cpuPer = async (run: () => Promise<number>) => {
    const before = procCpuMs(pid);
    const ops = await run();
    const after = procCpuMs(pid);
    return before === null || after === null || ops === 0 ? null : ((after - before) * 1000) / ops;
  };
  let list!: autocannon.Result;
  let rides!: autocannon.Result;
  const listCpuUs = await cpuPer(async () => {
    list = await ac({
      url: `${base}/api/v1/cities/${encodeURIComponent(CITY)}/vehicles?limit=25`,
      connections,
      duration: seconds,
    });
    return list["2xx"];
  });
  const pairCpuUs = await cpuPer(async () => {
    rides = await ac({
      url: base,
      connections: pairs.length,
      duration: seconds,
      requests: ridePairRequests(CITY, pairs),
    });
    return rides["2xx"] / 2;
  });
  return {
    listPerSecond: list.requests.average,
    pairsPerSecond: rides.requests.average / 2,
    listCpuUs,
    pairCpuUs,
  };
}

export type Setup = "embedded" | "postgres" | "workers";

/**
 * First start, riders registered, restart, logins and load: on the embedded database unless
 * `databaseUrl` is given; there, one process unless `workers` (WEB_CONCURRENCY left to its
 * default, one worker per core).
 */
export async function measureStart(databaseUrl?: string, workers = false): Promise<StartFigures> {
  const seconds = Number(process.env.MOVR_BENCH_SECONDS) || 5;
  const connections = Number(process.env.MOVR_BENCH_CONNECTIONS) || 8;
  const dataDir = databaseUrl ? undefined : mkdtempSync(path.join(tmpdir(), "movr-start-bench-"));
  const env: Record<string, string> = databaseUrl
    ? { DATABASE_URL: databaseUrl, MOVR_DEMO_DATA: "1", ...(workers ? {} : { WEB_CONCURRENCY: "1" }) }
    : { MOVR_DATA_DIR: dataDir!, MOVR_EMBEDDED_SQL_PORT: "0" };
  try {
    const first = await start(env);
    const ready = treeRssMb(first.child.pid!);
    let riders: Rider[];
    try {
      riders = await registerRiders(first.url, connections);
    } finally {
      await first.stop();
    }
    // The restarted server: every rider logs in at once (a password hash each, scrypt, 16 MB of
    // memory while it runs), then the load. Its peak is the RSS of a server that has served
    // logins, as any server has.
    const again = await start(env);
    let rss: ReturnType<ReturnType<typeof sampleRss>>;
    let rps: LoadFigures;
    try {
      const stopSampling = sampleRss(again.child.pid!);
      try {
        rps = await load(again.url, again.child.pid!, await logIn(again.url, riders), seconds, connections);
      } finally {
        rss = stopSampling();
      }
    } finally {
      await again.stop();
    }
    return {
      firstStartMs: first.readyMs,
      restartMs: again.readyMs,
      firstStartCpuMs: first.cpuMs,
      restartCpuMs: again.cpuMs,
      rssAtReadyMb: ready && ready.map((r) => r.mb),
      peakRssMb: rss.peakMb,
      peakRssPerProcessMb: rss.perProcessMb,
      listRequestsPerSecond: rps.listPerSecond,
      ridePairsPerSecond: rps.pairsPerSecond,
      listCpuUs: rps.listCpuUs,
      ridePairCpuUs: rps.pairCpuUs,
    };
  } finally {
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }
}

/** A figure in MB; for several processes, their sum and each one's (primary first). */
function megabytes(total: number | null, each: number[] | null): string {
  if (total === null) return "n/a";
  const sum = `${total.toFixed(0)} MB`;
  return each && each.length > 1 ? `${sum} (${each.map((mb) => mb.toFixed(0)).join(" + ")})` : sum;
}

function line(label: string, f: StartFigures): string {
  const cpu = (v: number | null) => (v === null ? "" : ` [CPU ${(v / 1000).toFixed(2)} s]`);
  const perOp = (v: number | null) => (v === null ? "" : ` [CPU ${v.toFixed(0)} µs each]`);
  const ready = f.rssAtReadyMb && f.rssAtReadyMb.reduce((total, mb) => total + mb, 0);
  return (
    `${label.padEnd(11)} first start ${(f.firstStartMs / 1000).toFixed(2)} s${cpu(f.firstStartCpuMs)} (goal ≤ 3), ` +
    `restart ${(f.restartMs / 1000).toFixed(2)} s${cpu(f.restartCpuMs)} (goal ≤ 1.5), ` +
    `RSS ready ${megabytes(ready, f.rssAtReadyMb)}, ` +
    `peak under load ${megabytes(f.peakRssMb, f.peakRssPerProcessMb)}; ${f.listRequestsPerSecond.toFixed(0)} GET/s${perOp(f.listCpuUs)}, ` +
    `${f.ridePairsPerSecond.toFixed(0)} ride pairs/s${perOp(f.ridePairCpuUs)}`
  );
}

/** The measurements, printed one line each (what `npm run bench` shows). */
export async function runStartBench(
  which: Setup[] = ["embedded", "postgres", "workers"],
): Promise<Partial<Record<Setup, StartFigures>>> {
  const figures: Partial<Record<Setup, StartFigures>> = {};
  const { loadavg } = await import("node:os");
  console.log(
    `start-up and memory (load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(", ")})`,
  );
  // A setup that fails is reported on its line and the others still run: the goals table at
  // the end of `npm run bench` then says which figures are missing rather than being lost.
  const attempt = async (label: string, measure: () => Promise<StartFigures>) => {
    try {
      const f = await measure();
      console.log(line(label, f));
      return f;
    } catch (err) {
      console.log(`${label.padEnd(11)} failed: ${err instanceof Error ? err.message : String(err)}`);
      return undefined;
    }
  };
  if (which.includes("embedded")) figures.embedded = await attempt("embedded", () => measureStart());
  const adminUrl = adminUrlFromEnv();
  for (const setup of ["postgres", "workers"] as const) {
    if (!which.includes(setup)) continue;
    const databaseUrl = await freshDatabase(adminUrl, DB_NAME);
    try {
      const label = setup === "postgres" ? "PostgreSQL" : `PostgreSQL, ${availableParallelism()} workers`;
      figures[setup] = await attempt(label, () => measureStart(databaseUrl, setup === "workers"));
    } finally {
      await dropDatabases(adminUrl, [DB_NAME]);
    }
  }
  return figures;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const which = process.argv
    .slice(2)
    .filter((a): a is Setup => a === "embedded" || a === "postgres" || a === "workers");
  runStartBench(which.length > 0 ? which : undefined).catch((err: unknown) => {
    console.error(`bench: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
