// `movr run` output in the format of `cockroach workload run`: one row per operation every
// second, and a summary per operation and in total at the end; or one JSON object per row.
import { summarize, type LatencySummary, type WorkloadStats } from "../workload/stats.ts";
import { OPERATIONS } from "../workload/workload.ts";
import { fmtInt, writeLine, type OutStream } from "./io.ts";

export type DisplayFormat = "text" | "json";

export const TICK_HEADER =
  "_elapsed___errors__ops/sec(inst)___ops/sec(cum)__p50(ms)__p95(ms)__p99(ms)_pMax(ms)";
export const SUMMARY_HEADER =
  "_elapsed___errors_____ops(total)___ops/sec(cum)__avg(ms)__p50(ms)__p95(ms)__p99(ms)_pMax(ms)";

const f1 = (n: number, width: number) => n.toFixed(1).padStart(width);
const int = (n: number, width: number) => String(Math.round(n)).padStart(width);
const secs = (elapsedS: number) => `${elapsedS.toFixed(1)}s`.padStart(8);
const round = (n: number, digits = 3) => Number(n.toFixed(digits));

export interface TickRow {
  type: "tick";
  elapsed: number;
  op: string;
  errors: number;
  opsPerSecInst: number;
  opsPerSecCum: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  pMaxMs: number;
}

export interface OperationSummary {
  op: string;
  ok: number;
  errors: number;
  connectionErrors: number;
  conflicts: Record<string, number>;
  opsPerSec: number;
  avgMs: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  pMaxMs: number;
}

export interface RunSummary {
  elapsedMs: number;
  operations: Record<string, OperationSummary>;
  total: Omit<OperationSummary, "op" | "connectionErrors" | "conflicts"> & { conflicts: number };
  transactions: { committed: number; retries: number; exhausted: number };
  errorsByState: Record<string, number>;
  locationsLogged: number;
  /** Operations that failed while the database was unavailable (their outcome may be unknown). */
  connectionErrors: number;
  /** Of those, ambiguous results (40003, a broken COMMIT): never retried, may have committed. */
  ambiguousErrors: number;
  /** Idle pooled connections closed by the server and replaced. */
  idleConnectionsLost: number;
  interrupted: boolean;
  /** The unexpected error that stopped the run, when errors were not tolerated. */
  fatal?: string;
}

/** What each SQLSTATE or driver code means, for the errors table. */
const STATE_NAMES: Record<string, string> = {
  "40001": "serialization failure: retries exhausted",
  "40P01": "deadlock: retries exhausted",
  "57P01": "connection terminated by the server",
  "57P02": "server crash shutdown",
  "57P03": "server not accepting connections yet",
  "3D000": "database does not exist",
  "40003": "result is ambiguous",
  "57014": "statement timeout or cancelled",
  "55P03": "lock timeout",
  pool_timeout: "no pooled connection free in time",
  ambiguous: "connection lost during COMMIT: result is ambiguous",
  "08006": "connection failure",
  "08003": "connection does not exist",
  "08001": "cannot connect",
  ECONNRESET: "connection reset",
  ECONNREFUSED: "connection refused",
  ETIMEDOUT: "connection timed out",
  EPIPE: "connection closed while writing",
  connection: "connection lost",
  "42P01": "table missing: run movr load",
  other: "not a database error",
};

export class RunReporter {
  private ticks = 0;
  private lastTickAt: number;
  private lastConnectionErrors = 0;

  constructor(
    private readonly stdout: OutStream,
    private readonly stderr: OutStream,
    private readonly format: DisplayFormat,
    private readonly startedAt: number,
  ) {
    this.lastTickAt = startedAt;
  }

  /** One row per operation seen so far: this second's rate and latencies, and the cumulative rate. */
  tick(stats: WorkloadStats, now: number): TickRow[] {
    const elapsedS = (now - this.startedAt) / 1000;
    const intervalS = Math.max(0.001, (now - this.lastTickAt) / 1000);
    this.lastTickAt = now;
    const rows: TickRow[] = [];
    for (const name of OPERATIONS) {
      const s = stats.op(name);
      if (s.attempted === 0) continue;
      const { latency } = s.rollInterval();
      rows.push({
        type: "tick",
        // Whole seconds, as `cockroach workload run` prints them: the rates use the exact interval.
        elapsed: Math.round(elapsedS),
        op: name,
        errors: s.errors,
        opsPerSecInst: round(latency.count / intervalS, 1),
        opsPerSecCum: round(s.ok / elapsedS, 1),
        p50Ms: round(latency.p50Ms),
        p95Ms: round(latency.p95Ms),
        p99Ms: round(latency.p99Ms),
        pMaxMs: round(latency.pMaxMs),
      });
    }
    if (this.format === "json") {
      for (const r of rows) writeLine(this.stdout, JSON.stringify(r));
    } else if (rows.length > 0) {
      if (this.ticks % 20 === 0) writeLine(this.stdout, TICK_HEADER);
      for (const r of rows) {
        writeLine(
          this.stdout,
          `${secs(r.elapsed)} ${int(r.errors, 8)} ${f1(r.opsPerSecInst, 14)} ${f1(r.opsPerSecCum, 14)} ${f1(r.p50Ms, 8)} ${f1(r.p95Ms, 8)} ${f1(r.p99Ms, 8)} ${f1(r.pMaxMs, 8)} ${r.op}`,
        );
      }
    }
    this.ticks++;
    let connectionErrors = 0;
    for (const s of stats.ops.values()) connectionErrors += s.connectionErrors;
    if (connectionErrors > this.lastConnectionErrors) {
      const n = connectionErrors - this.lastConnectionErrors;
      writeLine(
        this.stderr,
        `${elapsedS.toFixed(1)}s: ${n} ${n === 1 ? "operation" : "operations"} failed while the database was unavailable; the pool reconnects and the workers go on.`,
      );
      this.lastConnectionErrors = connectionErrors;
    }
    return rows;
  }

  summarize(
    stats: WorkloadStats,
    elapsedMs: number,
    transactions: RunSummary["transactions"],
    extra: { interrupted: boolean; fatal?: string },
  ): RunSummary {
    const elapsedS = Math.max(0.001, elapsedMs / 1000);
    const operations: Record<string, OperationSummary> = {};
    let connectionErrors = 0;
    let ambiguousErrors = 0;
    for (const name of OPERATIONS) {
      const s = stats.op(name);
      connectionErrors += s.connectionErrors;
      ambiguousErrors += s.ambiguousErrors;
      const l: LatencySummary = summarize(s.cumulative);
      operations[name] = {
        op: name,
        ok: s.ok,
        errors: s.errors,
        connectionErrors: s.connectionErrors,
        conflicts: Object.fromEntries([...s.conflicts].sort()),
        opsPerSec: round(s.ok / elapsedS, 1),
        avgMs: round(l.avgMs),
        p50Ms: round(l.p50Ms),
        p95Ms: round(l.p95Ms),
        p99Ms: round(l.p99Ms),
        pMaxMs: round(l.pMaxMs),
      };
    }
    const t = stats.total();
    const summary: RunSummary = {
      elapsedMs: Math.round(elapsedMs),
      operations,
      total: {
        ok: t.ok,
        errors: t.errors,
        conflicts: t.conflicts,
        opsPerSec: round(t.ok / elapsedS, 1),
        avgMs: round(t.avgMs),
        p50Ms: round(t.p50Ms),
        p95Ms: round(t.p95Ms),
        p99Ms: round(t.p99Ms),
        pMaxMs: round(t.pMaxMs),
      },
      transactions,
      errorsByState: Object.fromEntries([...stats.errorsByState].sort()),
      locationsLogged: stats.locationsLogged,
      connectionErrors,
      ambiguousErrors,
      idleConnectionsLost: stats.idleConnectionsLost,
      interrupted: extra.interrupted,
      ...(extra.fatal === undefined ? {} : { fatal: extra.fatal }),
    };
    this.print(summary, elapsedS);
    return summary;
  }

  private print(s: RunSummary, elapsedS: number): void {
    if (this.format === "json") {
      for (const op of Object.values(s.operations)) {
        if (op.ok + op.errors + Object.keys(op.conflicts).length === 0) continue;
        writeLine(this.stdout, JSON.stringify({ type: "summary", elapsed: round(elapsedS, 1), ...op }));
      }
      writeLine(this.stdout, JSON.stringify({ type: "total", elapsed: round(elapsedS, 1), ...s.total }));
      const { operations: _ops, total: _total, ...rest } = s;
      writeLine(this.stdout, JSON.stringify({ type: "result", ...rest }));
      return;
    }
    const row = (
      errors: number,
      ops: number,
      opsPerSec: number,
      l: Omit<LatencySummary, "count">,
      name: string,
    ) =>
      `${secs(elapsedS)} ${int(errors, 8)} ${int(ops, 14)} ${f1(opsPerSec, 14)} ${f1(l.avgMs, 8)} ${f1(l.p50Ms, 8)} ${f1(l.p95Ms, 8)} ${f1(l.p99Ms, 8)} ${f1(l.pMaxMs, 8)}  ${name}`;
    writeLine(this.stdout);
    writeLine(this.stdout, `${SUMMARY_HEADER}__total`);
    for (const op of Object.values(s.operations)) {
      if (op.ok + op.errors === 0 && Object.keys(op.conflicts).length === 0) continue;
      writeLine(this.stdout, row(op.errors, op.ok, op.opsPerSec, op, op.op));
    }
    writeLine(this.stdout);
    writeLine(this.stdout, `${SUMMARY_HEADER}__result`);
    writeLine(this.stdout, row(s.total.errors, s.total.ok, s.total.opsPerSec, s.total, "total"));
    writeLine(this.stdout);
    const conflicts = Object.values(s.operations)
      .filter((op) => Object.keys(op.conflicts).length > 0)
      .map(
        (op) =>
          `${op.op} (${Object.entries(op.conflicts)
            .map(([code, n]) => `${code} ${fmtInt(n)}`)
            .join(", ")})`,
      );
    writeLine(
      this.stdout,
      `Conflicts (expected outcomes, not errors): ${conflicts.length > 0 ? conflicts.join("; ") : "none"}.`,
    );
    const tx = s.transactions;
    writeLine(
      this.stdout,
      `Transactions: ${fmtInt(tx.committed)} committed, ${fmtInt(tx.retries)} ${tx.retries === 1 ? "retry" : "retries"} after serialization failures (40001/40P01), ${fmtInt(tx.exhausted)} gave up.`,
    );
    const states = Object.entries(s.errorsByState);
    writeLine(
      this.stdout,
      `Errors by SQLSTATE: ${
        states.length > 0
          ? states
              .map(
                ([state, n]) =>
                  `${state} ${fmtInt(n)}${STATE_NAMES[state] ? ` (${STATE_NAMES[state]})` : ""}`,
              )
              .join(", ")
          : "none"
      }.`,
    );
    writeLine(
      this.stdout,
      `Database unavailable: ${fmtInt(s.connectionErrors)} operations failed (outcome unknown), ${fmtInt(s.ambiguousErrors)} of them ambiguous (40003, not retried); ${fmtInt(s.idleConnectionsLost)} idle connections lost.`,
    );
    writeLine(this.stdout, `Location points logged: ${fmtInt(s.locationsLogged)}.`);
  }
}
