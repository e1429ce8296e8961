// `npm run bench`: every figure next to a baseline measured in the same run, in paired,
// alternating rounds (bench/paired.ts), printed as the median of the per-pair ratios with their
// minimum and maximum. Wall-clock figures live here, never in tests. Needs the PostgreSQL server
// (MOVR_BENCH_DATABASE_URL, default postgresql://postgres@127.0.0.1:5432/postgres).
// MOVR_BENCH_PAIRS (default 5) pairs of rounds; MOVR_BENCH_SECONDS per timed round.
import { execFileSync } from "node:child_process";
import { availableParallelism, cpus, loadavg, totalmem } from "node:os";
import { PROJECT_ROOT } from "../src/config.ts";
import { runCliBench } from "./cli.bench.ts";
import { adminUrlFromEnv, serverVersion } from "./databases.ts";
import { runHttpBench } from "./http.bench.ts";
import { maxOf } from "../src/shared/arrays.ts";
import { runStartBench } from "./start.bench.ts";
import { fmt, fmtSpread, pairsFromEnv, type Comparison, type Measurement } from "./paired.ts";
import { PYTHON_GOAL, runPythonBench } from "./python.bench.ts";
import { runWorkloadBench } from "./workload.bench.ts";

const uptime = () => {
  try {
    return execFileSync("uptime", { encoding: "utf8" }).trim();
  } catch {
    return `load average: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(", ")}`;
  }
};

const commit = () => {
  try {
    return execFileSync("git", ["rev-parse", "--short", "HEAD"], {
      cwd: PROJECT_ROOT,
      encoding: "utf8",
    }).trim();
  } catch {
    return "?";
  }
};

interface Goal {
  figure: string;
  value: string;
  goal: string;
  met: boolean;
}

async function main(): Promise<void> {
  const started = Date.now();
  console.log(`movr bench, commit ${commit()}, ${new Date().toISOString()}`);
  console.log(
    `machine: ${availableParallelism()} cores (${cpus()[0]?.model ?? "?"}), ${Math.round(totalmem() / 2 ** 30)} GB; node ${process.version}; ${await serverVersion(adminUrlFromEnv())}`,
  );
  console.log(`pairs of rounds: ${pairsFromEnv()}`);
  console.log(`uptime before: ${uptime()}`);

  const section = async <T>(title: string, fn: () => Promise<T>): Promise<T> => {
    console.log(`\n== ${title} ==`);
    const t0 = Date.now();
    const result = await fn();
    console.log(`(${((Date.now() - t0) / 1000).toFixed(0)} s)`);
    return result;
  };
  const [list, rides] = await section(
    "web application: our API against a bare node:http + pg server",
    runHttpBench,
  );
  const [run, load] = await section(
    "workload tool: movr run / movr load against raw pg / COPY",
    runWorkloadBench,
  );
  // Only where the Python generator was set up by hand (MOVR_BENCH_PYTHON_MOVR); else one line.
  const python = await section("the Python generator of cockroachdb/movr (python.bench.ts)", runPythonBench);
  const cli = await section("command line start", runCliBench);
  // Not a paired comparison: first start, restart and memory against issue 8's absolute goals.
  const start = await section("server start-up and memory (start.bench.ts)", () => runStartBench());

  const row = (c: Comparison | undefined) =>
    c
      ? `| ${c.title} | ${fmt(c.rate[0], 0)} | ${fmt(c.rate[1], 0)} | ${fmtSpread(c.ratio)} | ${fmt(c.cpuUsPerOp[0], 1)} / ${fmt(c.cpuUsPerOp[1], 1)} |`
      : "";
  console.log(
    "\n== summary (medians of the per-pair ratios, min–max; CPU µs per operation ours / baseline) ==",
  );
  console.log("| comparison | ours /s | baseline /s | ratio | CPU µs per op |");
  console.log("|---|---|---|---|---|");
  for (const c of [list, rides, run, load, python]) console.log(row(c));
  console.log(
    `| movr --help, ms | ${fmt(cli.movrMs, 0)} | ${fmt(cli.nodeMs, 0)} (node -e 0) | ${fmt(cli.ratio, 2)}× | |`,
  );

  const goals: Goal[] = [];
  const atLeast = (figure: string, c: Comparison | undefined, goal: number) => {
    if (c)
      goals.push({ figure, value: fmt(c.ratio.median, 2), goal: `≥ ${goal}`, met: c.ratio.median >= goal });
  };
  atLeast("GET vehicles", list, 0.9);
  atLeast("ride pairs", rides, 0.9);
  if (rides) {
    const ratio = rides.extraRatios.p99?.median ?? Number.NaN;
    goals.push({
      figure: "ride pairs p99 / baseline's",
      value: fmt(ratio, 2),
      goal: "≤ 1.5",
      met: ratio <= 1.5,
    });
    const givenUp = (ms: Measurement[]) => ms.reduce((sum, m) => sum + (m.extra.givenUp ?? 0), 0);
    const [ours, base] = [givenUp(rides.result.a), givenUp(rides.result.b)];
    goals.push({
      figure: "ride pairs transactions given up",
      value: `${ours} against ${base}`,
      goal: "no more",
      met: ours <= base,
    });
  }
  atLeast("movr run", run, 0.9);
  atLeast("movr load / same-concurrency COPY", load, 0.9);
  atLeast("movr run / the Python generator (ops/s)", python, PYTHON_GOAL);
  goals.push({
    figure: "movr --help / node -e 0",
    value: `${fmt(cli.ratio, 2)}×`,
    goal: "≤ 6×",
    met: cli.ratio <= 6,
  });
  // Start and memory: absolute goals, not ratios. With workers, the goal is each process's
  // (the baseline is one process); their sum is printed beside it.
  const mb = (v: number) => `${v.toFixed(0)} MB`;
  const atMost = (
    figure: string,
    value: number | null | undefined,
    goal: number,
    show: (v: number) => string,
    note = "",
  ) => {
    goals.push(
      value === null || value === undefined
        ? // The start bench always runs: a figure missing is a server that failed to start.
          { figure, value: "not measured (see above)", goal: `≤ ${show(goal)}`, met: false }
        : { figure, value: show(value) + note, goal: `≤ ${show(goal)}`, met: value <= goal },
    );
  };
  const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  atMost("embedded first start", start.embedded?.firstStartMs, 3000, seconds);
  atMost("embedded restart", start.embedded?.restartMs, 1500, seconds);
  atMost("embedded peak RSS under load", start.embedded?.peakRssMb, 250, mb);
  atMost("PostgreSQL peak RSS under load, one process", start.postgres?.peakRssMb, 150, mb);
  const perProcess = start.workers?.peakRssPerProcessMb;
  atMost(
    "PostgreSQL with workers, largest process's peak RSS",
    perProcess ? maxOf(perProcess) : undefined,
    150,
    mb,
    perProcess ? ` (sum over ${perProcess.length} processes ${mb(start.workers?.peakRssMb ?? 0)})` : "",
  );
  console.log("\n== issue 8 goals ==");
  for (const g of goals)
    console.log(`  ${g.met ? "met    " : "NOT met"}  ${g.figure}: ${g.value} (goal ${g.goal})`);
  console.log(`\nuptime after: ${uptime()}`);
  console.log(`bench took ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

main().catch((err: unknown) => {
  console.error(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(1);
});
