// `movr run` against the Python generator of cockroachdb/movr (`loadmovr.py run`, whose operation
// mix `movr run` follows) at the same concurrency, in paired rounds (paired.ts). Issue 8 asks for
// at least 4× its ops/s.
//
// It runs only where that generator was set up by hand (bench/README.md, "The Python
// generator"): nothing here installs or downloads anything, and nothing of that project is in
// this repository. Without it the bench says why it skipped and goes on.
//
//   MOVR_BENCH_PYTHON_MOVR   a checkout of cockroachdb/movr (the folder of its loadmovr.py)
//   MOVR_BENCH_PYTHON        the Python to run it with (default python3); its modules, with
//                            PYTHONPATH as usual, must include sqlalchemy_cockroachdb
//   node dist/bench/python.bench.js
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { REFERENCE_CITIES } from "../src/cities/region.config.ts";
import { PROJECT_ROOT } from "../src/config.ts";
import { runCommandOk } from "./child.ts";
import { adminUrlFromEnv, benchDatabaseName, copyDatabase, dropDatabases, withClient } from "./databases.ts";
import {
  compare,
  pairsFromEnv,
  runPaired,
  secondsFromEnv,
  type Comparison,
  type Measurement,
} from "./paired.ts";
import {
  loadedDatabase,
  movrRunRound,
  progress,
  rawRunRound,
  READ_PERCENT,
  RUN_CONCURRENCY,
  RUN_WARMUP_SECONDS,
  windowRate,
  type Window,
} from "./workload.bench.ts";

/** Ours, run as a script: it imports the generator's modules and runs its `run` command. */
const HARNESS = path.join(PROJECT_ROOT, "bench", "python-generator.py");
export const PYTHON_GOAL = 4;

/**
 * The generator starts rides on random riders and vehicles, whatever they are doing: on our
 * schema (migrations 0002 and 0004) it breaks these two rules, and its thread then sleeps 10 s
 * ("Lost connection to the database"). Its own schema has neither; its copy of the data goes
 * without them.
 */
const RULES_IT_BREAKS = ["rides_one_active_per_rider", "rides_one_active_per_city_vehicle"];

interface Python {
  python: string;
  source: string;
}

/** The Python and the generator's checkout from the environment, or why the bench skips. */
export function pythonFromEnv(env: NodeJS.ProcessEnv = process.env): Python | { skip: string } {
  const source = env.MOVR_BENCH_PYTHON_MOVR;
  if (!source) return { skip: "MOVR_BENCH_PYTHON_MOVR is not set (see bench/README.md)" };
  if (!existsSync(path.join(source, "loadmovr.py")))
    return { skip: `no loadmovr.py in MOVR_BENCH_PYTHON_MOVR (${source})` };
  const python = env.MOVR_BENCH_PYTHON || "python3";
  const check = spawnSync(
    python,
    ["-c", "import sqlalchemy, psycopg2, faker, numpy, tabulate, sqlalchemy_cockroachdb"],
    { encoding: "utf8", env },
  );
  if (check.status !== 0) {
    const why = check.error?.message ?? check.stderr.trim().split("\n").pop() ?? "";
    return { skip: `${python} cannot import the generator's modules: ${why}` };
  }
  return { python, source };
}

/** The loaded database's copy for the generator, without RULES_IT_BREAKS. */
async function pythonDatabase(adminUrl: string, template: string, name: string): Promise<string> {
  const url = await copyDatabase(adminUrl, template, name);
  await withClient(url, (client) => client.query(`DROP INDEX ${RULES_IT_BREAKS.join(", ")}`));
  return url;
}

interface PythonLine {
  type: string;
  elapsed?: number;
  ok?: number;
  ops?: Record<string, number>;
}

/** One round of the generator, measured after the warm-up as `movr run` is. */
async function pythonRound(p: Python, url: string, roundSeconds: number): Promise<Measurement> {
  const args = [
    HARNESS,
    url,
    String(roundSeconds),
    String(RUN_CONCURRENCY),
    String(READ_PERCENT / 100),
    String(RUN_WARMUP_SECONDS),
  ];
  for (const city of REFERENCE_CITIES) args.push(city);
  const run = await runCommandOk(p.python, args, {
    startsAt: /"type":"start"/,
    windowOpens: /"type":"warm"/,
    env: { ...process.env, MOVR_PYTHON_SOURCE: p.source },
    cwd: PROJECT_ROOT,
  });
  const lines = run.stdout
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as PythonLine);
  const warm = lines.find((l) => l.type === "warm");
  const total = lines.find((l) => l.type === "total");
  if (!warm || !total) throw new Error(`no counts in the generator's output:\n${run.stdout.slice(-500)}`);
  const window = (count: (l: PythonLine) => number): Window => ({
    atOpen: { ok: count(warm), seconds: warm.elapsed! },
    atEnd: { ok: count(total), seconds: total.elapsed! },
  });
  const all = window((l) => l.ok!);
  return {
    rate: windowRate(all),
    ops: all.atEnd.ok - all.atOpen.ok,
    cpuMs: run.cpuMs,
    extra: {
      // It counts each location it logs as an operation already.
      locationRate: windowRate(all),
      readsPerSec: windowRate(window((l) => l.ops!["get vehicles"] ?? 0)),
      // Its only error path: any database error stops the thread for 10 s, logged as this.
      errors: run.stderr.split("Lost connection to the database").length - 1,
    },
  };
}

/**
 * `movr run` against the generator; then the raw `pg` mix of workload.raw.ts (the baseline of
 * `movr run` in workload.bench.ts) against it, for scale. Undefined when the generator is not
 * set up.
 */
export async function runPythonBench(): Promise<Comparison | undefined> {
  const p = pythonFromEnv();
  if ("skip" in p) {
    console.log(`skipped: ${p.skip}`);
    return undefined;
  }
  const adminUrl = adminUrlFromEnv();
  const roundSeconds = RUN_WARMUP_SECONDS + secondsFromEnv(5);
  const [ours, theirs] = ["movr_bench_py_ours", "movr_bench_py_theirs"].map(benchDatabaseName) as [
    string,
    string,
  ];
  try {
    const ourUrl = await loadedDatabase(adminUrl, ours);
    const theirUrl = await pythonDatabase(adminUrl, ours, theirs);
    console.log(
      `movr run against the Python generator (${path.basename(p.python)}, ${p.source}): ${RUN_CONCURRENCY} workers and ${RUN_CONCURRENCY} threads, ${READ_PERCENT}% reads, copies of one loaded database (the generator's without ${RULES_IT_BREAKS.join(" and ")}); rounds of ${roundSeconds} s, measured after the first ${RUN_WARMUP_SECONDS} s`,
    );
    const result = await runPaired(
      { label: "movr run", measure: () => movrRunRound(ourUrl, roundSeconds) },
      { label: "Python generator", measure: () => pythonRound(p, theirUrl, roundSeconds) },
      { pairs: pairsFromEnv(), onRound: progress },
    );
    const reads = (m: Measurement) => m.extra.readsPerSec!;
    const sameUnit = (m: Measurement) => m.extra.locationRate!;
    const c = compare(
      `movr run against the Python generator, concurrency ${RUN_CONCURRENCY}`,
      ["movr run", "Python"],
      result,
      "op",
      [
        { name: "op/s, a location logged = an op", pick: sameUnit, digits: 0 },
        { name: "get vehicles/s", pick: reads, digits: 0 },
        { name: "errors (all rounds)", pick: (m) => m.extra.errors ?? 0, digits: 0, over: "sum" },
      ],
      [
        { name: "op/s, a location = an op,", pick: sameUnit },
        { name: "get vehicles/s", pick: reads },
      ],
    );
    c.lines.push(
      "  (op/s: as each counts them; the generator counts each location it logs as an operation, movr run one updateActiveRides for up to ten, so the next row counts movr run's locations one by one too)",
    );
    console.log(c.lines.join("\n"));
    const raw = await runPaired(
      { label: "raw pg", measure: () => rawRunRound(ourUrl, roundSeconds) },
      { label: "Python generator", measure: () => pythonRound(p, theirUrl, roundSeconds) },
      { pairs: pairsFromEnv(), onRound: progress },
    );
    console.log(
      compare(
        `raw pg (workload.raw.ts, movr run's baseline) against the Python generator, concurrency ${RUN_CONCURRENCY}`,
        ["raw pg", "Python"],
        raw,
        "op",
      ).lines.join("\n"),
    );
    return c;
  } finally {
    await dropDatabases(adminUrl, [theirs, ours]);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runPythonBench().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
