// `movr run`: per-second rows in the `cockroach workload run` format, a summary whose counts the
// database agrees with, JSON rows, Ctrl-C, and (on the server) backends terminated mid-run.
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { decodeHistogramFile, mergeTicks } from "../../src/workload/histogram-file.ts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REFERENCE_CITIES } from "../../src/cities/region.config.ts";
import { runLoad } from "../../src/cli/load.command.ts";
import { runWorkload, type RunCommandOptions } from "../../src/cli/run.command.ts";
import { SUMMARY_HEADER, TICK_HEADER, type RunSummary } from "../../src/cli/run.report.ts";
import { databaseConfigFor } from "../../src/config.ts";
import { openDatabase, type Database } from "../../src/db/database.ts";
import type { MovrContext } from "../../src/shared/context.ts";
import { OPERATIONS } from "../../src/workload/workload.ts";
import { createServerDatabase, dropServerDatabases, SERVER_URL, TARGETS } from "../support/databases.ts";
import { Capture, count, histogramFileExtras, spawnMovr, tableCounts, testIo } from "./support.ts";
import { maxOf } from "../../src/shared/arrays.ts";

afterAll(dropServerDatabases);

const SIZES = { users: 45, vehicles: 27, rides: 90, histories: 90, promoCodes: 50 };

async function loaded(database: Database): Promise<MovrContext> {
  const ctx = { database, cities: REFERENCE_CITIES, clock: () => new Date() };
  await runLoad(
    ctx,
    { cities: [...REFERENCE_CITIES], ...SIZES, seed: 5, now: new Date(), drop: false, skipInit: false },
    new Capture(),
  );
  return ctx;
}

const options = (o: Partial<RunCommandOptions> = {}): RunCommandOptions => ({
  cities: REFERENCE_CITIES,
  readPercent: 50, // more writes than the default 95, so every operation shows up in 5 s
  followerReads: false,
  concurrency: 4,
  maxRate: 0,
  tolerateErrors: false,
  seed: 3,
  durationMs: 5000,
  displayFormat: "text",
  ...o,
});

const ROW =
  /^\s+(\d+\.\d)s\s+(\d+)\s+(\d+\.\d)\s+(\d+\.\d)\s+(\d+\.\d)\s+(\d+\.\d)\s+(\d+\.\d)\s+(\d+\.\d) (\w+)$/;

interface Snapshot {
  counts: Record<string, number>;
  active: number;
  inUse: number;
}

async function snapshot(database: Database): Promise<Snapshot> {
  return {
    counts: await tableCounts(database),
    active: await count(database, "SELECT count(*) AS n FROM rides WHERE end_time IS NULL"),
    inUse: await count(database, "SELECT count(*) AS n FROM vehicles WHERE status = 'in_use'"),
  };
}

/**
 * What the database gained against what the summary says succeeded. An operation whose
 * connection was lost may have committed: the gain may exceed the successes by that many.
 */
function expectConsistent(before: Snapshot, after: Snapshot, s: RunSummary): void {
  const op = s.operations;
  const within = (gained: number, ok: number, unknown: number, what: string) => {
    expect(gained, `${what}: gained ${gained}, ok ${ok}, unknown ${unknown}`).toBeGreaterThanOrEqual(ok);
    expect(gained, `${what}: gained ${gained}, ok ${ok}, unknown ${unknown}`).toBeLessThanOrEqual(
      ok + unknown,
    );
  };
  const gained = (t: string) => after.counts[t]! - before.counts[t]!;
  within(gained("users"), op.addUser!.ok, op.addUser!.connectionErrors, "users");
  within(gained("vehicles"), op.addVehicle!.ok, op.addVehicle!.connectionErrors, "vehicles");
  within(gained("rides"), op.startRide!.ok, op.startRide!.connectionErrors, "rides");
  within(gained("promo_codes"), op.createPromoCode!.ok, op.createPromoCode!.connectionErrors, "promo_codes");
  within(
    gained("user_promo_codes"),
    op.applyPromoCode!.ok,
    op.applyPromoCode!.connectionErrors,
    "user_promo_codes",
  );
  within(
    gained("vehicle_location_histories"),
    s.locationsLogged,
    op.updateActiveRides!.connectionErrors,
    "vehicle_location_histories",
  );
  const startedAtMost = op.startRide!.ok + op.startRide!.connectionErrors;
  const endedAtLeast = op.endRide!.ok;
  expect(after.active).toBeLessThanOrEqual(before.active + startedAtMost - endedAtLeast);
  expect(after.active).toBeGreaterThanOrEqual(
    before.active + op.startRide!.ok - (op.endRide!.ok + op.endRide!.connectionErrors),
  );
  // Every vehicle in use is in exactly one active ride, however the run went.
  expect(after.inUse).toBe(after.active);
}

const tempFile = (name: string) => path.join(mkdtempSync(path.join(tmpdir(), "movr-hist-")), name);

/**
 * Polls `ready` every 50 ms until it holds or `ended()` does (the run is over: the caller's
 * assertions then say why, `summary.fatal` first); throws after `limitMs` (generous: a readiness
 * wait, not a timing) naming `what`, with `context()` (the run's last output) so that a wait that
 * gives up shows what the run was doing.
 */
async function until(
  ready: () => boolean,
  what: string,
  o: { ended: () => boolean; context: () => Promise<string>; limitMs?: number },
): Promise<void> {
  const limitMs = o.limitMs ?? 90_000;
  const deadline = Date.now() + limitMs;
  while (!ready() && !o.ended()) {
    if (Date.now() > deadline) {
      throw new Error(`gave up waiting for ${what} after ${limitMs / 1000} s\n${await o.context()}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The last `n` lines of a capture, for a message. */
const tail = (c: Capture, n = 40) => c.lines.slice(-n).join("\n");

describe.each(TARGETS)("movr run on $name", (target) => {
  let database: Database;
  let ctx: MovrContext;
  beforeAll(async () => {
    database = await target.open({ poolMax: 4 });
    ctx = await loaded(database);
  });
  afterAll(async () => database?.close());

  // `movr run --duration 5` on the server; 3 s on PGlite, which is slower to set up.
  const seconds = target.name === "postgres" ? 5 : 3;

  it("runs the mix for a few seconds: a row per operation every second, and a summary the database agrees with", async () => {
    const before = await snapshot(database);
    const io = testIo();
    const summary = await runWorkload(ctx, options({ durationMs: seconds * 1000 }), io);
    const after = await snapshot(database);

    const lines = io.stdout.lines;
    expect(lines[0]).toBe(TICK_HEADER);
    const rows = lines.map((l) => ROW.exec(l)).filter((m): m is RegExpExecArray => m !== null);
    const ticks = [...new Set(rows.map((m) => Number(m[1])))];
    expect(ticks.length).toBeGreaterThanOrEqual(seconds - 1);
    expect(ticks.every((x, i) => Number.isInteger(x) && (i === 0 || x > ticks[i - 1]!))).toBe(true);
    for (const m of rows) expect(OPERATIONS).toContain(m[9]);
    expect(rows.filter((m) => m[9] === "readVehicles").length).toBeGreaterThanOrEqual(seconds - 1);

    expect(lines).toContain(`${SUMMARY_HEADER}__total`);
    expect(lines).toContain(`${SUMMARY_HEADER}__result`);
    const summaryRow = (name: string) =>
      lines.find((l) => l.endsWith(`  ${name}`) && /^\s+\d+\.\ds\s+\d+\s+\d+\s/.test(l));
    const total = summaryRow("total")!.trim().split(/\s+/);
    expect(Number(total[2])).toBe(summary.total.ok);
    const reads = summaryRow("readVehicles")!.trim().split(/\s+/);
    expect(Number(reads[2])).toBe(summary.operations.readVehicles!.ok);
    expect(io.stdout.text).toMatch(
      /^Transactions: [\d,]+ committed, [\d,]+ retr(y|ies) after serialization failures/m,
    );
    expect(io.stdout.text).toContain("Errors by SQLSTATE: none.");

    expect(summary.fatal).toBeUndefined();
    expect(summary.total.errors).toBe(0);
    expect(summary.operations.readVehicles!.ok).toBeGreaterThan(0);
    expect(summary.operations.addUser!.ok).toBeGreaterThan(0);
    expect(summary.operations.updateActiveRides!.ok).toBeGreaterThan(0);
    expect(summary.transactions.committed).toBeGreaterThan(summary.total.ok);
    expectConsistent(before, after, summary);
    // Nothing was lost, so the counts are exact.
    expect(after.counts.users! - before.counts.users!).toBe(summary.operations.addUser!.ok);
    expect(after.counts.rides! - before.counts.rides!).toBe(summary.operations.startRide!.ok);
  });

  it("--max-rate so low that the workers' slots lie beyond what a timer holds: one operation, not thousands", async () => {
    // 4 workers at 1e-6 ops/s wait 0, 1e9, 2e9 and 3e9 ms for their slots; Node fires a timer of
    // 2^31 ms or more after 1 ms, so the fourth would run at once, again and again.
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on("warning", onWarning);
    try {
      const summary = await runWorkload(ctx, options({ maxRate: 0.000001, durationMs: 1000 }), testIo());
      expect(summary.total.ok + summary.total.conflicts + summary.total.errors).toBeLessThanOrEqual(1);
    } finally {
      process.off("warning", onWarning);
    }
    expect(warnings.map((w) => w.name)).not.toContain("TimeoutOverflowWarning");
  });

  it("--display-format json prints one object per row; Ctrl-C ends with the summary", async () => {
    const io = testIo();
    const histogramsFile = tempFile("run.histograms.json");
    const running = runWorkload(
      ctx,
      options({ durationMs: 0, displayFormat: "json", maxRate: 200, histogramsFile }),
      io,
    );
    for (let i = 0; i < 200 && !io.stdout.text.includes('"type":"tick"'); i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    io.interrupt();
    const summary = await running;
    expect(summary.interrupted).toBe(true);
    expect(io.stderr.text).toContain("Interrupted");
    const objects = io.stdout.lines.map((l) => JSON.parse(l) as { type: string; op?: string });
    expect(objects.some((o) => o.type === "tick" && o.op === "readVehicles")).toBe(true);
    expect(objects.filter((o) => o.type === "total")).toHaveLength(1);
    const result = objects.at(-1) as unknown as { type: string } & Omit<RunSummary, "operations" | "total">;
    expect(result.type).toBe("result");
    expect(result.transactions.committed).toBeGreaterThan(0);
    expect(result.interrupted).toBe(true);
    // The histogram file (CockroachDB's --histograms format) decodes to the printed summary.
    expect(io.stderr.text).toContain(`Histograms (one line per operation per second): ${histogramsFile}`);
    const decoded = decodeHistogramFile(readFileSync(histogramsFile, "utf8"));
    expect([...decoded.keys()].sort()).toEqual([...OPERATIONS].sort());
    const all = mergeTicks([...decoded.values()].flat())!;
    expect(all.total).toBe(summary.total.ok);
    const ms = (ns: number) => ns / 1e6;
    for (const [p, key] of [
      [50, "p50Ms"],
      [95, "p95Ms"],
      [99, "p99Ms"],
      [100, "pMaxMs"],
    ] as const) {
      for (const op of OPERATIONS) {
        const merged = mergeTicks(decoded.get(op)!)!;
        expect(merged.total, op).toBe(summary.operations[op]!.ok);
        expect(ms(merged.valueAtPercentile(p)), `${op} ${key}`).toBeCloseTo(summary.operations[op]![key], 3);
      }
      expect(ms(all.valueAtPercentile(p)), `total ${key}`).toBeCloseTo(summary.total[key], 3);
    }
    // MovR's key (CockroachDB's reader skips it): the settings on the first line; errors by
    // SQLSTATE, retries and elapsed times add up to the summary's.
    const reads = decoded.get("readVehicles")!;
    expect(reads[0]!.MovR?.Settings).toMatchObject({
      concurrency: 4,
      seed: 3,
      readPercent: 50,
      maxRate: 200,
    });
    expect(histogramFileExtras(histogramsFile).retries).toBe(summary.transactions.retries);
    expect(histogramFileExtras(histogramsFile).errors).toEqual(summary.errorsByState);
    expect(reads.reduce((n, t) => n + t.Elapsed, 0) / 1e6).toBeCloseTo(summary.elapsedMs, -1);
    // --max-rate 200 ops/s: the total cannot run far ahead of the elapsed time.
    expect(summary.total.ok + summary.total.conflicts).toBeLessThanOrEqual(
      Math.ceil((summary.elapsedMs / 1000) * 200) + 8,
    );
  });
});

if (SERVER_URL) {
  describe("movr run on the PostgreSQL server: terminated backends, Ctrl-C", () => {
    it("reports the lost connections, keeps going, and keeps its summary consistent", async () => {
      const url = await createServerDatabase();
      const name = new URL(url).pathname.slice(1);
      const config = databaseConfigFor(url, {});
      const database = await openDatabase({ ...config, pool: { ...config.pool, max: 4 } });
      const admin = new pg.Client({ connectionString: SERVER_URL });
      await admin.connect();
      try {
        const ctx = await loaded(database);
        const before = await snapshot(database);
        const io = testIo();
        // Driven by what the run prints, not by the clock: on a busy machine a run may take
        // seconds to start, so each termination waits for operations since the one before, and
        // the run is stopped (Ctrl-C) only once reads have succeeded a whole second after the last.
        const kills: { tick: number; killed: number }[] = [];
        const histogramsFile = tempFile("outage.histograms.json");
        const reads = () =>
          io.stdout.lines
            .map((l) => ROW.exec(l))
            .filter((m): m is RegExpExecArray => m !== null && m[9] === "readVehicles")
            .map((m) => ({ second: Number(m[1]), rate: Number(m[3]) }));
        const readsAfter = (second: number) => reads().filter((r) => r.second > second && r.rate > 0);
        let ended = false;
        const running = runWorkload(
          ctx,
          options({ durationMs: 0, tolerateErrors: false, histogramsFile }),
          io,
        ).finally(() => {
          ended = true;
        });
        // What the run was doing, for a wait that gives up: the pool and the database's sessions
        // (a lock wait, a session idle in a transaction) as they are, then Ctrl-C and the run's
        // last output, its summary included (errors by SQLSTATE), or word that it did not end.
        const context = async () => {
          const pool = database.pool!;
          const poolState = `pool: ${pool.totalCount} connections, ${pool.idleCount} idle, ${pool.waitingCount} waiting`;
          const sessions = await admin
            .query<Record<string, unknown>>(
              `SELECT pid, state, wait_event_type, wait_event, backend_xid IS NOT NULL AS writing,
                      now() - state_change AS for, left(query, 60) AS query
                 FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`,
              [name],
            )
            .then((r) => r.rows.map((row) => JSON.stringify(row)).join("\n"))
            .catch((err: Error) => `(sessions unknown: ${err.message})`);
          io.interrupt();
          const endedInTime = await Promise.race([
            running.then(
              () => true,
              () => true,
            ),
            new Promise<false>((r) => setTimeout(() => r(false), 30_000)),
          ]);
          return [
            `kills: ${JSON.stringify(kills)}`,
            poolState,
            `sessions:\n${sessions}`,
            endedInTime ? "the run ended on Ctrl-C" : "the run did not end within 30 s of Ctrl-C",
            `stdout (last lines):\n${tail(io.stdout)}`,
            `stderr (last lines):\n${tail(io.stderr)}`,
          ].join("\n");
        };
        const wait = { ended: () => ended, context };
        const killer = (async () => {
          try {
            while (kills.length < 3 && !ended) {
              const since = kills.at(-1)?.tick ?? 0;
              await until(() => readsAfter(since).length > 0, "reads before a termination", wait);
              if (ended) break;
              const r = await admin.query<{ n: string }>(
                `SELECT count(*) AS n FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                  WHERE datname = $1 AND pid <> pg_backend_pid()) t`,
                [name],
              );
              const killed = Number(r.rows[0]!.n);
              if (killed > 0)
                kills.push({
                  tick: maxOf(
                    reads().map((x) => x.second),
                    0,
                  ),
                  killed,
                });
            }
            if (kills.length === 3) {
              await until(
                () => readsAfter(kills.at(-1)!.tick + 1).length > 0,
                "reads after the last termination",
                wait,
              );
            }
          } finally {
            io.interrupt(); // also when a wait gives up: the run must end either way
          }
        })();
        const [summary] = await Promise.all([running, killer]);
        const after = await snapshot(database);

        // Not fatal, though errors are not tolerated: lost connections are not the workload's fault.
        // (Asked first: a run that ended early stops the waits above, and its fatal error says why.)
        const output = `stdout:\n${tail(io.stdout)}\nstderr:\n${tail(io.stderr)}`;
        expect(summary.fatal, output).toBeUndefined();
        expect(kills.length, output).toBe(3);
        const lost = summary.connectionErrors + summary.idleConnectionsLost;
        expect(lost).toBeGreaterThan(0);
        expect(io.stdout.text).toMatch(
          /^Database unavailable: \d+ operations failed \(outcome unknown\), \d+ of them ambiguous \(40003, not retried\); \d+ idle connections lost\.$/m,
        );
        if (summary.connectionErrors > 0) {
          expect(io.stderr.text).toMatch(/failed while the database was unavailable; the pool reconnects/);
          expect(Object.keys(summary.errorsByState).length).toBeGreaterThan(0);
          expect(io.stdout.text).toMatch(/Errors by SQLSTATE: .*(57P01|connection|ECONNRESET)/);
        }
        // The histogram file holds the same errors, by SQLSTATE, as the summary.
        expect(histogramFileExtras(histogramsFile).errors).toEqual(summary.errorsByState);
        // Every error was a lost connection.
        expect(summary.total.errors).toBe(summary.connectionErrors);
        // It kept going after the last termination: reads succeeded in the later seconds.
        const laterReads = readsAfter(kills.at(-1)!.tick + 1).map((r) => r.rate);
        expect(laterReads.length).toBeGreaterThan(0);
        expect(maxOf(laterReads)).toBeGreaterThan(0);
        expectConsistent(before, after, summary);
      } finally {
        await admin.end();
        await database.close();
      }
    });

    it("the real command line: Ctrl-C prints the summary and exits 0", async () => {
      const url = await createServerDatabase();
      const database = await openDatabase(databaseConfigFor(url, {}));
      await loaded(database).finally(() => database.close());
      const run = spawnMovr(["run", "--url", url, "--concurrency", "2", "--city", "paris"]);
      await run.waitFor(/readVehicles\n/);
      run.child.kill("SIGINT");
      expect(await run.exited).toBe(0);
      expect(run.stdout()).toMatch(/__result\n\s+\d+\.\ds\s+0\s+\d+\s+[\d.]+.* {2}total\n/);
      expect(run.stdout()).toMatch(/^Transactions: [\d,]+ committed/m);
      expect(run.stderr()).toContain("Interrupted: finishing the operations in flight, then the summary.");
    });

    // docker stop, a deleted Kubernetes Job, systemd and timeout(1) send SIGTERM: the run died
    // (exit 143) without its summary or its --report file.
    it("the real command line: SIGTERM ends the run as Ctrl-C does, summary and report included", async () => {
      const url = await createServerDatabase();
      const database = await openDatabase(databaseConfigFor(url, {}));
      await loaded(database).finally(() => database.close());
      const report = path.join(mkdtempSync(path.join(tmpdir(), "movr-term-")), "run.html");
      const run = spawnMovr([
        "run",
        "--url",
        url,
        "--concurrency",
        "2",
        "--city",
        "paris",
        "--report",
        report,
      ]);
      await run.waitFor(/readVehicles\n/);
      run.child.kill("SIGTERM");
      expect(await run.exited).toBe(0);
      expect(run.stdout()).toMatch(/^Transactions: [\d,]+ committed/m);
      expect(run.stderr()).toContain(`Report (open it in a browser): ${report}`);
      expect(existsSync(report)).toBe(true);
    });
  });
}
