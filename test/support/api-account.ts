// A new account over the JSON API, as the API tests need one: registered (201) and logged in
// (200), with its bearer token ready to send. Shared by the web tests.
import { randomUUID } from "node:crypto";
import type { FastifyInstance, LightMyRequestResponse } from "fastify";
import { expect } from "vitest";

export interface ApiAccount {
  id: string;
  username: string;
  city: string;
  token: string;
  headers: { authorization: string };
}

/** POSTs /api/v1/auth/register for `username` (e-mail `<username>@example.com`); the answer as is. */
export function registerOverApi(
  app: FastifyInstance,
  input: { username: string; city?: string; name?: string; password?: string },
): Promise<LightMyRequestResponse> {
  return app.inject({
    method: "POST",
    url: "/api/v1/auth/register",
    payload: {
      city: input.city ?? "boston",
      name: input.name ?? "Test Rider",
      username: input.username,
      email: `${input.username}@example.com`,
      password: input.password ?? "correct horse",
    },
  });
}

/** Registers and logs in a fresh user (`<prefix><8 hex>`) through /api/v1/auth. */
export async function apiAccount(
  app: FastifyInstance,
  input: { prefix?: string; city?: string; name?: string; password?: string } = {},
): Promise<ApiAccount> {
  const username = `${input.prefix ?? "u"}${randomUUID().slice(0, 8)}`;
  const city = input.city ?? "boston";
  const password = input.password ?? "correct horse";
  const reg = await registerOverApi(app, { username, city, name: input.name, password });
  expect(reg.statusCode, reg.body).toBe(201);
  const login = await app.inject({
    method: "POST",
    url: "/api/v1/auth/login",
    payload: { username, password },
  });
  expect(login.statusCode, login.body).toBe(200);
  const { token, user } = login.json() as { token: string; user: { id: string } };
  return { id: user.id, username, city, token, headers: { authorization: `Bearer ${token}` } };
}
