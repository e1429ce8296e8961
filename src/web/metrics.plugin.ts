// GET /metrics in Prometheus text format, and the hook that times every request by route pattern.
// With METRICS_PORT the endpoint leaves the public port for a listener of its own (started and
// closed with the app); with METRICS_TOKEN it wants `Authorization: Bearer <token>` wherever it is.
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { timingSafeEqual } from "node:crypto";
import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import type { MetricsConfig } from "../config.ts";
import { bearerTokenOf } from "./auth.plugin.ts";
import { listenFailure } from "../shared/listen-failure.ts";
import { routeOf } from "../logging/request-log.controller.ts";
import type { Metrics } from "../metrics/metrics.registry.ts";

export const METRICS_PATH = "/metrics";

interface MetricsAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Answer to a scrape that could not be collected now: with cluster workers the primary asks every
 * worker, and one that is starting (a replacement) does not answer within prom-client's 5 s. A
 * passing state, so 503 with Retry-After, as every other "cannot answer now"; Prometheus records
 * the target as down for that scrape and tries again at its next interval.
 */
const NOT_COLLECTED: MetricsAnswer = {
  status: 503,
  headers: { "content-type": "application/json; charset=utf-8", "retry-after": "5" },
  body: JSON.stringify({
    error: { code: "unavailable", message: "The metrics could not be collected just now; try again." },
  }),
};

/**
 * The /metrics response: the registry's text exposition; 401 when the token is missing or wrong;
 * 503 when the metrics cannot be collected now (NOT_COLLECTED). Never rejects.
 */
async function answer(
  metrics: Metrics,
  token: string | undefined,
  authorization: string | undefined,
): Promise<MetricsAnswer> {
  if (token !== undefined) {
    const given = bearerTokenOf(authorization);
    if (given === undefined || !sameSecret(given, token)) {
      return {
        status: 401,
        headers: {
          "content-type": "application/json; charset=utf-8",
          "www-authenticate": 'Bearer realm="metrics"',
        },
        body: JSON.stringify({
          error: { code: "unauthenticated", message: "Metrics need the configured bearer token." },
        }),
      } satisfies MetricsAnswer;
    }
  }
  let body: string;
  try {
    body = await metrics.render();
  } catch {
    return NOT_COLLECTED;
  }
  return { status: 200, headers: { "content-type": metrics.registry.contentType }, body };
}

/** A bare HTTP listener for METRICS_PORT: GET /metrics only. Resolves once it listens. */
async function listenForMetrics(metrics: Metrics, config: MetricsConfig, port: number): Promise<Server> {
  const notFound = JSON.stringify({
    error: { code: "not_found", message: "Only GET /metrics is served here." },
  });
  const server = createServer((req: IncomingMessage, res) => {
    const path = (req.url ?? "").split("?")[0];
    if (path !== METRICS_PATH || (req.method !== "GET" && req.method !== "HEAD")) {
      res.writeHead(404, { "content-type": "application/json; charset=utf-8" }).end(notFound);
      return;
    }
    void answer(metrics, config.token, req.headers.authorization).then((a) =>
      res.writeHead(a.status, a.headers).end(req.method === "HEAD" ? undefined : a.body),
    );
  });
  await new Promise<void>((resolve, reject) => {
    const fail = (err: unknown) => {
      const target = { what: "The metrics listener", host: config.host, port };
      reject(
        listenFailure(err, { ...target, hostVariable: config.hostVariable, portVariable: "METRICS_PORT" }),
      );
    };
    server.once("error", fail);
    server.listen(port, config.host, () => {
      server.off("error", fail);
      resolve();
    });
  });
  return server;
}

export interface MetricsPluginOptions {
  metrics: Metrics;
  config: MetricsConfig;
}

export const metricsPlugin = fp(async (app: FastifyInstance, { metrics, config }: MetricsPluginOptions) => {
  // Callback style: no promise per request (ADR 020). observeRequest does not throw.
  app.addHook("onResponse", (request, reply, done) => {
    metrics.observeRequest(routeOf(request), request.method, reply.statusCode, reply.elapsedTime / 1000);
    done();
  });

  if (config.port === undefined) {
    app.get(METRICS_PATH, { schema: { hide: true }, config: { anonymous: true } }, async (request, reply) => {
      const a = await answer(metrics, config.token, request.headers.authorization);
      return reply.status(a.status).headers(a.headers).send(a.body);
    });
    return;
  }

  const port = config.port;
  let server: Server | undefined;
  app.addHook("onReady", async () => {
    server = await listenForMetrics(metrics, config, port);
    const { address, port: bound } = server.address() as AddressInfo;
    const host = address.includes(":") ? `[${address}]` : address;
    app.log.info(
      { metricsUrl: `http://${host}:${bound}${METRICS_PATH}` },
      `Metrics are served on http://${host}:${bound}${METRICS_PATH}`,
    );
  });
  app.addHook("onClose", async () => {
    if (server) await new Promise((resolve) => server?.close(resolve));
  });
});
