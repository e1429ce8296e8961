// `movr run` keeps going through every kind of outage, without --tolerate-errors: each failed
// operation is counted (by SQLSTATE) and the workers reconnect. The classification for every
// class, and a real restart of a private cluster (smart shutdown: 57P03 to new connections,
// backends terminated: 57P01, then connection refused, then back).
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { REFERENCE_CITIES } from "../../src/cities/region.config.ts";
import { runLoad } from "../../src/cli/load.command.ts";
import { runWorkload } from "../../src/cli/run.command.ts";
import { databaseConfigFor } from "../../src/config.ts";
import { openDatabase } from "../../src/db/database.ts";
import { AMBIGUOUS_COMMIT } from "../../src/db/sql-errors.ts";
import { classify } from "../../src/workload/workload.ts";
import { dropServerDatabases, openMigrated, SERVER_URL, TARGETS } from "../support/databases.ts";
import { COCKROACH_ERRORS, installCommitFaults } from "../support/faults.ts";
import { createPrivateCluster, eventually, type PrivateCluster } from "../support/private-cluster.ts";
import { Capture, histogramFileExtras, testIo } from "./support.ts";

const withCode = (code: string, message = "server says no") =>
  Object.assign(new Error(`Failed query: SELECT 1`), { cause: Object.assign(new Error(message), { code }) });

describe("outages are counted, never fatal", () => {
  const outages: [string, unknown, string][] = [
    ["connection refused", withCode("ECONNREFUSED", "connect ECONNREFUSED 127.0.0.1:5432"), "ECONNREFUSED"],
    ["connection lost", new Error("Connection terminated unexpectedly"), "connection"],
    ["terminated by an administrator", withCode("57P01"), "57P01"],
    ["crash shutdown", withCode("57P02"), "57P02"],
    ["cannot connect now (starting up, shutting down)", withCode("57P03"), "57P03"],
    ["connection failure", withCode("08006"), "08006"],
    ["database dropped", withCode("3D000"), "3D000"],
    ["pool acquire timeout", new Error("timeout exceeded when trying to connect"), "pool_timeout"],
    ["statement timeout", withCode("57014"), "57014"],
    ["too many connections", withCode("53300"), "53300"],
    ["result is ambiguous (CockroachDB)", withCode("40003"), "40003"],
    ["COMMIT cut off", withCode(AMBIGUOUS_COMMIT), "ambiguous"],
  ];
  it.each(outages)("%s", (_, err, state) => {
    const outcome = classify(err);
    expect(outcome).toMatchObject({ kind: "error", connection: true, state });
    if (outcome.kind === "error") expect(outcome.outage).toBeDefined();
  });

  it("other errors stay fatal (without --tolerate-errors)", () => {
    for (const err of [withCode("42P01"), withCode("23505"), new Error("a bug")]) {
      expect(classify(err)).toMatchObject({ kind: "error", connection: false, outage: undefined });
    }
  });
});

type Ctx = Parameters<typeof runLoad>[0];

/** A small Boston fleet, loaded as `movr load` would, for the runs below to work on. */
const loadBoston = (ctx: Ctx) =>
  runLoad(
    ctx,
    {
      cities: ["boston"],
      users: 20,
      vehicles: 10,
      rides: 20,
      histories: 20,
      promoCodes: 20,
      seed: 1,
      now: new Date(),
      drop: false,
      skipInit: false,
    },
    new Capture(),
  );

/** `movr run` options: two workers on Boston until interrupted, no --tolerate-errors. */
const runOptions = (readPercent: number, extra: { histogramsFile?: string } = {}) => ({
  cities: ["boston"],
  readPercent,
  followerReads: false,
  concurrency: 2,
  maxRate: 0,
  tolerateErrors: false,
  seed: 1,
  durationMs: 0,
  displayFormat: "text" as const,
  ...extra,
});

afterAll(dropServerDatabases);

describe.each(TARGETS)("movr run through CockroachDB's errors at COMMIT on $name", (target) => {
  it("40003 result is ambiguous: counted as an ambiguous outage, the run goes on; 40001 restart transaction: retried and counted, no error", async () => {
    const database = await openMigrated(target, { poolMax: 2 });
    const ctx = { database, cities: REFERENCE_CITIES, clock: () => new Date() };
    try {
      await loadBoston(ctx);
      const faults = await installCommitFaults(database, ["users", "vehicles", "rides", "user_promo_codes"]);
      await faults.arm(COCKROACH_ERRORS.ambiguous, 3);
      const io = testIo();
      const histogramsFile = path.join(mkdtempSync(path.join(tmpdir(), "movr-outage-")), "run.json");
      const run = runWorkload(ctx, runOptions(0, { histogramsFile }), io);
      // Three ambiguous commits, then commits that go through.
      await eventually(async () => (await faults.checked()) >= 6, "three ambiguous commits and three more");
      const retriesBefore = database.stats.retries;
      await faults.arm(COCKROACH_ERRORS.retry, 3);
      await eventually(async () => (await faults.checked()) >= 6, "three restarts and three commits");
      io.interrupt();
      const summary = await run;
      expect(summary.fatal, io.stderr.text).toBeUndefined();
      expect(summary.errorsByState).toEqual({ "40003": 3 });
      expect(summary.ambiguousErrors).toBe(3);
      expect(summary.connectionErrors).toBe(3);
      expect(summary.transactions.retries - retriesBefore).toBeGreaterThanOrEqual(3);
      expect(summary.transactions.exhausted).toBe(0);
      expect(summary.total.ok).toBeGreaterThan(6);
      // The histogram file (and so the report) has the same errors and retries, per second.
      expect(histogramFileExtras(histogramsFile)).toEqual({
        errors: { "40003": 3 },
        retries: summary.transactions.retries,
      });
      expect(io.stdout.text).toMatch(/^Errors by SQLSTATE: .*40003 3 \(result is ambiguous\)/m);
      expect(io.stdout.text).toMatch(
        /^Database unavailable: 3 operations failed \(outcome unknown\), 3 of them ambiguous/m,
      );
    } finally {
      await database.close();
    }
  });
});

if (SERVER_URL) {
  describe("movr run through a restart of its server", () => {
    let cluster: PrivateCluster | undefined;
    afterAll(async () => cluster?.drop());

    it("smart shutdown, terminated backends, refused connections, restart: counted, and the run goes on", async () => {
      cluster = await createPrivateCluster();
      const config = databaseConfigFor(cluster.url, {});
      const database = await openDatabase({
        ...config,
        pool: { ...config.pool, max: 2, connectTimeoutMs: 2000 },
      });
      const ctx = { database, cities: ["boston"], clock: () => new Date() };
      const admin = new pg.Client({ connectionString: cluster.url });
      try {
        await loadBoston(ctx);
        await admin.connect();
        const io = testIo();
        const run = runWorkload(ctx, runOptions(80), io);
        const ticks = () => io.stdout.lines.filter((l) => /readVehicles$/.test(l)).length;
        await eventually(async () => ticks() >= 1, "the first second of the run");

        // Smart shutdown: new connections get 57P03 while sessions (ours, the admin's) remain.
        const stopping = cluster.stop("smart");
        await eventually(async () => {
          const probe = new pg.Client({ connectionString: cluster!.url });
          try {
            await probe.connect();
            await probe.end();
            return false;
          } catch (err) {
            return (err as { code?: string }).code === "57P03";
          }
        }, "the smart shutdown to refuse new connections");
        // The workers' sessions end (57P01); their reconnects meet 57P03 while the admin's lasts.
        await admin.query(
          "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND backend_type = 'client backend'",
        );
        await eventually(
          async () => /failed while the database was unavailable/.test(io.stderr.text),
          "the outage report",
        );
        const seen = ticks();
        await eventually(async () => ticks() >= seen + 1, "a second of reconnect attempts");
        await admin.end().catch(() => undefined);
        await stopping;
        await cluster.start();

        // Back: operations succeed again (a tick with reads done in that second).
        const restarted = io.stdout.lines.length;
        await eventually(
          async () =>
            io.stdout.lines
              .slice(restarted)
              .some((l) => /^\s+\S+s\s+\d+\s+[1-9][\d.]*\s.*readVehicles$/.test(l)),
          "reads after the restart",
        );
        io.interrupt();
        const summary = await run;
        expect(summary.fatal).toBeUndefined();
        expect(summary.interrupted).toBe(true);
        expect(summary.errorsByState["57P03"], JSON.stringify(summary.errorsByState)).toBeGreaterThan(0);
        expect(summary.total.errors).toBe(summary.connectionErrors);
        expect(io.stdout.text).toMatch(
          /^Errors by SQLSTATE: .*57P03 \d+ \(server not accepting connections yet\)/m,
        );
        expect(io.stdout.text).toMatch(
          /^Database unavailable: [1-9][\d,]* operations failed \(outcome unknown\)/m,
        );
      } finally {
        await admin.end().catch(() => undefined);
        await database.close();
      }
    });
  });
}
