// MovR's Prometheus metrics (prom-client): HTTP requests, transactions, the connection pool and
// which database this process runs on. One Registry per process (not prom-client's global one), so
// tests can run several apps side by side. Names follow https://prometheus.io/docs/practices/naming/.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import type { Database, TxObserver } from "../db/database.ts";
import { clusterMetricsSource } from "./metrics.cluster.ts";

export interface Metrics {
  readonly registry: Registry;
  /** The text exposition of a scrape: this process's registry, or the cluster's aggregate. */
  render(): Promise<string>;
  /** Give to openDatabase: counts commits, retries and give-ups by SQLSTATE. */
  readonly txObserver: TxObserver;
  /**
   * Records one HTTP request. `route` is the route pattern (`/api/v1/rides/:id`), never the raw
   * URL; `seconds` is the time from request to response.
   */
  observeRequest(route: string, method: string, status: number, seconds: number): void;
  /**
   * Reports `database` on every scrape from now on: its kind and dialect, and for a server
   * database the pool gauges (registered on the first server database watched).
   */
  watchDatabase(database: Database): void;
}

export interface MetricsOptions {
  /** prom-client's process metrics (CPU, memory, event-loop lag, GC). Off in tests that build many apps. */
  processMetrics?: boolean;
  /** REGION: when set, a `region` label on every series, so one Prometheus can hold every region. */
  region?: string | undefined;
  /** In a node:cluster worker: scrapes answer with the whole group's metrics (metrics.cluster.ts). */
  clusterWorker?: boolean;
}

/** Creates a registry with every MovR metric registered on it. */
export function createMetrics(options: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  if (options.region) registry.setDefaultLabels({ region: options.region });
  if (options.processMetrics) collectDefaultMetrics({ register: registry });
  const registers = [registry];

  const requests = new Counter({
    name: "movr_http_requests_total",
    help: "HTTP requests answered, by route pattern, method and status code.",
    labelNames: ["route", "method", "status"] as const,
    registers,
  });
  const duration = new Histogram({
    name: "movr_http_request_duration_seconds",
    help: "Time from receiving an HTTP request to sending its response, in seconds.",
    labelNames: ["route", "method", "status"] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  });
  const committed = new Counter({
    name: "movr_tx_committed_total",
    help: "Transactions committed by runTransaction.",
    registers,
  });
  const attempts = new Histogram({
    name: "movr_tx_attempts",
    help: "Attempts a committed transaction took (1 = no retry).",
    buckets: [1, 2, 3, 5, 10],
    registers,
  });
  const retried = new Counter({
    name: "movr_tx_retries_total",
    help: "Transaction attempts re-run after a retryable error, by SQLSTATE (40001 serialization, 40P01 deadlock).",
    labelNames: ["sqlstate"] as const,
    registers,
  });
  const gaveUp = new Counter({
    name: "movr_tx_given_up_total",
    help: "Transactions abandoned after their last allowed attempt failed, by SQLSTATE; callers got an error.",
    labelNames: ["sqlstate"] as const,
    registers,
  });

  let watched: Database | undefined;
  new Gauge({
    name: "movr_database_info",
    help: "The database this process uses: kind is embedded (PGlite) or server; dialect postgres or cockroachdb.",
    labelNames: ["kind", "dialect"] as const,
    registers,
    aggregator: "first",
    collect() {
      this.reset();
      if (watched) this.set({ kind: watched.kind, dialect: watched.dialect }, 1);
    },
  });
  // Pool gauges exist for a server database only: the embedded one is a single in-process connection.
  let poolGauges = false;
  const registerPoolGauges = (pool: NonNullable<Database["pool"]>) => {
    if (poolGauges) return;
    poolGauges = true;
    const gauge = (name: string, help: string, read: () => number) =>
      new Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(read());
        },
      });
    gauge("movr_db_pool_connections", "Connections the pool holds, idle and in use.", () => pool.totalCount);
    gauge("movr_db_pool_idle_connections", "Pooled connections not in use.", () => pool.idleCount);
    gauge(
      "movr_db_pool_waiting_requests",
      "Callers queued for a connection because all of them are in use.",
      () => pool.waitingCount,
    );
    gauge(
      "movr_db_pool_max_connections",
      "The pool's size limit (DB_POOL_MAX).",
      () => pool.options.max ?? 10,
    );
  };

  const render = options.clusterWorker ? clusterMetricsSource(registry) : () => registry.metrics();
  return {
    registry,
    render,
    txObserver: {
      committed(n) {
        committed.inc();
        attempts.observe(n);
      },
      retried(state) {
        retried.inc({ sqlstate: state });
      },
      gaveUp(state) {
        gaveUp.inc({ sqlstate: state });
      },
    },
    observeRequest(route, method, status, seconds) {
      const labels = { route, method, status: String(status) };
      requests.inc(labels);
      duration.observe(labels, seconds);
    },
    watchDatabase(database) {
      watched = database;
      if (database.pool) registerPoolGauges(database.pool);
    },
  };
}
