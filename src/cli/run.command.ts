// `movr run`: the reference operation mix with real concurrency, for a duration or until Ctrl-C.
import { createWriteStream, type WriteStream } from "node:fs";
import { once } from "node:events";
import { performance } from "node:perf_hooks";
import { encodeTick } from "../workload/histogram-file.ts";
import { sqlState } from "../db/sql-errors.ts";
import type { MovrContext } from "../shared/context.ts";
import { listVehicles } from "../vehicles/vehicle.service.ts";
import { WorkloadStats } from "../workload/stats.ts";
import {
  watchIdleConnections,
  OPERATIONS,
  runWorkers,
  type FatalError,
  type WorkloadOptions,
} from "../workload/workload.ts";
import { describeFailure, CliError } from "./errors.ts";
import { writeLine, type OutStream } from "./io.ts";
import { RunReporter, type DisplayFormat, type RunSummary } from "./run.report.ts";

export interface RunCommandOptions extends WorkloadOptions {
  /** 0 runs until interrupted. */
  durationMs: number;
  displayFormat: DisplayFormat;
  /** Write per-second histograms here (histogram-file.ts: CockroachDB's --histograms format). */
  histogramsFile?: string;
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
  try {
    await listVehicles(ctx, { city: o.cities[0]!, limit: 1 });
  } catch (err) {
    if (sqlState(err) === "42P01") {
      throw new CliError(
        `The movr tables are missing in ${ctx.database.description}; run "movr load" first.`,
      );
    }
    throw err;
  }
}

export async function runWorkload(ctx: MovrContext, o: RunCommandOptions, io: RunIo): Promise<RunSummary> {
  const database = ctx.database;
  const histograms = o.histogramsFile ? await openHistogramFile(o.histogramsFile) : undefined;
  const stats = new WorkloadStats(OPERATIONS);
  const unwatch = watchIdleConnections(database, () => {
    stats.idleConnectionsLost++;
  });
  try {
    await preflight(ctx, o);
  } catch (err) {
    unwatch();
    histograms?.destroy();
    throw err;
  }
  const before = { ...database.stats };
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
  const startedAt = performance.now();
  const reporter = new RunReporter(io.stdout, io.stderr, o.displayFormat, startedAt);
  let lastTick = startedAt;
  const writeHistograms = () => {
    if (!histograms) return;
    const now = performance.now();
    const at = new Date().toISOString();
    for (const name of OPERATIONS) {
      const hist = stats.op(name).tick.take();
      histograms.write(
        `${encodeTick({ Name: name, Hist: hist, Elapsed: (now - lastTick) * 1e6, Now: at })}\n`,
      );
    }
    lastTick = now;
  };
  const ticker = setInterval(() => {
    reporter.tick(stats, performance.now());
    writeHistograms();
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
  // The last, partial second too: the file's counts add up to the summary's.
  writeHistograms();
  if (histograms) {
    histograms.end();
    await once(histograms, "close");
  }
  const elapsedMs = performance.now() - startedAt;
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
  if (o.histogramsFile)
    writeLine(io.stderr, `Histograms (one line per operation per second): ${o.histogramsFile}`);
  return summary;
}

/** Opens (truncates) the histogram file; a path that cannot be written is one sentence. */
async function openHistogramFile(path: string): Promise<WriteStream> {
  const stream = createWriteStream(path);
  try {
    await once(stream, "open");
  } catch (err) {
    throw new CliError(
      `Cannot write the histogram file "${path}": ${(err as NodeJS.ErrnoException).code ?? "error"}.`,
    );
  }
  stream.on("error", () => undefined);
  return stream;
}
