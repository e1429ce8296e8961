// Metrics for a node:cluster process group (WEB_CONCURRENCY > 1): each worker keeps its own
// registry; whichever worker answers a scrape asks the primary, whose prom-client
// AggregatorRegistry collects every worker's registry over IPC and sums them (counters,
// histograms, pool gauges; `movr_database_info` takes the first). So a scrape sees the whole
// server, not the one worker the connection happened to reach.
import cluster from "node:cluster";
import { AggregatorRegistry, type Registry } from "prom-client";

const REQUEST = "movr:metrics-request";
const RESPONSE = "movr:metrics-response";

interface MetricsRequest {
  type: typeof REQUEST;
  id: number;
}

interface MetricsResponse {
  type: typeof RESPONSE;
  id: number;
  text?: string;
  error?: string;
}

/** In the primary, before forking: answers workers' requests with the group's aggregated metrics. */
export function serveClusterMetrics(): void {
  const aggregator = new AggregatorRegistry();
  cluster.on("message", (worker, message: Partial<MetricsRequest> | null) => {
    if (message?.type !== REQUEST || typeof message.id !== "number") return;
    const id = message.id;
    aggregator.clusterMetrics().then(
      (text) => worker.send({ type: RESPONSE, id, text } satisfies MetricsResponse),
      (err: Error) => worker.send({ type: RESPONSE, id, error: err.message } satisfies MetricsResponse),
    );
  });
}

/**
 * In a worker: offers `registry` to the primary's aggregator, and returns a function resolving to
 * the whole group's metrics text. Rejects when the primary does not answer within 10 s.
 */
export function clusterMetricsSource(registry: Registry): () => Promise<string> {
  AggregatorRegistry.setRegistries([registry]);
  // prom-client installs a worker's answering listener only when an AggregatorRegistry is made.
  new AggregatorRegistry();
  const pending = new Map<number, (r: MetricsResponse) => void>();
  let next = 0;
  process.on("message", (message: Partial<MetricsResponse> | null) => {
    if (message?.type === RESPONSE && typeof message.id === "number") {
      pending.get(message.id)?.(message as MetricsResponse);
      pending.delete(message.id);
    }
  });
  return () =>
    new Promise<string>((resolve, reject) => {
      const id = next++;
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error("the cluster primary did not answer with metrics"));
      }, 10_000);
      pending.set(id, (r) => {
        clearTimeout(timer);
        if (r.text !== undefined) resolve(r.text);
        else reject(new Error(r.error ?? "no metrics"));
      });
      process.send?.({ type: REQUEST, id } satisfies MetricsRequest);
    });
}
