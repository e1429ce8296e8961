// One budget of login and register attempts per client address, and one per username, shared
// by every door: the API's login and register, and the pages' login and register forms. Separate
// per-route limits would give an attacker one budget per door (ADR 012).
import type { FastifyInstance, FastifyRequest, preHandlerAsyncHookHandler } from "fastify";
import fp from "fastify-plugin";
import { isText } from "../shared/text.ts";

declare module "fastify" {
  interface FastifyInstance {
    /** preHandler of every route that takes a password: spends one attempt of each budget. */
    loginBudget: preHandlerAsyncHookHandler;
  }
}

/** What the budget throws: the API maps it to 429 rate_limited, the pages to a sentence; both send Retry-After. */
export class RateLimitedError extends Error {
  override name = "RateLimitedError";
  readonly statusCode = 429;
  constructor(readonly retryAfter: number) {
    super("Too many attempts.");
  }
}

/** The username an attempt names, as login and register read it (trimmed), or undefined. */
function usernameOf(request: FastifyRequest): string | undefined {
  const body = request.body as Record<string, unknown> | undefined;
  const raw = Array.isArray(body?.username) ? (body.username as unknown[])[0] : body?.username;
  if (typeof raw !== "string" || !isText(raw)) return undefined;
  const username = raw.trim();
  return username === "" ? undefined : username;
}

/**
 * Registers `app.loginBudget` (needs @fastify/rate-limit registered first): `perMinute`
 * attempts per client address (`request.ip`; TRUST_PROXY decides what that is) and as many per
 * username, in @fastify/rate-limit's in-process store, over a fixed one-minute window.
 */
export const loginBudgetPlugin = fp(
  async (app: FastifyInstance, opts: { perMinute: number }) => {
    const window = { max: opts.perMinute, timeWindow: 60_000 };
    const perAddress = app.createRateLimit({ ...window, keyGenerator: (req) => `address:${req.ip}` });
    const perUsername = app.createRateLimit({
      ...window,
      keyGenerator: (req) => `username:${usernameOf(req) ?? ""}`,
    });
    app.decorate("loginBudget", async function (request: FastifyRequest) {
      const address = await perAddress(request);
      if (!address.isAllowed && address.isExceeded)
        throw new RateLimitedError(Math.max(1, address.ttlInSeconds));
      if (usernameOf(request) === undefined) return;
      const user = await perUsername(request);
      if (!user.isAllowed && user.isExceeded) throw new RateLimitedError(Math.max(1, user.ttlInSeconds));
    });
  },
  { name: "movr-login-budget", dependencies: ["@fastify/rate-limit"] },
);
