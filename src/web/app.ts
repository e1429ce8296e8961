// The web application: one Fastify instance serving the JSON API (/api/v1), the pages, and
// operations endpoints. Routes validate and shape; services decide; repositories hold SQL.
import cookie from "@fastify/cookie";
import rateLimit from "@fastify/rate-limit";
import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type FastifyServerOptions,
} from "fastify";
import { randomUUID } from "node:crypto";
import type { AuthContext } from "../auth/auth.service.ts";
import type { AppConfig } from "../config.ts";
import { jsonLoggerOptions } from "../logging/logger.ts";
import { RequestLogController } from "../logging/request-log.controller.ts";
import { createMetrics, type Metrics } from "../metrics/metrics.registry.ts";
import { apiRoutes } from "./api/api.routes.ts";
import { authPlugin } from "./auth.plugin.ts";
import { bodyParsers } from "./body-parsers.ts";
import { logFailure, sendHttpError, toHttpError } from "./errors.ts";
import { loginBudgetPlugin } from "./login-budget.ts";
import { PrimaryBudgetStore } from "./login-budget.cluster.ts";
import { isClusterWorker } from "./cluster.ts";
import { metricsPlugin } from "./metrics.plugin.ts";
import { pageRoutes } from "./pages/pages.routes.ts";
import {
  answerHeaders,
  clientErrorHandler,
  connectRefusal,
  docsContentSecurityPolicy,
  securityHeaders,
} from "./security-headers.ts";
import { drainingHooks } from "./shutdown.ts";
import { staticPage, wantsPage } from "./static-page.ts";

export interface AppDeps {
  config: AppConfig;
  ctx: AuthContext;
  /** Logger options (tests pass `false`); ignored when `loggerInstance` is given. */
  logger?: FastifyServerOptions["logger"];
  /** The process's logger (src/logging/logger.ts), so start-up and request lines share one format. */
  loggerInstance?: FastifyBaseLogger;
  /** The process's metrics, whose txObserver the database reports to; a fresh registry if absent. */
  metrics?: Metrics;
}

/** Every answer names its request, so a client can quote it and the log line can be found. */
function requestIdHeader(request: FastifyRequest, reply: FastifyReply): void {
  void reply.header("x-request-id", request.id);
}

/** Node's test for an Expect it meets itself (lib/_http_server.js): 100-continue, any case. */
const CONTINUE_EXPECTATION = /(?:^|\W)100-continue(?:$|\W)/i;

/**
 * The requests Node itself refuses, refused here instead, in the contract's shape (a page for a
 * browser) with every answer's headers, a request id and Connection: close (Node answers them
 * with a bare status and an empty body): an HTTP/1.1 request without a Host header (RFC 9112
 * section 3.2; HTTP/1.0 needs none), and one whose Expect asks for something other than
 * 100-continue (417, RFC 9110 section 10.1.1). Node hands both to Fastify because app.ts turns
 * its own checks off (requireHostHeader) or listens for them (checkExpectation).
 */
function refuseAsNodeWould(app: FastifyInstance): void {
  const noHost = "The request has no Host header, which HTTP/1.1 requires.";
  const expectation =
    "The request's Expect header asks for something this server does not do (only 100-continue).";
  // Callback style, like the other hooks every request runs (ADR 020).
  app.addHook("onRequest", (request, reply, done) => {
    if (request.raw.httpVersion !== "1.1") return done();
    const { host, expect } = request.headers;
    const [status, message] =
      host === undefined
        ? [400, noHost]
        : expect !== undefined && !CONTINUE_EXPECTATION.test(expect)
          ? [417, expectation]
          : [0, ""];
    if (status === 0) return done();
    void reply.header("connection", "close");
    if (wantsPage(request)) return void staticPage(reply, status, "That did not work", message);
    void reply.status(status).send({ error: { code: "invalid_request", message } });
  });
}

export async function buildApp({
  config,
  ctx,
  logger,
  loggerInstance,
  metrics,
}: AppDeps): Promise<FastifyInstance> {
  const headers = answerHeaders(config);
  const app = Fastify({
    ...(loggerInstance ? { loggerInstance } : { logger: logger ?? jsonLoggerOptions(config.logLevel) }),
    // One line per request, when it completes, instead of Fastify's two.
    logController: new RequestLogController(),
    bodyLimit: config.bodyLimitBytes,
    trustProxy: config.trustProxy,
    genReqId: (req) => {
      const given = req.headers["x-request-id"];
      return typeof given === "string" && /^[\w-]{1,64}$/.test(given) ? given : randomUUID();
    },
    ajv: { customOptions: { removeAdditional: false, coerceTypes: "array", allErrors: false } },
    // While draining, our own hook answers in the contract's shape (see shutdown.ts).
    return503OnClosing: false,
    // Router errors (bad percent-encoding, over-long path segments) bypass setErrorHandler and
    // every hook: the headers every answer carries are set here by hand. A browser on a page
    // address gets a page, as for an unknown address (staticPage).
    frameworkErrors: (err, request, reply) => {
      headers.set(reply);
      headers.noStore(request, reply);
      requestIdHeader(request, reply);
      if (!wantsPage(request)) return sendHttpError(err, request, reply);
      const e = toHttpError(err);
      return staticPage(reply, e.status, "That did not work", e.message);
    },
    // Requests Node cannot parse (431, malformed request line): the contract's shape too.
    clientErrorHandler: clientErrorHandler(headers),
    // Node answers an HTTP/1.1 request without Host with a bare 400 before Fastify sees it;
    // refuseAsNodeWould (below) refuses it instead, in the contract's shape with every answer's headers.
    http: { requireHostHeader: false },
  });
  // Node answers an Expect other than 100-continue with a bare 417 unless this event is heard:
  // Fastify gets the request, and refuseAsNodeWould answers it.
  app.server.on("checkExpectation", (req, res) => app.server.emit("request", req, res));
  // Node drops a CONNECT without a word unless this event is heard: MovR is no proxy.
  app.server.on("connect", connectRefusal(headers));

  const appMetrics = metrics ?? createMetrics();
  appMetrics.watchDatabase(ctx.database);
  await app.register(metricsPlugin, { metrics: appMetrics, config: config.metrics });
  // Headers first: a hook that answers early (draining's 503) sends them too.
  securityHeaders(app, headers);
  refuseAsNodeWould(app);
  drainingHooks(app);
  await app.register(cookie);
  bodyParsers(app, config.bodyLimitBytes);
  // Under WEB_CONCURRENCY workers, the counts live in the primary: one budget per client, not one per worker.
  await app.register(rateLimit, {
    global: false,
    ...(isClusterWorker() ? { store: PrimaryBudgetStore } : {}),
  });
  await app.register(loginBudgetPlugin, { perMinute: config.loginRateLimitPerMinute });
  await app.register(swagger, {
    openapi: {
      info: { title: "MovR API", version: "1.0.0", description: "The MovR vehicle-sharing JSON API." },
      components: { securitySchemes: { bearer: { type: "http", scheme: "bearer" } } },
    },
  });
  await app.register(swaggerUi, { routePrefix: "/api/docs", staticCSP: docsContentSecurityPolicy() });
  await app.register(authPlugin, { ctx, sessionSecret: config.sessionSecret });

  app.setErrorHandler((err, request, reply) => {
    const e = toHttpError(err);
    if (e.internal) logFailure(request, err, "request failed");
    if (e.retryAfter) void reply.header("retry-after", String(e.retryAfter));
    return reply.status(e.status).send({
      error: { code: e.code, message: e.message, ...(e.details ? { details: e.details } : {}) },
    });
  });
  app.setNotFoundHandler((request, reply) => {
    // Browsers get a page (echoing nothing of the URL); API clients get the contract's shape.
    if (wantsPage(request)) return staticPage(reply, 404, "Not found", "There is no such page.");
    return reply.status(404).send({
      error: {
        code: "not_found",
        message: `There is nothing at ${request.method} ${request.url.split("?")[0]}.`,
      },
    });
  });
  app.addHook("onSend", (request, reply, _payload, done) => {
    requestIdHeader(request, reply);
    done();
  });

  app.get("/healthz", { schema: { hide: true }, config: { anonymous: true } }, async () => ({
    status: "ok",
  }));
  app.get("/readyz", { schema: { hide: true }, config: { anonymous: true } }, async (_request, reply) => {
    try {
      await ctx.database.ping();
      return { status: "ready", database: ctx.database.description };
    } catch {
      return reply
        .status(503)
        .header("retry-after", "5")
        .send({
          error: { code: "unavailable", message: "The database is not answering." },
        });
    }
  });
  app.get("/api/openapi.json", { schema: { hide: true }, config: { anonymous: true } }, async () =>
    app.swagger(),
  );

  await app.register(apiRoutes, { prefix: "/api/v1", config, ctx });
  await app.register(pageRoutes, { config, ctx });
  return app;
}
