// Workload benchmark, on the PostgreSQL server, in paired rounds (paired.ts):
//
// 1. `movr run` (the real command line) against the same mix over raw `pg` with the fewest round
//    trips (workload.raw.ts), at the same concurrency, on one database (the two alternate on it,
//    so its growth is shared), each round a process of its own.
// 2. `movr load` of 100,000 rows against COPY FROM STDIN of the same rows at the same concurrency
//    (copy.raw.ts), each round into a fresh, migrated database.
//
// CPU per operation is each process's, from the line that opens its measured window to its exit
// (child.ts), so start-up and migrations are left out on both sides.
//
//   node dist/bench/workload.bench.js   (MOVR_BENCH_DATABASE_URL, MOVR_BENCH_PAIRS, MOVR_BENCH_SECONDS)
import path from "node:path";
import { Writable } from "node:stream";
import { fileURLToPath, pathToFileURL } from "node:url";
import { REFERENCE_CITIES } from "../src/cities/region.config.ts";
import { runLoad } from "../src/cli/load.command.ts";
import { databaseConfigFor, PROJECT_ROOT } from "../src/config.ts";
import { openDatabase } from "../src/db/database.ts";
import { migrate } from "../src/db/migrate.ts";
import { pushAll } from "../src/shared/arrays.ts";
import { OPERATIONS, runWorkers } from "../src/workload/workload.ts";
import { WorkloadStats } from "../src/workload/stats.ts";
import { runNodeOk } from "./child.ts";
import { capturedStatements, catalogueStatements, foreignStatements } from "./same-sql.ts";
import { runRawWorkload } from "./workload.raw.ts";
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

const HERE = path.dirname(fileURLToPath(import.meta.url));
const MOVR = path.join(PROJECT_ROOT, "bin", "movr.js");
export const RUN_CONCURRENCY = 8;
export const READ_PERCENT = 95;
/**
 * Seconds of each `movr run` round left out: a new process runs slowly while V8 compiles its hot
 * paths and the pool warms up (about three seconds here, more for `movr run`, which has more code
 * to compile). The figures are the steady state that follows, on both sides.
 */
export const RUN_WARMUP_SECONDS = 3;
/** `movr run`'s first JSON tick rows at or past the warm-up (elapsed is whole seconds). */
const FIRST_STEADY_TICK = new RegExp(
  `"type":"tick","elapsed":(${Array.from({ length: 100 - RUN_WARMUP_SECONDS }, (_, i) => i + RUN_WARMUP_SECONDS).join("|")}),`,
);
/** `movr load`'s default on a server (src/cli/program.ts). */
export const LOAD_CONCURRENCY = 4;
const NOW = new Date(
  Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate()),
);
/** The reference workload's initial data (`cockroach workload init movr`). */
const RUN_DATA = { users: 50, vehicles: 15, rides: 500, histories: 1000, promoCodes: 1000 };
const LOAD_DATA = { users: 10_000, vehicles: 10_000, rides: 40_000, histories: 30_000, promoCodes: 10_000 };

async function migratedDatabase(adminUrl: string, name: string): Promise<string> {
  const url = await freshDatabase(adminUrl, name);
  const database = await openDatabase(databaseConfigFor(url, {}));
  try {
    await migrate(database);
  } finally {
    await database.close();
  }
  return url;
}

/** The schema and the reference workload's initial data (same seed each time). */
export async function loadedDatabase(adminUrl: string, name: string): Promise<string> {
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

interface RunLine {
  type: string;
  locationsLogged?: number;
  op?: string;
  elapsed?: number;
  elapsedMs?: number;
  ok?: number;
  opsPerSecCum?: number;
  p50Ms?: number;
  p99Ms?: number;
  errors?: number;
  transactions?: { retries: number; exhausted: number };
}

/** Operations done, and seconds since the workers started, when the window opened and at the end. */
export interface Window {
  atOpen: { ok: number; seconds: number };
  atEnd: { ok: number; seconds: number };
}

/**
 * `movr run`'s window: its first tick rows at or past the warm-up (cumulative rate × time), of
 * every operation or of `op` alone.
 */
function movrWindow(lines: RunLine[], openedAfterStartS: number, op?: string): Window {
  const ticks = lines.filter(
    (l) => l.type === "tick" && (l.elapsed ?? 0) >= RUN_WARMUP_SECONDS && (op === undefined || l.op === op),
  );
  const first = ticks[0]?.elapsed;
  const atTick = ticks.filter((l) => l.elapsed === first);
  const total = lines.find((l) =>
    op === undefined ? l.type === "total" : l.type === "summary" && l.op === op,
  );
  const result = lines.find((l) => l.type === "result");
  return {
    // Each row's opsPerSecCum is ok / elapsed at the tick; the tick's exact time is when its line
    // arrived, counted from the arrival of the line printed as the workers started.
    atOpen: {
      ok: atTick.reduce((sum, l) => sum + (l.opsPerSecCum ?? 0) * openedAfterStartS, 0),
      seconds: openedAfterStartS,
    },
    atEnd: { ok: total?.ok ?? Number.NaN, seconds: (result?.elapsedMs ?? Number.NaN) / 1000 },
  };
}

export const windowRate = (w: Window): number =>
  (w.atEnd.ok - w.atOpen.ok) / (w.atEnd.seconds - w.atOpen.seconds);

/** workload.raw.ts's window: its own "warm" and "total" lines. */
function rawWindow(lines: RunLine[]): Window {
  const warm = lines.find((l) => l.type === "warm");
  const total = lines.find((l) => l.type === "total");
  return {
    atOpen: { ok: warm?.ok ?? Number.NaN, seconds: warm?.elapsed ?? Number.NaN },
    atEnd: { ok: total?.ok ?? Number.NaN, seconds: total?.elapsed ?? Number.NaN },
  };
}

/**
 * `movr run`'s rate with each location logged counted as one operation, as the Python generator
 * counts them, in place of the updateActiveRides that logged them: the whole round's proportion
 * (the summary's counts) applied to the window's rate. Nothing for a run without those counts.
 */
function locationsCounted(lines: RunLine[], rate: number): { locationRate?: number } {
  const total = lines.find((l) => l.type === "total")?.ok;
  const updates = lines.find((l) => l.type === "summary" && l.op === "updateActiveRides")?.ok;
  const locations = lines.find((l) => l.type === "result")?.locationsLogged;
  if (!total || updates === undefined || locations === undefined) return {};
  return { locationRate: (rate * (total - updates + locations)) / total };
}

/**
 * A `movr run --display-format json` or workload.raw.ts process, measured after its warm-up:
 * operations per second and CPU per operation from the line that opens the window to the end.
 */
async function workloadRound(
  args: string[],
  marks: { startsAt: RegExp; windowOpens: RegExp },
  window: (lines: RunLine[], openedAfterStartS: number) => Window,
  readsWindow?: (lines: RunLine[], openedAfterStartS: number) => Window,
): Promise<Measurement> {
  const run = await runNodeOk(args, {
    ...marks,
    env: { ...process.env, DATABASE_URL: "" },
    cwd: PROJECT_ROOT,
  });
  const lines = run.stdout
    .trim()
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as RunLine);
  const total = lines.find((l) => l.type === "total");
  const result = lines.find((l) => l.type === "result");
  if (!total || !result)
    throw new Error(`no summary in the output of ${args[0]}:\n${run.stdout.slice(-500)}`);
  const openedAfterStartS = (run.openedAtMs - run.startedAtMs) / 1000;
  const w = window(lines, openedAfterStartS);
  const ops = w.atEnd.ok - w.atOpen.ok;
  const reads = readsWindow?.(lines, openedAfterStartS);
  const rate = ops / (w.atEnd.seconds - w.atOpen.seconds);
  return {
    rate,
    ops,
    cpuMs: run.cpuMs,
    extra: {
      ...(reads ? { readsPerSec: windowRate(reads) } : {}),
      ...locationsCounted(lines, rate),
      p50: total.p50Ms ?? Number.NaN,
      p99: total.p99Ms ?? Number.NaN,
      errors: total.errors ?? 0,
      retries: result.transactions?.retries ?? 0,
      givenUp: result.transactions?.exhausted ?? 0,
    },
  };
}

/** A `movr load` or copy.raw.ts process into a fresh migrated database, measured. */
async function loadRound(
  adminUrl: string,
  name: string,
  args: (url: string) => string[],
  windowOpens: RegExp,
  parse: (stdout: string) => { rows: number; rowsPerSec: number },
): Promise<Measurement> {
  const url = await migratedDatabase(adminUrl, name);
  try {
    const run = await runNodeOk(args(url), {
      windowOpens,
      env: { ...process.env, DATABASE_URL: "" },
      cwd: PROJECT_ROOT,
    });
    const { rows, rowsPerSec } = parse(run.stdout);
    return { rate: rowsPerSec, ops: rows, cpuMs: run.cpuMs, extra: {} };
  } finally {
    await dropDatabases(adminUrl, [name]);
  }
}

function parseMovrLoad(stdout: string): { rows: number; rowsPerSec: number } {
  const m = /^Loaded ([\d,]+) rows .* \(([\d,]+) rows\/s\)/m.exec(stdout);
  if (!m) throw new Error(`unexpected movr load output:\n${stdout.slice(-500)}`);
  return { rows: Number(m[1]!.replaceAll(",", "")), rowsPerSec: Number(m[2]!.replaceAll(",", "")) };
}

/**
 * Runs MovR's workers and the raw mix in this process for a moment each (writes only, so every
 * write operation shows up) and prints any statement of the baseline's that MovR did not send.
 */
async function checkSameStatements(url: string): Promise<string[]> {
  const o = { seconds: 1.5, concurrency: 2, readPercent: 0 };
  const database = await openDatabase(databaseConfigFor(url, {}));
  let movr: Set<string>;
  try {
    const ctx = { database, cities: REFERENCE_CITIES, clock: () => new Date() };
    movr = await capturedStatements(async () => {
      const stop = new AbortController();
      const timer = setTimeout(() => stop.abort(), o.seconds * 1000);
      const options = {
        ...o,
        cities: REFERENCE_CITIES,
        followerReads: false,
        maxRate: 0,
        tolerateErrors: true,
        seed: 7,
      };
      await runWorkers(ctx, options, new WorkloadStats(OPERATIONS), stop.signal, () => undefined);
      clearTimeout(timer);
    });
  } finally {
    await database.close();
  }
  const raw = await capturedStatements(() => runRawWorkload(url, o));
  const foreign = foreignStatements(new Set([...movr, ...catalogueStatements()]), raw);
  return [
    foreign.length === 0
      ? `statements: the raw mix sent ${raw.size} distinct statements, every one movr run's (sent by it meanwhile or in its statement catalogue; BEGIN/COMMIT aside)`
      : `statements: ${foreign.length} of the raw mix's ${raw.size} were not movr run's (not sent by it meanwhile, not in its statement catalogue):`,
    ...foreign.map((t) => `  ${t.slice(0, 160)}`),
  ];
}

/**
 * One `movr run` round: the real command line at RUN_CONCURRENCY and READ_PERCENT, measured after
 * the warm-up; its extra `readsPerSec` is readVehicles' rate in the same window.
 */
export function movrRunRound(url: string, roundSeconds: number): Promise<Measurement> {
  return workloadRound(
    [
      MOVR,
      "run",
      "--url",
      url,
      "--concurrency",
      String(RUN_CONCURRENCY),
      "--duration",
      `${roundSeconds}s`,
      "--read-percent",
      String(READ_PERCENT),
      "--display-format",
      "json",
    ],
    { startsAt: /Running the movr workload/, windowOpens: FIRST_STEADY_TICK },
    movrWindow,
    (lines, openedAfterStartS) => movrWindow(lines, openedAfterStartS, "readVehicles"),
  );
}

/** One round of the same mix over raw `pg` (workload.raw.ts), as `movr run`'s is measured. */
export function rawRunRound(url: string, roundSeconds: number): Promise<Measurement> {
  return workloadRound(
    [
      path.join(HERE, "workload.raw.js"),
      url,
      String(roundSeconds),
      String(RUN_CONCURRENCY),
      String(READ_PERCENT),
      String(RUN_WARMUP_SECONDS),
    ],
    { startsAt: /Running the raw workload/, windowOpens: /"type":"warm"/ },
    rawWindow,
  );
}

export const progress = printRound("ops/s");

export async function runWorkloadBench(): Promise<Comparison[]> {
  const adminUrl = adminUrlFromEnv();
  const seconds = secondsFromEnv(5);
  const roundSeconds = RUN_WARMUP_SECONDS + seconds;
  const pairs = pairsFromEnv();
  const names = ["movr_bench_run", "movr_bench_load_ours", "movr_bench_load_copy"].map(benchDatabaseName);
  const comparisons: Comparison[] = [];
  try {
    const runUrl = await loadedDatabase(adminUrl, names[0]!);
    const sameSql = await checkSameStatements(runUrl);
    console.log(
      `movr run against the same mix on raw pg: concurrency ${RUN_CONCURRENCY} each, ${READ_PERCENT}% reads, one database; rounds of ${roundSeconds} s, measured after the first ${RUN_WARMUP_SECONDS} s (warm-up)`,
    );
    const result = await runPaired(
      { label: "movr run", measure: () => movrRunRound(runUrl, roundSeconds) },
      { label: "raw pg", measure: () => rawRunRound(runUrl, roundSeconds) },
      { pairs, onRound: progress },
    );
    const run = compare("movr run, concurrency 8", ["movr run", "raw pg"], result, "op", [
      { name: "p50 ms", pick: (m) => m.extra.p50!, digits: 1 },
      { name: "p99 ms", pick: (m) => m.extra.p99!, digits: 1 },
      { name: "retries (all rounds)", pick: (m) => m.extra.retries!, digits: 0, over: "sum" },
      { name: "given up (all rounds)", pick: (m) => m.extra.givenUp!, digits: 0, over: "sum" },
      { name: "errors (all rounds)", pick: (m) => m.extra.errors!, digits: 0, over: "sum" },
    ]);
    pushAll(run.lines, sameSql);
    console.log(run.lines.join("\n"));
    comparisons.push(run);

    const total = Object.values(LOAD_DATA).reduce((a, b) => a + b, 0);
    console.log(
      `\nmovr load against COPY FROM STDIN of the same ${total.toLocaleString("en-US")} rows, ${LOAD_CONCURRENCY} connections each, a fresh database per round`,
    );
    const options = { cities: REFERENCE_CITIES, ...LOAD_DATA, seed: 1, now: NOW };
    const loaded = await runPaired(
      {
        label: "movr load",
        measure: () =>
          loadRound(
            adminUrl,
            names[1]!,
            (url) => [
              MOVR,
              "load",
              "--url",
              url,
              "--concurrency",
              String(LOAD_CONCURRENCY),
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
            ],
            /The schema is up to date|Created the schema/,
            parseMovrLoad,
          ),
      },
      {
        label: "COPY",
        measure: () =>
          loadRound(
            adminUrl,
            names[2]!,
            (url) => [path.join(HERE, "copy.raw.js"), url, String(LOAD_CONCURRENCY), JSON.stringify(options)],
            /Copying with/,
            (stdout) => JSON.parse(stdout.trim().split("\n").pop()!) as { rows: number; rowsPerSec: number },
          ),
      },
      { pairs, onRound: progress },
    );
    const load = compare(
      `movr load, ${total.toLocaleString("en-US")} rows`,
      ["movr load", "COPY"],
      loaded,
      "row",
    );
    console.log(load.lines.join("\n"));
    comparisons.push(load);
  } finally {
    await dropDatabases(adminUrl, names);
  }
  return comparisons;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runWorkloadBench().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
