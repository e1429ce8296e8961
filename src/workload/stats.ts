// Latency histograms and counters per operation, read every second and at the end of a run.
// Latencies are recorded for successful operations only, in nanoseconds, with the layout of the
// histogram file (histogram-file.ts), so the file decodes to exactly what is printed.
import { build, type Histogram } from "hdr-histogram-js";
import { HISTOGRAM_LAYOUT, TickHistogram } from "./histogram-file.ts";

const newHistogram = (): Histogram =>
  build({
    lowestDiscernibleValue: HISTOGRAM_LAYOUT.lowestNs,
    highestTrackableValue: HISTOGRAM_LAYOUT.highestNs,
    numberOfSignificantValueDigits: HISTOGRAM_LAYOUT.significantFigures,
  });

export interface LatencySummary {
  count: number;
  avgMs: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  pMaxMs: number;
}

export function summarize(h: Histogram): LatencySummary {
  const ms = (ns: number) => ns / 1e6;
  if (h.totalCount === 0) return { count: 0, avgMs: 0, p50Ms: 0, p95Ms: 0, p99Ms: 0, pMaxMs: 0 };
  return {
    count: h.totalCount,
    avgMs: ms(h.mean),
    p50Ms: ms(h.getValueAtPercentile(50)),
    p95Ms: ms(h.getValueAtPercentile(95)),
    p99Ms: ms(h.getValueAtPercentile(99)),
    pMaxMs: ms(h.getValueAtPercentile(100)),
  };
}

export class OperationStats {
  ok = 0;
  errors = 0;
  /**
   * Errors while the database was unavailable (lost or refused connection, shutdown, missing
   * database, pool or statement timeout): an operation cut off mid-way may have committed.
   */
  connectionErrors = 0;
  /** Of those, results the database itself called ambiguous (CockroachDB 40003, a broken COMMIT). */
  ambiguousErrors = 0;
  readonly conflicts = new Map<string, number>();
  readonly cumulative = newHistogram();
  interval = newHistogram();
  intervalErrors = 0;
  /** This tick's latencies for the histogram file (taken by the file writer, if any). */
  readonly tick = new TickHistogram();
  /** This tick's errors by SQLSTATE, for the histogram file (taken with `tick`). */
  tickErrors = new Map<string, number>();

  constructor(readonly name: string) {}

  recordOk(latencyMs: number): void {
    const ns = Math.min(
      HISTOGRAM_LAYOUT.highestNs,
      Math.max(HISTOGRAM_LAYOUT.lowestNs, Math.round(latencyMs * 1e6)),
    );
    this.ok++;
    this.cumulative.recordValue(ns);
    this.interval.recordValue(ns);
    this.tick.record(ns);
  }

  recordConflict(code: string): void {
    this.conflicts.set(code, (this.conflicts.get(code) ?? 0) + 1);
  }

  /**
   * An error; `outage` is its unavailability kind when the database could not answer, `state`
   * its SQLSTATE (or driver code).
   */
  recordError(outage?: string | boolean, state?: string): void {
    this.errors++;
    this.intervalErrors++;
    if (state !== undefined) this.tickErrors.set(state, (this.tickErrors.get(state) ?? 0) + 1);
    if (outage) this.connectionErrors++;
    if (outage === "ambiguous") this.ambiguousErrors++;
  }

  /** This tick's errors by SQLSTATE, and a fresh start. */
  takeTickErrors(): Map<string, number> {
    const errors = this.tickErrors;
    this.tickErrors = new Map();
    return errors;
  }

  get conflictCount(): number {
    let n = 0;
    for (const v of this.conflicts.values()) n += v;
    return n;
  }

  get attempted(): number {
    return this.ok + this.errors + this.conflictCount;
  }

  /** Takes this second's histogram and starts a new one. */
  rollInterval(): { latency: LatencySummary; errors: number } {
    const latency = summarize(this.interval);
    const errors = this.intervalErrors;
    this.interval.destroy();
    this.interval = newHistogram();
    this.intervalErrors = 0;
    return { latency, errors };
  }
}

export class WorkloadStats {
  readonly ops = new Map<string, OperationStats>();
  /** Errors by SQLSTATE (or by driver error code, or "other"). */
  readonly errorsByState = new Map<string, number>();
  /** Location points written by updateActiveRides (for checking counts against the database). */
  locationsLogged = 0;
  /** Idle pooled connections the server closed (the pool dropped and replaced them). */
  idleConnectionsLost = 0;

  constructor(names: readonly string[]) {
    for (const n of names) this.ops.set(n, new OperationStats(n));
  }

  op(name: string): OperationStats {
    let s = this.ops.get(name);
    if (!s) {
      s = new OperationStats(name);
      this.ops.set(name, s);
    }
    return s;
  }

  recordErrorState(state: string): void {
    this.errorsByState.set(state, (this.errorsByState.get(state) ?? 0) + 1);
  }

  total(): LatencySummary & { ok: number; errors: number; conflicts: number } {
    const merged = newHistogram();
    let errors = 0;
    let conflicts = 0;
    for (const s of this.ops.values()) {
      merged.add(s.cumulative);
      errors += s.errors;
      conflicts += s.conflictCount;
    }
    const latency = summarize(merged);
    merged.destroy();
    return { ...latency, ok: latency.count, errors, conflicts };
  }
}
