// Accounts and sessions: register, log in (a bearer token), log out, me, delete me.
import type { FastifyInstance } from "fastify";
import { login, logout, register } from "../../auth/auth.service.ts";
import { LIMITS } from "../../shared/validation.ts";
import { deactivateUser } from "../../users/user.service.ts";
import { requireAuth, SESSION_COOKIE } from "../auth.plugin.ts";
import type { RouteOptions } from "./api.routes.ts";
import { city, errors, noContent, object, text, userSchema, USERNAME_PATTERN } from "./schemas.ts";
import { userJson } from "./serialize.ts";

const tags = ["accounts"];
const bearer = [{ bearer: [] }];

export async function authRoutes(app: FastifyInstance, { ctx }: RouteOptions): Promise<void> {
  // One budget per client address and per username, shared with the pages (src/web/login-budget.ts).
  const preHandler = app.loginBudget;

  app.post<{ Body: { city: string; name: string; username: string; email: string; password: string } }>(
    "/auth/register",
    {
      // Registering and logging in never look at who is calling: a stale token an app still
      // sends must not answer 401 "log in again" to the login itself.
      config: { cityFrom: "body", anonymous: true },
      preHandler,
      schema: {
        tags,
        summary: "Create an account",
        body: object({
          city: city(ctx.cities),
          name: text(LIMITS.name),
          // Surrounding spaces are trimmed, as on the register form (docs/decisions/012).
          username: text(LIMITS.username, { pattern: USERNAME_PATTERN }),
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
      config: { anonymous: true },
      preHandler,
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
