// Unknown addresses: API clients get the contract's JSON error, browsers a page that echoes nothing.
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, expect, it } from "vitest";
import { loadConfig } from "../../src/config.ts";
import type { Database } from "../../src/db/database.ts";
import { buildApp } from "../../src/web/app.ts";
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
