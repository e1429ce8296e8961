// Paired, alternating rounds: the one way every comparison of `npm run bench` is measured.
//
// On a shared 2-core machine the load changes from second to second, so two long runs one after
// the other compare two different machines. Short rounds in pairs (A B, then B A, then A B, ...)
// put both sides of a pair on nearly the same machine, and the alternation cancels a drift (a
// database that grows, a cache that warms). Each pair gives a ratio; the figure is the median of
// those ratios, with their minimum and maximum, so one lucky or unlucky round cannot make it.
import { maxOf, minOf } from "../src/shared/arrays.ts";

export type SideName = "a" | "b";

/** The order of the rounds: A B, B A, A B, ... (`pairs` pairs). */
export function pairOrder(pairs: number): [SideName, SideName][] {
  return Array.from({ length: pairs }, (_, i): [SideName, SideName] =>
    i % 2 === 0 ? ["a", "b"] : ["b", "a"],
  );
}

/** The middle value; the mean of the two middle values for an even count. NaN when empty. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((x, y) => x - y);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export interface Spread {
  median: number;
  min: number;
  max: number;
}

export function spread(values: readonly number[]): Spread {
  if (values.length === 0) return { median: Number.NaN, min: Number.NaN, max: Number.NaN };
  return { median: median(values), min: minOf(values), max: maxOf(values) };
}

/** a[i] / b[i] for each pair; a pair whose `b` is 0 has no ratio (left out). */
export function pairRatios(a: readonly number[], b: readonly number[]): number[] {
  if (a.length !== b.length) throw new Error(`unpaired samples: ${a.length} against ${b.length}`);
  const ratios: number[] = [];
  a.forEach((x, i) => {
    if (b[i]! > 0) ratios.push(x / b[i]!);
  });
  return ratios;
}

/** What one round of one side measured. */
export interface Measurement {
  /** The headline rate, higher is better (requests/s, ops/s, rows/s). */
  rate: number;
  /** Operations done in the measured window (the divisor of cpuMs). */
  ops: number;
  /** CPU time (user + system) of the measured process in the window, milliseconds. */
  cpuMs: number;
  /** Anything else this comparison reports (p50, p99, retries, peak RSS, ...). */
  extra: Record<string, number>;
}

export interface Contender {
  label: string;
  /** One round; `round` counts this side's rounds from 0. */
  measure(round: number): Promise<Measurement>;
}

export interface PairedOptions {
  pairs: number;
  /** Runs after every round (ending a ride left open, say). */
  between?: () => Promise<void>;
  /** Told of each round as it ends: progress on a long bench. */
  onRound?: (label: string, m: Measurement) => void;
}

export interface PairedResult {
  a: Measurement[];
  b: Measurement[];
}

/** Runs `pairs` pairs of rounds in pairOrder; a[i] and b[i] are the two halves of pair i. */
export async function runPaired(a: Contender, b: Contender, o: PairedOptions): Promise<PairedResult> {
  const result: PairedResult = { a: [], b: [] };
  const sides = { a, b };
  for (const pair of pairOrder(o.pairs)) {
    for (const side of pair) {
      const m = await sides[side].measure(result[side].length);
      result[side].push(m);
      o.onRound?.(sides[side].label, m);
      await o.between?.();
    }
  }
  return result;
}

export const cpuUsPerOp = (m: Measurement): number => (m.ops > 0 ? (m.cpuMs * 1000) / m.ops : Number.NaN);

/** A line of the report: each side's median over its rounds, or their sum or maximum. */
export interface Row {
  name: string;
  pick: (m: Measurement) => number;
  digits: number;
  over?: "median" | "sum" | "max";
}

/** A per-pair ratio to report besides the rate's (p99 ours/baseline, say). */
export interface RatioRow {
  name: string;
  pick: (m: Measurement) => number;
}

export interface Comparison {
  title: string;
  labels: [string, string];
  pairs: number;
  /** The rate ratio a/b per pair. */
  ratio: Spread;
  ratios: number[];
  rate: [number, number];
  cpuUsPerOp: [number, number];
  /** Each RatioRow's per-pair spread, by name. */
  extraRatios: Record<string, Spread>;
  result: PairedResult;
  lines: string[];
}

const aggregate = (values: number[], over: Row["over"]) =>
  over === "sum" ? values.reduce((s, v) => s + v, 0) : over === "max" ? maxOf(values) : median(values);

export const fmt = (n: number, digits: number): string =>
  Number.isFinite(n)
    ? n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits })
    : "-";

export const fmtSpread = (s: Spread): string => `${fmt(s.median, 2)} (${fmt(s.min, 2)}–${fmt(s.max, 2)})`;

/**
 * The report of one paired comparison: the rate and the CPU per operation of each side (medians
 * over rounds), `rows`, the rate ratio a/b (median of the pairs, min–max) and `ratioRows`.
 */
export function compare(
  title: string,
  labels: [string, string],
  result: PairedResult,
  opName: string,
  rows: Row[] = [],
  ratioRows: RatioRow[] = [],
): Comparison {
  const all: Row[] = [
    { name: `${opName}/s`, pick: (m) => m.rate, digits: 0 },
    { name: `CPU µs per ${opName}`, pick: cpuUsPerOp, digits: 1 },
    ...rows,
  ];
  const table = all.map((r) => [
    r.name,
    fmt(aggregate(result.a.map(r.pick), r.over), r.digits),
    fmt(aggregate(result.b.map(r.pick), r.over), r.digits),
  ]);
  const ratios = pairRatios(
    result.a.map((m) => m.rate),
    result.b.map((m) => m.rate),
  );
  const ratio = spread(ratios);
  table.push([`ratio ${labels[0]}/${labels[1]}`, fmtSpread(ratio), ""]);
  const extraRatios: Record<string, Spread> = {};
  for (const r of ratioRows) {
    const s = spread(pairRatios(result.a.map(r.pick), result.b.map(r.pick)));
    extraRatios[r.name] = s;
    table.push([`${r.name} ratio`, fmtSpread(s), ""]);
  }
  const header = ["", labels[0], labels[1]];
  const widths = header.map((h, i) => maxOf([h, ...table.map((r) => r[i]!)].map((c) => c.length)));
  const line = (r: string[]) =>
    `  ${r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ")}`;
  return {
    title,
    labels,
    pairs: result.a.length,
    ratio,
    ratios,
    rate: [median(result.a.map((m) => m.rate)), median(result.b.map((m) => m.rate))],
    cpuUsPerOp: [median(result.a.map(cpuUsPerOp)), median(result.b.map(cpuUsPerOp))],
    extraRatios,
    result,
    lines: [
      `${title}: ${result.a.length} pairs`,
      line(header),
      ...table.map(line),
      `  per pair: ${ratios.map((r) => fmt(r, 2)).join(" ")}`,
    ],
  };
}

/** Pairs of rounds from MOVR_BENCH_PAIRS (at least 1; default 5). */
export function pairsFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const n = Number(env.MOVR_BENCH_PAIRS);
  return Number.isInteger(n) && n >= 1 ? n : 5;
}

/** Seconds per timed round from MOVR_BENCH_SECONDS (default `fallback`). */
export function secondsFromEnv(fallback: number, env: NodeJS.ProcessEnv = process.env): number {
  const n = Number(env.MOVR_BENCH_SECONDS);
  return Number.isFinite(n) && n > 0 ? n : fallback;
}

/** An `onRound` that prints each round's rate on stderr, as "  label: 1,234 unit". */
export const printRound =
  (unit: string) =>
  (label: string, m: Measurement): void => {
    process.stderr.write(`  ${label}: ${Math.round(m.rate).toLocaleString("en-US")} ${unit}\n`);
  };
