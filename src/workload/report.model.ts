// What a workload report shows, computed from decoded histogram files (histogram-file.ts): per
// operation and in total, ops/s and latency percentiles per tick, the latency distribution, errors
// by SQLSTATE and retries per tick, the run's totals, and the ratios between runs. Pure functions:
// report.html.ts draws the result, the CLI reads and writes the files.
import { DecodedHistogram, type HdrSnapshot, type RunSettings, type SnapshotTick } from "./histogram-file.ts";
import { maxOf, minOf } from "../shared/arrays.ts";

export interface OperationTotals {
  ops: number;
  errors: number;
  opsPerSec: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  pMaxMs: number;
  errorsByState: Record<string, number>;
}

export interface OperationSeries {
  name: string;
  /** ops/s of each tick of the run's timeline (null: the operation has no tick there). */
  opsPerSec: (number | null)[];
  /** Latency percentiles in ms of each tick (null: no successful operation in it). */
  p50Ms: (number | null)[];
  p95Ms: (number | null)[];
  p99Ms: (number | null)[];
  pMaxMs: (number | null)[];
  /** Errors of each tick, by SQLSTATE. */
  errors: Record<string, number[]>;
  /** Share of the operations (%) per latency bin; `binMs` holds each bin's lower edge. */
  distribution: { binMs: number[]; percent: number[] };
  totals: OperationTotals;
}

export interface RunReport {
  label: string;
  settings?: RunSettings;
  /** Whether the file has MovR's errors and retries (a CockroachDB file has not). */
  hasMovrFields: boolean;
  /** Seconds from the run's start to the end of each tick. */
  t: number[];
  elapsedS: number;
  /** The run's transaction retries of each tick. */
  retries: number[];
  retriesTotal: number;
  total: OperationSeries;
  operations: OperationSeries[];
}

/** Latency bins per power of ten in the distribution. */
const BINS_PER_DECADE = 10;

const round = (n: number, digits = 3) => Number(n.toFixed(digits));
const ms = (ns: number) => round(ns / 1e6);

function sameLayout(a: HdrSnapshot, b: HdrSnapshot): boolean {
  return (
    a.LowestTrackableValue === b.LowestTrackableValue &&
    a.HighestTrackableValue === b.HighestTrackableValue &&
    a.SignificantFigures === b.SignificantFigures
  );
}

function merged(hists: readonly HdrSnapshot[]): DecodedHistogram | undefined {
  const first = hists[0];
  if (!first) return undefined;
  const h = new DecodedHistogram(first);
  for (const s of hists) {
    if (!sameLayout(first, s)) {
      throw new Error("the ticks have different histogram layouts (lowest, highest, significant figures)");
    }
    h.add(s);
  }
  return h;
}

function distribution(h: DecodedHistogram | undefined): OperationSeries["distribution"] {
  if (!h || h.total === 0) return { binMs: [], percent: [] };
  const byBin = new Map<number, number>();
  h.counts.forEach((c, i) => {
    if (c === 0) return;
    const valueMs = Math.max(h.layout.valueAt(i), 1) / 1e6;
    const bin = Math.floor(Math.log10(valueMs) * BINS_PER_DECADE);
    byBin.set(bin, (byBin.get(bin) ?? 0) + c);
  });
  const bins = [...byBin.keys()].sort((a, b) => a - b);
  const binMs: number[] = [];
  const percent: number[] = [];
  // Every bin from the lowest to the highest (empty ones at 0), and one past the end where the
  // last step closes.
  for (let b = bins[0]!; b <= bins.at(-1)! + 1; b++) {
    binMs.push(Number((10 ** (b / BINS_PER_DECADE)).toPrecision(4)));
    percent.push(round(((byBin.get(b) ?? 0) / h.total) * 100, 4));
  }
  return { binMs, percent };
}

function totalsOf(
  h: DecodedHistogram | undefined,
  errorsByState: Record<string, number>,
  elapsedS: number,
): OperationTotals {
  const ops = h?.total ?? 0;
  const at = (p: number) => (h && ops > 0 ? ms(h.valueAtPercentile(p)) : 0);
  let errors = 0;
  for (const n of Object.values(errorsByState)) errors += n;
  return {
    ops,
    errors,
    opsPerSec: round(ops / Math.max(0.001, elapsedS), 1),
    p50Ms: at(50),
    p95Ms: at(95),
    p99Ms: at(99),
    pMaxMs: at(100),
    errorsByState: Object.fromEntries(Object.entries(errorsByState).sort(([a], [b]) => a.localeCompare(b))),
  };
}

/** One operation's (or the total's) series, built a moment at a time. */
class SeriesBuilder {
  readonly s: OperationSeries;
  private whole: DecodedHistogram | undefined;
  private first: HdrSnapshot | undefined;
  // Keyed by what the file says: no prototype, so "__proto__" or "constructor" is a key too.
  private readonly errorsByState = Object.create(null) as Record<string, number>;
  /** The sum of its ticks' Elapsed. */
  elapsedNs = 0;

  constructor(name: string, moments: number) {
    const gap = () => Array.from({ length: moments }, (): number | null => null);
    this.s = {
      name,
      opsPerSec: gap(),
      p50Ms: gap(),
      p95Ms: gap(),
      p99Ms: gap(),
      pMaxMs: gap(),
      errors: Object.create(null) as Record<string, number[]>,
      distribution: { binMs: [], percent: [] },
      totals: totalsOf(undefined, {}, 0),
    };
  }

  /** The ticks of moment `i` (the operation's one tick, or every operation's for the total). */
  add(i: number, ticks: readonly SnapshotTick[], moments: number): void {
    const h = merged(ticks.map((t) => t.Hist));
    let elapsedNs = 0;
    for (const t of ticks) {
      elapsedNs = Math.max(elapsedNs, t.Elapsed);
      if (!this.first) this.first = t.Hist;
      if (!sameLayout(this.first, t.Hist)) {
        throw new Error("the ticks have different histogram layouts (lowest, highest, significant figures)");
      }
      this.whole ??= new DecodedHistogram(t.Hist);
      this.whole.add(t.Hist);
      for (const [state, n] of Object.entries(t.MovR?.Errors ?? {})) {
        const list = (this.s.errors[state] ??= []);
        while (list.length < moments) list.push(0);
        list[i]! += n;
        this.errorsByState[state] = (this.errorsByState[state] ?? 0) + n;
      }
    }
    this.elapsedNs += elapsedNs;
    const count = h?.total ?? 0;
    const at = (p: number) => (h && count > 0 ? ms(h.valueAtPercentile(p)) : null);
    const s = this.s;
    s.opsPerSec[i] = round(count / Math.max(1e-3, elapsedNs / 1e9), 1);
    s.p50Ms[i] = at(50);
    s.p95Ms[i] = at(95);
    s.p99Ms[i] = at(99);
    s.pMaxMs[i] = at(100);
  }

  /** Grows to `moments` (an operation seen late, or missing at the end). */
  pad(moments: number): void {
    const s = this.s;
    for (const list of [s.opsPerSec, s.p50Ms, s.p95Ms, s.p99Ms, s.pMaxMs]) {
      while (list.length < moments) list.push(null);
    }
    for (const list of Object.values(s.errors)) while (list.length < moments) list.push(0);
  }

  build(elapsedS: number, moments: number): OperationSeries {
    this.pad(moments);
    this.s.distribution = distribution(this.whole);
    this.s.totals = totalsOf(this.whole, this.errorsByState, elapsedS);
    return this.s;
  }
}

/**
 * A run's report, built a moment at a time (`movr run --report` as the run goes, without keeping
 * its ticks; buildRunReport for a file): each call gives the ticks taken at one moment.
 */
export class RunReportBuilder {
  private readonly nowsMs: number[] = [];
  private startMs = Infinity;
  private readonly ops = new Map<string, SeriesBuilder>();
  private readonly total = new SeriesBuilder("total", 0);
  private readonly retries: number[] = [];
  private settings: RunSettings | undefined;
  private hasMovrFields = false;

  add(ticks: readonly SnapshotTick[]): void {
    if (ticks.length === 0) return;
    const i = this.nowsMs.length;
    const moments = i + 1;
    this.nowsMs.push(maxOf(ticks.map((t) => Date.parse(t.Now))));
    this.startMs = Math.min(this.startMs, minOf(ticks.map((t) => Date.parse(t.Now) - t.Elapsed / 1e6)));
    let retries = 0;
    for (const t of ticks) {
      let op = this.ops.get(t.Name);
      if (!op) {
        op = new SeriesBuilder(t.Name, i);
        this.ops.set(t.Name, op);
      }
      op.pad(i);
      op.add(i, [t], moments);
      retries += t.MovR?.Retries ?? 0;
      if (t.MovR) this.hasMovrFields = true;
      this.settings ??= t.MovR?.Settings;
    }
    this.total.pad(i);
    this.total.add(i, ticks, moments);
    this.retries.push(retries);
  }

  build(label: string): RunReport {
    const moments = this.nowsMs.length;
    if (moments === 0) throw new Error("it has no histogram ticks");
    // The run lasted as long as its longest-running operation's ticks (they all cover the run).
    const elapsedS = maxOf([...this.ops.values()].map((o) => o.elapsedNs)) / 1e9;
    return {
      label,
      ...(this.settings ? { settings: this.settings } : {}),
      hasMovrFields: this.hasMovrFields,
      t: this.nowsMs.map((now) => round((now - this.startMs) / 1000)),
      elapsedS: round(elapsedS),
      retries: this.retries,
      retriesTotal: this.retries.reduce((a, b) => a + b, 0),
      total: this.total.build(elapsedS, moments),
      operations: [...this.ops.values()].map((o) => o.build(elapsedS, moments)),
    };
  }
}

/** The report of one run from its decoded histogram file (decodeHistogramFile). */
export function buildRunReport(label: string, ticksByName: ReadonlyMap<string, SnapshotTick[]>): RunReport {
  // The moments of the file, in time order: the ticks of one moment share their Now.
  const byNow = new Map<string, SnapshotTick[]>();
  for (const ticks of ticksByName.values()) {
    for (const t of ticks) {
      const list = byNow.get(t.Now) ?? [];
      list.push(t);
      byNow.set(t.Now, list);
    }
  }
  const builder = new RunReportBuilder();
  const nows = [...byNow.keys()].sort((a, b) => Date.parse(a) - Date.parse(b));
  for (const now of nows) builder.add(byNow.get(now)!);
  return builder.build(label);
}

export interface RatioRow {
  name: string;
  /** run / baseline; null when the baseline has nothing to divide by. */
  opsPerSec: number | null;
  p50: number | null;
  p99: number | null;
}

export interface Comparison {
  baseline: string;
  run: string;
  rows: RatioRow[];
}

const ratio = (a: number, b: number) => (b > 0 ? round(a / b, 2) : null);
/** Latencies compare only when both runs did the operation (a run without it has no p50, not 0). */
const latencyRatio = (a: number, b: number, aOps: number, bOps: number) =>
  aOps > 0 && bOps > 0 ? ratio(a, b) : null;

/** Each run after the first against the first: per operation (both runs have) and in total. */
export function compareRuns(runs: readonly RunReport[]): Comparison[] {
  const [first, ...rest] = runs;
  if (!first) return [];
  return rest.map((run) => {
    const rows: RatioRow[] = [];
    const pairs: [OperationTotals, OperationTotals, string][] = [];
    for (const op of run.operations) {
      const base = first.operations.find((o) => o.name === op.name);
      if (base) pairs.push([op.totals, base.totals, op.name]);
    }
    pairs.push([run.total.totals, first.total.totals, "total"]);
    for (const [a, b, name] of pairs) {
      rows.push({
        name,
        opsPerSec: ratio(a.opsPerSec, b.opsPerSec),
        p50: latencyRatio(a.p50Ms, b.p50Ms, a.ops, b.ops),
        p99: latencyRatio(a.p99Ms, b.p99Ms, a.ops, b.ops),
      });
    }
    return { baseline: first.label, run: run.label, rows };
  });
}

/** The comparison as the terminal prints it: one table per run against the first. */
export function comparisonLines(comparisons: readonly Comparison[]): string[] {
  const lines: string[] = [];
  const cell = (r: number | null) => (r === null ? "-" : r.toFixed(2)).padStart(10);
  for (const c of comparisons) {
    lines.push(`${c.run} against ${c.baseline} (ratio: ${c.run} / ${c.baseline})`);
    lines.push(`${"operation".padEnd(20)}${"ops/s".padStart(10)}${"p50".padStart(10)}${"p99".padStart(10)}`);
    for (const r of c.rows) {
      lines.push(`${r.name.padEnd(20)}${cell(r.opsPerSec)}${cell(r.p50)}${cell(r.p99)}`);
    }
  }
  return lines;
}
