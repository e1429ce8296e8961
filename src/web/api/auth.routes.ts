// Accounts and sessions: register, log in (a bearer token), log out, me, delete me.
import type { FastifyInstance, FastifyRequest } from "fastify";
import { login, logout, register } from "../../auth/auth.service.ts";
import { LIMITS } from "../../shared/validation.ts";
import { deactivateUser } from "../../users/user.service.ts";
import { requireAuth, SESSION_COOKIE } from "../auth.plugin.ts";
import type { RouteOptions } from "./api.routes.ts";
import { city, errors, noContent, object, text, userSchema } from "./schemas.ts";
import { userJson } from "./serialize.ts";

const tags = ["accounts"];
const bearer = [{ bearer: [] }];

/** The builder's result is thrown, so it must be an Error the app's error handler maps to 429. */
export function rateLimitError(_request: FastifyRequest, context: { ttl: number }): Error {
  return Object.assign(new Error("Too many attempts."), {
    statusCode: 429,
    retryAfter: Math.max(1, Math.ceil(context.ttl / 1000)),
  });
}

export async function authRoutes(app: FastifyInstance, { config, ctx }: RouteOptions): Promise<void> {
  // Per client IP, per route: slows password guessing and account farming.
  const rateLimit = {
    max: config.loginRateLimitPerMinute,
    timeWindow: 60_000,
    errorResponseBuilder: rateLimitError,
  };

  app.post<{ Body: { city: string; name: string; username: string; email: string; password: string } }>(
    "/auth/register",
    {
      config: { rateLimit, cityFrom: "body" },
      schema: {
        tags,
        summary: "Create an account",
        body: object({
          city: city(ctx.cities),
          name: text(LIMITS.name),
          username: text(LIMITS.username, { pattern: "^[a-zA-Z0-9_.-]+$" }),
          email: text(LIMITS.email, { format: "email" }),
          password: text(LIMITS.password.max, { minLength: LIMITS.password.min }),
        }),
        response: { 201: object({ user: userSchema }), ...errors(409, 429) },
      },
    },
    async (request, reply) => {
      const user = await register(ctx, request.body);
      return reply.status(201).send({ user: userJson(user) });
    },
  );

  app.post<{ Body: { username: string; password: string } }>(
    "/auth/login",
    {
      config: { rateLimit },
      schema: {
        tags,
        summary: "Log in; the token goes in `Authorization: Bearer <token>`",
        body: object({
          username: text(LIMITS.username),
          password: text(LIMITS.password.max),
        }),
        response: {
          200: object({ token: { type: "string" }, user: userSchema }),
          ...errors(401, 429),
        },
      },
    },
    async (request) => {
      const { token, user } = await login(ctx, request.body);
      return { token, user: userJson(user) };
    },
  );

  app.post(
    "/auth/logout",
    {
      schema: {
        tags,
        summary: "End this session; its token stops working",
        security: bearer,
        response: { 204: noContent, ...errors(401, 403) },
      },
    },
    async (request, reply) => {
      const auth = requireAuth(request);
      await logout(ctx, auth.token);
      if (auth.via === "cookie") void reply.clearCookie(SESSION_COOKIE, { path: "/" });
      return reply.status(204).send();
    },
  );

  app.get(
    "/me",
    {
      config: { cityFrom: "caller" },
      schema: {
        tags,
        summary: "The caller's account",
        security: bearer,
        response: { 200: object({ user: userSchema }), ...errors(401) },
      },
    },
    async (request) => ({ user: userJson(requireAuth(request).user) }),
  );

  app.delete(
    "/me",
    {
      config: { cityFrom: "caller" },
      schema: {
        tags,
        summary: "Delete the caller's account",
        description:
          "Deactivates the account, revokes its sessions and takes its vehicles off the platform; " +
          "ride history is kept. Refused (409 already_riding) during a ride.",
        security: bearer,
        response: { 204: noContent, ...errors(401, 403, 409) },
      },
    },
    async (request, reply) => {
      const { user } = requireAuth(request);
      await deactivateUser(ctx, user.city, user.id);
      return reply.status(204).send();
    },
  );
}
