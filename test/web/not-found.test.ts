// Unknown addresses: API clients get the contract's JSON error, browsers a page that echoes nothing.
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, expect, it } from "vitest";
import { loadConfig } from "../../src/config.ts";
import type { Database } from "../../src/db/database.ts";
import { buildApp } from "../../src/web/app.ts";
import { apiAccount } from "../support/api-account.ts";
import { openMigrated, testContext, TARGETS } from "../support/databases.ts";

let database: Database;
let app: FastifyInstance;
beforeAll(async () => {
  database = await openMigrated(TARGETS[0]!);
  app = await buildApp({
    config: loadConfig({ SESSION_SECRET: "n".repeat(40) }),
    ctx: testContext(database),
    logger: false,
  });
});
afterAll(async () => {
  await app?.close();
  await database?.close();
});

it("answers an unknown API path with the JSON error shape", async () => {
  const res = await app.inject({ method: "GET", url: "/api/v1/nope", headers: { accept: "text/html" } });
  expect(res.statusCode).toBe(404);
  expect(res.json()).toEqual({
    error: { code: "not_found", message: "There is nothing at GET /api/v1/nope." },
  });
});

it("answers an unknown page with an HTML page that does not echo the URL", async () => {
  const res = await app.inject({
    method: "GET",
    url: "/<script>alert(1)</script>",
    headers: { accept: "text/html,*/*" },
  });
  expect(res.statusCode).toBe(404);
  expect(res.headers["content-type"]).toMatch(/^text\/html/);
  expect(res.body).toContain("Not found");
  expect(res.body).not.toContain("<script>");
});

it("looks up no session for routes that never use one (health, assets, OpenAPI)", async () => {
  // A bearer token that matches no session is refused wherever a session is looked up.
  const headers = { authorization: "Bearer no-such-session" };
  expect((await app.inject({ method: "GET", url: "/api/v1/me", headers })).statusCode).toBe(401);
  for (const url of ["/healthz", "/readyz", "/api/openapi.json", "/assets/movr.css"]) {
    const res = await app.inject({ method: "GET", url, headers });
    expect(res.statusCode, url).toBe(200);
  }
});

it("answers a page address the router cannot read (a segment too long, bad percent-encoding) with an HTML page; the API with JSON", async () => {
  const pages = [`/rides/${"a".repeat(200)}`, "/rides/%E0%A4%A", "/rides/%zz"];
  for (const url of pages) {
    const res = await app.inject({ method: "GET", url, headers: { accept: "text/html,*/*" } });
    expect(res.statusCode, url).toBe(400);
    expect(res.headers["content-type"], url).toMatch(/^text\/html/);
    expect(res.body, url).toMatch(/the path (has a segment that is too long|is not validly percent-encoded)/);
    expect(res.body, url).not.toContain("aaaa");
  }
  const api = await app.inject({
    method: "GET",
    url: `/api/v1/cities/${"c".repeat(200)}/vehicles`,
    headers: { accept: "text/html" },
  });
  expect(api.statusCode).toBe(400);
  expect(api.json()).toMatchObject({ error: { code: "invalid_request" } });
});

it("an unknown address is 404 whoever calls: a logged-in browser's PUT is no CSRF failure, a stale token no 401", async () => {
  // The session a browser holds after logging in is the same token, carried in the cookie.
  const account = await apiAccount(app, { prefix: "nf", name: "Nora Found" });
  const cookie = { cookie: `movr_session=${account.token}` };
  const callers: Record<string, string>[] = [cookie, { authorization: "Bearer no-such-session" }];
  for (const headers of callers) {
    for (const [method, url] of [
      ["PUT", "/api/v1/cities/boston/vehicles"],
      ["DELETE", "/api/v1/regions"],
      ["POST", "/api/v1/nope"],
      ["PATCH", "/vehicles"],
    ] as const) {
      const res = await app.inject({ method, url, headers });
      expect(res.statusCode, `${method} ${url} ${JSON.stringify(headers)}: ${res.body}`).toBe(404);
      expect(res.json()).toMatchObject({ error: { code: "not_found" } });
    }
    const page = await app.inject({
      method: "PUT",
      url: "/vehicles",
      headers: { ...headers, accept: "text/html" },
    });
    expect(page.statusCode).toBe(404);
    expect(page.headers["content-type"]).toMatch(/^text\/html/);
  }
});
