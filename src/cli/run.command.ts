// `movr run`: the reference operation mix with real concurrency, for a duration or until Ctrl-C.
import { createWriteStream, type WriteStream } from "node:fs";
import { once } from "node:events";
import { finished } from "node:stream/promises";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { encodeTick, type RunSettings, type SnapshotTick } from "../workload/histogram-file.ts";
import { sqlState } from "../db/sql-errors.ts";
import type { MovrContext } from "../shared/context.ts";
import { fileProblem } from "../shared/file-errors.ts";
import { listVehicles } from "../vehicles/vehicle.service.ts";
import { RunReportBuilder } from "../workload/report.model.ts";
import { WorkloadStats } from "../workload/stats.ts";
import {
  watchIdleConnections,
  OPERATIONS,
  runWorkers,
  type FatalError,
  type WorkloadOptions,
  WRITE_MIX,
} from "../workload/workload.ts";
import { checkConnectionLimit, sharedConnectionsLine } from "./command-database.ts";
import { describeFailure, CliError } from "./errors.ts";
import { writeLine, type OutStream } from "./io.ts";
import { checkWritable, movrVersion, withoutPassword, writeRunReport } from "./report.command.ts";
import { RunReporter, type DisplayFormat, type RunSummary } from "./run.report.ts";

export interface RunCommandOptions extends WorkloadOptions {
  /** 0 runs until interrupted. */
  durationMs: number;
  displayFormat: DisplayFormat;
  /** Write per-second histograms here (histogram-file.ts: CockroachDB's --histograms format). */
  histogramsFile?: string;
  /** Write the run's HTML report here (report.command.ts). */
  reportFile?: string;
  /** The URL the run was given, for the settings the histograms and report record. */
  databaseUrl?: string;
}

export interface RunIo {
  stdout: OutStream;
  stderr: OutStream;
  onInterrupt(handler: () => void): () => void;
}

/** Refuses early, in one sentence, what would only fail once the workers run. */
async function preflight(ctx: MovrContext, o: RunCommandOptions): Promise<void> {
  if (o.followerReads && ctx.database.dialect !== "cockroachdb") {
    throw new CliError(
      `--follower-reads needs CockroachDB (AS OF SYSTEM TIME follower_read_timestamp()); ${ctx.database.description} has no follower reads.`,
    );
  }
  await checkConnectionLimit(ctx.database, o.concurrency);
  try {
    await listVehicles(ctx, { city: o.cities[0]!, limit: 1 });
  } catch (err) {
    if (sqlState(err) === "42P01") {
      // "Load first" cannot help a memory:// database: each command gets a new, empty one.
      const advice = o.databaseUrl?.startsWith("memory:")
        ? 'a memory:// database lives only as long as its command, so "movr load --url memory://" cannot fill it; load and run on the embedded database (no --url) or a server, or use "movr demo"'
        : 'run "movr load" first';
      throw new CliError(`The movr tables are missing in ${ctx.database.description}; ${advice}.`);
    }
    throw err;
  }
}

export async function runWorkload(ctx: MovrContext, o: RunCommandOptions, io: RunIo): Promise<RunSummary> {
  const database = ctx.database;
  // Checked first, opened (emptied) only once the run can start: a run refused by preflight
  // leaves the histograms of an earlier run as they were.
  if (o.histogramsFile) await checkWritable(o.histogramsFile, "histogram file");
  const stats = new WorkloadStats(OPERATIONS);
  const unwatch = watchIdleConnections(database, () => {
    stats.idleConnectionsLost++;
  });
  let histograms: WriteStream | undefined;
  try {
    await preflight(ctx, o);
    histograms = o.histogramsFile ? await openHistogramFile(o.histogramsFile) : undefined;
  } catch (err) {
    unwatch();
    throw err;
  }
  const before = { ...database.stats };
  const settings = await runSettings(ctx, o);
  const controller = new AbortController();
  let interrupted = false;
  let fatal: FatalError | undefined;
  const removeInterrupt = io.onInterrupt(() => {
    if (controller.signal.aborted) return;
    interrupted = true;
    writeLine(io.stderr, "Interrupted: finishing the operations in flight, then the summary.");
    controller.abort();
  });
  const onFatal = (f: FatalError) => {
    if (fatal) return;
    fatal = f;
    controller.abort();
  };

  writeLine(
    io.stderr,
    `Running the movr workload on ${database.description}: ${o.concurrency} ${o.concurrency === 1 ? "worker" : "workers"}, ${o.readPercent}% reads, ${o.cities.length} ${o.cities.length === 1 ? "city" : "cities"}${o.maxRate > 0 ? `, at most ${o.maxRate} ops/s` : ""}${o.durationMs > 0 ? `, for ${o.durationMs / 1000}s` : ", until Ctrl-C"}.`,
  );
  // The workers still run, taking turns on the connections there are: said, not hidden.
  const turns = sharedConnectionsLine(
    database,
    o.concurrency,
    (n) => `the ${o.concurrency} workers take turns on ${n === 1 ? "it" : "them"}, a transaction at a time`,
  );
  if (turns) writeLine(io.stderr, turns);
  const startedAt = performance.now();
  const reporter = new RunReporter(io.stdout, io.stderr, o.displayFormat, startedAt);
  let lastTick = startedAt;
  let lastRetries = before.retries;
  // The report, when one was asked for, built as the run goes (it keeps no ticks).
  const report = o.reportFile ? new RunReportBuilder() : undefined;
  const writeHistograms = (now: number) => {
    if (!histograms && !report) return;
    const ticks: SnapshotTick[] = [];
    const at = new Date().toISOString();
    const retries = database.stats.retries;
    OPERATIONS.forEach((name, i) => {
      const op = stats.op(name);
      const errors = op.takeTickErrors();
      const tick: SnapshotTick = {
        Name: name,
        Hist: op.tick.take(),
        Elapsed: Math.round((now - lastTick) * 1e6),
        Now: at,
        MovR: {
          ...(errors.size > 0 ? { Errors: Object.fromEntries(errors) } : {}),
          ...(i === 0 ? { Retries: retries - lastRetries } : {}),
          ...(i === 0 && lastTick === startedAt ? { Settings: settings } : {}),
        },
      };
      histograms?.write(`${encodeTick(tick)}\n`);
      ticks.push(tick);
    });
    report?.add(ticks);
    lastTick = now;
    lastRetries = retries;
  };
  const ticker = setInterval(() => {
    const now = performance.now();
    reporter.tick(stats, now);
    writeHistograms(now);
  }, 1000);
  const timer = o.durationMs > 0 ? setTimeout(() => controller.abort(), o.durationMs) : undefined;
  try {
    await runWorkers(ctx, o, stats, controller.signal, onFatal);
  } finally {
    clearInterval(ticker);
    if (timer) clearTimeout(timer);
    removeInterrupt();
    unwatch();
  }
  // The last, partial second too: the file's counts add up to the summary's, and its elapsed
  // times to the summary's elapsed time.
  const endedAt = performance.now();
  writeHistograms(endedAt);
  // A file that failed on the way (a full disk) has closed already: waiting for its "close"
  // left the run's promise unsettled, and the process exited 13 without its summary.
  const histogramsFailure = histograms ? await endStream(histograms) : undefined;
  const elapsedMs = endedAt - startedAt;
  const after = database.stats;
  const fatalLine = fatal ? `${fatal.op} failed: ${describeFailure(fatal.error).message}` : undefined;
  const summary = reporter.summarize(
    stats,
    elapsedMs,
    {
      committed: after.committed - before.committed,
      retries: after.retries - before.retries,
      exhausted: after.exhausted - before.exhausted,
    },
    { interrupted, ...(fatalLine === undefined ? {} : { fatal: fatalLine }) },
  );
  if (o.histogramsFile && !histogramsFailure)
    writeLine(io.stderr, `Histograms (one line per operation per second): ${o.histogramsFile}`);
  if (o.reportFile && report) {
    await writeRunReport(
      o.reportFile,
      o.histogramsFile ? path.basename(o.histogramsFile) : "this run",
      report,
    );
    writeLine(io.stderr, `Report (open it in a browser): ${o.reportFile}`);
  }
  if (histogramsFailure) {
    throw new CliError(
      `Cannot write the histogram file "${o.histogramsFile}": ${fileProblem(histogramsFailure)}; it stops short of the run, whose summary above is whole.`,
    );
  }
  return summary;
}

/** What the histogram file and the report record of how the run was set up. */
async function runSettings(ctx: MovrContext, o: RunCommandOptions): Promise<RunSettings> {
  return {
    database: o.databaseUrl ? withoutPassword(o.databaseUrl) : ctx.database.description,
    concurrency: o.concurrency,
    readPercent: o.readPercent,
    writeMix: Object.fromEntries(WRITE_MIX),
    cities: [...o.cities],
    durationMs: o.durationMs,
    maxRate: o.maxRate,
    seed: o.seed,
    followerReads: o.followerReads,
    movrVersion: await movrVersion(),
    startedAt: new Date().toISOString(),
  };
}

/** Opens (truncates) the histogram file; a path that cannot be written is one sentence. */
async function openHistogramFile(path: string): Promise<WriteStream> {
  const stream = createWriteStream(path);
  try {
    await once(stream, "open");
  } catch (err) {
    throw new CliError(`Cannot write the histogram file "${path}": ${fileProblem(err)}.`);
  }
  stream.on("error", () => undefined); // endStream reports it
  return stream;
}

/** Ends a file's stream; resolves once it is closed, to the error it failed with, if any. */
function endStream(stream: WriteStream): Promise<Error | undefined> {
  stream.end();
  return finished(stream).then(
    () => undefined,
    (err: Error) => err,
  );
}
