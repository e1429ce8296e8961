// Graceful shutdown of one web process (also what a cluster worker calls on its way out):
// stop accepting connections, close idle keep-alive connections at once and every connection
// as soon as its response is out, let requests in flight finish within a bounded grace, answer
// requests that arrive meanwhile with the contract's 503, then close the database.
import type { FastifyInstance } from "fastify";
import type { Database } from "../db/database.ts";
import { staticPage, wantsPage } from "./static-page.ts";

const draining = new WeakSet<FastifyInstance>();

/** Seconds a client should wait before retrying elsewhere or here (HTTP Retry-After). */
const RETRY_AFTER_SECONDS = 5;

const SHUTTING_DOWN = "The server is shutting down; try again in a moment.";

/**
 * Hooks that make a draining app answer new requests with 503 `unavailable` (Retry-After,
 * `Connection: close`) and close every connection after its response. Register right after the
 * security headers (whose hook sets what every answer carries, this 503 too), before any other
 * hook, so a late request costs no session lookup or body parsing.
 */
export function drainingHooks(app: FastifyInstance): void {
  // Callback-style hooks (here and in the other hooks every request runs): no promise and no
  // microtask per request for a check that is nearly always false (ADR 020).
  app.addHook("onRequest", (request, reply, done) => {
    if (!draining.has(app)) return done();
    void reply.header("connection", "close").header("retry-after", String(RETRY_AFTER_SECONDS));
    // A browser gets a page saying so, as for any other outage; API clients the contract's JSON.
    if (wantsPage(request)) return void staticPage(reply, 503, "Try again shortly", SHUTTING_DOWN);
    void reply.code(503).send({ error: { code: "unavailable", message: SHUTTING_DOWN } });
  });
  app.addHook("onSend", (_request, reply, _payload, done) => {
    if (draining.has(app)) void reply.header("connection", "close");
    done();
  });
}

export interface ShutdownOptions {
  app: FastifyInstance;
  /** Closed once the last connection is gone (or the grace is over). */
  database?: Pick<Database, "close">;
  /** Longest wait for requests in flight, in ms; then their connections are cut. */
  graceMs: number;
}

export interface ShutdownResult {
  /** True when the grace ran out and connections with requests in flight were cut. */
  forced: boolean;
}

/**
 * Drains and closes `app`, then `database`. Resolves within `graceMs` plus the time the database
 * takes to close (itself bounded by a second). Never rejects: shutdown has no one to report to
 * but the log.
 */
export async function shutdownGracefully({
  app,
  database,
  graceMs,
}: ShutdownOptions): Promise<ShutdownResult> {
  draining.add(app);
  const server = app.server;
  let forced = false;
  // Connections whose response went out before draining began are idle keep-alive ones: reap them
  // at once and keep reaping, since server.close() does so only once.
  server.closeIdleConnections?.();
  const sweep = setInterval(() => server.closeIdleConnections?.(), 100);
  const deadline = setTimeout(() => {
    forced = true;
    server.closeAllConnections?.();
  }, graceMs);
  try {
    await app.close();
  } catch (err) {
    app.log.warn({ err }, "closing the web server failed");
  } finally {
    clearInterval(sweep);
    clearTimeout(deadline);
  }
  if (database) {
    // A request cut at the deadline may still hold a pooled connection: do not wait for it forever.
    const closed = database
      .close()
      .catch((err: unknown) => app.log.warn({ err }, "closing the database failed"));
    await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
  }
  if (forced)
    app.log.warn({ graceMs }, "shutdown grace ran out: connections with requests in flight were cut");
  return { forced };
}
