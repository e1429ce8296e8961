// Every core: with WEB_CONCURRENCY > 1 the primary process migrates once, then forks that many
// workers (node:cluster); each is a whole server on the shared listening socket. The primary
// serves nothing itself: it reports readiness once all workers listen, replaces a worker that
// dies after it was ready, and forwards SIGTERM/SIGINT so that shutdown covers every worker.
// See docs/decisions/010-cluster-workers.md.
import cluster, { type Worker } from "node:cluster";
import type { Logger } from "pino";
import { createBudgetLedger, serveLoginBudget } from "./login-budget.cluster.ts";

const READY = "movr:ready";
const RETRY_FIRST_MS = 1000;
const RETRY_MAX_MS = 30_000;

/**
 * V8 flags a server process runs with: `npm start`, the Dockerfile's CMD and the compose files
 * put them on `node`'s command line (V8 sizes its heap before any JavaScript runs), and the
 * primary gives them to its workers whatever its own command line was. A young generation of
 * 2 × 4 MB instead of 2 × 16 MB: ~20 MB less RSS per process, no throughput lost in the start
 * bench (ADR 021).
 */
export const SERVER_V8_FLAGS: readonly string[] = ["--max-semi-space-size=4"];

/** `execArgv` with each of SERVER_V8_FLAGS that it does not set itself: an operator's own value wins. */
export function withServerFlags(execArgv: readonly string[]): string[] {
  const name = (flag: string) => flag.split("=")[0]!.replaceAll("_", "-");
  const given = new Set(execArgv.map(name));
  return execArgv.concat(SERVER_V8_FLAGS.filter((flag) => !given.has(name(flag))));
}

interface ReadyMessage {
  type: typeof READY;
  url: string;
  database: string;
}

/** Whether this process is a worker forked by runPrimary. */
export function isClusterWorker(): boolean {
  return cluster.isWorker;
}

/** In a worker: tells the primary that this worker serves `url` on `database` (a description). */
export function reportWorkerReady(url: string, database: string): void {
  const message: ReadyMessage = { type: READY, url, database };
  process.send?.(message);
}

/**
 * The primary's whole life: forks `count` workers and resolves with the process's exit code once
 * every worker has exited after a SIGTERM or SIGINT (0 when all exited cleanly, else 1). A worker
 * that exits before the server was first ready (a port in use, a bad database URL) stops the whole
 * server with code 1; one that dies later is replaced, and a replacement that cannot start (the
 * database away when it opens its pool) is tried again after a pause growing from 1 s to 30 s,
 * while the other workers go on serving.
 */
export function runPrimary(count: number, log: Logger): Promise<number> {
  return new Promise((resolve) => {
    const ready = new Set<number>();
    let stopping = false;
    let failed = false;
    let announced = false;
    // Pause before the next replacement after one that could not start; back to 1 s once one is ready.
    let retryMs = RETRY_FIRST_MS;
    const retries = new Set<NodeJS.Timeout>();

    const stop = (signal: NodeJS.Signals) => {
      if (stopping) return;
      stopping = true;
      for (const timer of retries) clearTimeout(timer);
      retries.clear();
      log.info({ signal, workers: Object.keys(cluster.workers ?? {}).length }, "shutting down the workers");
      for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill(signal);
      // No worker left (every replacement waiting for its retry): no exit will come to end on.
      if (Object.keys(cluster.workers ?? {}).length === 0) resolve(failed ? 1 : 0);
    };
    process.on("SIGTERM", () => stop("SIGTERM"));
    process.on("SIGINT", () => stop("SIGINT"));

    cluster.setupPrimary({ execArgv: withServerFlags(process.execArgv) });
    const budgets = createBudgetLedger();
    const fork = (): Worker => {
      const worker = cluster.fork();
      serveLoginBudget(worker, budgets);
      worker.on("message", (m: ReadyMessage) => {
        if (m?.type !== READY) return;
        ready.add(worker.id);
        retryMs = RETRY_FIRST_MS;
        if (!announced && ready.size >= count) {
          announced = true;
          log.info(
            { url: m.url, database: m.database, workers: count },
            `MovR is serving ${m.url} on ${m.database} with ${count} workers.`,
          );
        }
      });
      return worker;
    };

    cluster.on("exit", (worker, code, signal) => {
      const wasReady = ready.delete(worker.id);
      if (stopping) {
        // A worker asked to stop exits with 0 once its own graceful shutdown is done.
        if (code !== 0) failed = true;
      } else if (!wasReady && !announced) {
        log.error({ code, signal }, "a worker stopped while starting; stopping the server");
        failed = true;
        stop("SIGTERM");
      } else if (!wasReady) {
        // A replacement, with the server already serving: stopping it all would turn one crashed
        // worker during a database outage into a whole server down for good.
        log.error(
          { code, signal, retryMs },
          `a replacement worker could not start; trying again in ${retryMs / 1000} s`,
        );
        const timer = setTimeout(() => {
          retries.delete(timer);
          if (!stopping) fork();
        }, retryMs);
        retries.add(timer);
        retryMs = Math.min(retryMs * 2, RETRY_MAX_MS);
      } else {
        log.error({ code, signal }, "a worker stopped; starting another");
        fork();
      }
      if (stopping && Object.keys(cluster.workers ?? {}).length === 0) resolve(failed ? 1 : 0);
    });

    for (let i = 0; i < count; i++) fork();
  });
}
