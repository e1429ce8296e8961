// `movr --help` against `node -e 0`: paired rounds of spawning each (paired.ts), timed from spawn
// to exit; the figure is the ratio of the two medians (and the per-pair ratios' spread). Shows
// what our command line costs before it does anything: module loading, mostly.
import path from "node:path";
import { pathToFileURL } from "node:url";
import { PROJECT_ROOT } from "../src/config.ts";
import { runNodeOk } from "./child.ts";
import {
  fmt,
  fmtSpread,
  median,
  pairRatios,
  pairsFromEnv,
  runPaired,
  spread,
  type Measurement,
} from "./paired.ts";

export interface CliFigures {
  /** median(movr --help) / median(node -e 0), wall time. */
  ratio: number;
  spread: ReturnType<typeof spread>;
  movrMs: number;
  nodeMs: number;
  lines: string[];
}

const spawned = (args: string[]) => async (): Promise<Measurement> => {
  const run = await runNodeOk(args, { cwd: PROJECT_ROOT });
  return { rate: 1000 / run.wallMs, ops: 1, cpuMs: run.totalCpuMs, extra: { wallMs: run.wallMs } };
};

export async function runCliBench(): Promise<CliFigures> {
  // Short rounds: twice as many pairs as the timed comparisons.
  const pairs = 2 * pairsFromEnv();
  const movr = spawned([path.join(PROJECT_ROOT, "bin", "movr.js"), "--help"]);
  const node = spawned(["-e", "0"]);
  await movr(); // the file system cache, once
  await node();
  const result = await runPaired(
    { label: "movr --help", measure: movr },
    { label: "node -e 0", measure: node },
    { pairs },
  );
  const wall = (ms: Measurement[]) => ms.map((m) => m.extra.wallMs!);
  const cpu = (ms: Measurement[]) => median(ms.map((m) => m.cpuMs));
  const movrMs = median(wall(result.a));
  const nodeMs = median(wall(result.b));
  const perPair = spread(pairRatios(wall(result.a), wall(result.b)));
  const lines = [
    `movr --help against node -e 0: ${pairs} pairs of one spawn each`,
    `  wall ms (median)  movr --help ${fmt(movrMs, 0)}  node -e 0 ${fmt(nodeMs, 0)}`,
    `  CPU ms (median)   movr --help ${fmt(cpu(result.a), 0)}  node -e 0 ${fmt(cpu(result.b), 0)}`,
    `  ratio of medians ${fmt(movrMs / nodeMs, 2)}× (per pair ${fmtSpread(perPair)})`,
  ];
  console.log(lines.join("\n"));
  return { ratio: movrMs / nodeMs, spread: perPair, movrMs, nodeMs, lines };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runCliBench().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
