// Who is calling: a bearer token (mobile) or the session cookie (browsers). Cookie-authenticated
// state changes must carry the CSRF token; bearer requests need none (no ambient credential).
import type { FastifyInstance, FastifyRequest } from "fastify";
import fp from "fastify-plugin";
import { authenticate, checkCsrfToken, csrfTokenFor, type AuthContext } from "../auth/auth.service.ts";
import { DomainError } from "../shared/errors.ts";
import type { User } from "../users/user.service.ts";

export const SESSION_COOKIE = "movr_session";
export const CSRF_HEADER = "x-csrf-token";
export const CSRF_FIELD = "_csrf";

export interface Auth {
  user: User;
  token: string;
  via: "bearer" | "cookie";
}

declare module "fastify" {
  interface FastifyContextConfig {
    /** The route never looks at who is calling (assets, health, docs): skip the session lookup. */
    anonymous?: boolean;
  }
  interface FastifyRequest {
    auth: Auth | null;
    /** The CSRF token for the current cookie session (pages put it in their forms). */
    csrfToken: string | null;
  }
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

const BEARER_SCHEME = /^bearer /i;

/**
 * The token of an `Authorization: Bearer <token>` header (trimmed), or undefined when the header
 * is absent or of another scheme. The one reader of that header (API sessions, /metrics): the
 * scheme is case-insensitive (RFC 9110 section 11.1), so `bearer <token>` is the same credential.
 */
export function bearerTokenOf(header: string | undefined): string | undefined {
  return header !== undefined && BEARER_SCHEME.test(header) ? header.slice(7).trim() : undefined;
}

function tokenOf(request: FastifyRequest): { token: string; via: Auth["via"] } | null {
  const bearer = bearerTokenOf(request.headers.authorization);
  if (bearer !== undefined) return { token: bearer, via: "bearer" };
  const cookie = request.cookies[SESSION_COOKIE];
  return cookie ? { token: cookie, via: "cookie" } : null;
}

export const authPlugin = fp(
  async (app: FastifyInstance, opts: { ctx: AuthContext; sessionSecret: string }) => {
    app.decorateRequest("auth", null);
    app.decorateRequest("csrfToken", null);
    // Callback style: a request without a token (the public reads) costs no promise (ADR 020).
    app.addHook("preHandler", (request, _reply, done) => {
      // An unknown address is 404 for everyone: no session lookup, and no CSRF refusal of a PUT to it.
      if (request.routeOptions.config.anonymous || request.is404) return done();
      const found = tokenOf(request);
      if (!found) return done();
      signIn(request, found).then(() => done(), done);
    });

    async function signIn(request: FastifyRequest, found: { token: string; via: Auth["via"] }) {
      const user = await authenticate(opts.ctx, found.token);
      if (!user) {
        // A bad bearer token is an error; a stale cookie just means "logged out".
        if (found.via === "bearer")
          throw new DomainError("unauthenticated", "Your session has ended; log in again.");
        return;
      }
      request.auth = { user, token: found.token, via: found.via };
      if (found.via === "cookie") {
        request.csrfToken = csrfTokenFor(opts.sessionSecret, found.token);
        if (!SAFE_METHODS.has(request.method)) {
          const body = request.body as Record<string, unknown> | undefined;
          const given = request.headers[CSRF_HEADER] ?? body?.[CSRF_FIELD];
          if (
            !checkCsrfToken(opts.sessionSecret, found.token, typeof given === "string" ? given : undefined)
          ) {
            throw new DomainError(
              "forbidden",
              "This form has expired or did not come from MovR; reload the page and try again.",
            );
          }
        }
      }
    }
  },
  { name: "movr-auth" },
);

export function requireAuth(request: FastifyRequest): Auth {
  if (!request.auth) throw new DomainError("unauthenticated", "Log in to do that.");
  return request.auth;
}
