// Logs and headers: a failed query logs its SQLSTATE and route, never its SQL text or parameters
// (emails, password hashes); browsers get nosniff, a CSP, no framing, and no caching of API or
// logged-in answers; requests Node rejects before Fastify (431, malformed) answer in the
// contract's shape.
import net from "node:net";
import { Writable } from "node:stream";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config.ts";
import type { Database } from "../../src/db/database.ts";
import { createLogger } from "../../src/logging/logger.ts";
import { serializeError } from "../../src/logging/error.serializer.ts";
import { buildApp } from "../../src/web/app.ts";
import { dropServerDatabases, openMigrated, testContext, TARGETS } from "../support/databases.ts";
import { installFaults, type Faults } from "../support/faults.ts";

afterAll(dropServerDatabases);

// Map tiles off: img-src then holds exactly what CSP_IMG_SRC names (the map adds its tile origins otherwise).
const ENV = { SESSION_SECRET: "h".repeat(40), LOGIN_RATE_LIMIT_PER_MINUTE: "10000", MAP_TILE_URL: "off" };

describe.each(TARGETS)("logs and headers on $name", (target) => {
  let database: Database;
  let faults: Faults;
  let app: FastifyInstance;
  const lines: string[] = [];

  beforeAll(async () => {
    database = await openMigrated(target);
    faults = await installFaults(database);
    const config = loadConfig({ ...ENV, CSP_IMG_SRC: "https://tiles.example.org/{z}/{x}/{y}.png" });
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const line of chunk.toString().split("\n")) if (line) lines.push(line);
        done();
      },
    });
    const logger = await createLogger({ logLevel: "info", logFormat: "json" }, sink, false);
    app = await buildApp({ config, ctx: testContext(database), loggerInstance: logger });
    await app.listen({ host: "127.0.0.1", port: 0 });
  });
  afterAll(async () => {
    await app?.close();
    await database?.close();
  });

  it("a failed query logs SQLSTATE and route, not the SQL, the email, the hash or the password", async () => {
    for (const [state, url] of [
      ["XX000", "/api/v1/auth/register"],
      ["22021", "/api/v1/auth/register"],
    ] as const) {
      await faults.set(state);
      lines.length = 0;
      const res = await app.inject({
        method: "POST",
        url,
        payload: {
          city: "boston",
          name: "Lena Logs",
          username: `lena_${state}`,
          email: "lena.secret@example.com",
          password: "hunter2-hunter2",
        },
      });
      await faults.set(undefined);
      expect(res.statusCode).toBe(500);
      const failure = lines.find((l) => l.includes("request failed"));
      expect(failure, lines.join("\n")).toBeDefined();
      const entry = JSON.parse(failure!) as { err: Record<string, unknown>; route: string; method: string };
      expect(entry.route).toBe(url);
      expect(entry.method).toBe("POST");
      expect(JSON.stringify(entry.err)).toContain(`"sqlstate":"${state}"`);
      const all = lines.join("\n");
      expect(all).not.toMatch(/lena\.secret|hunter2|scrypt|insert into|"users"|params|injected fault|stack/i);
    }
  });

  it("the serializer keeps a constraint and drops the server's message (it may quote a value)", () => {
    const pgError = Object.assign(new Error('invalid input syntax for type uuid: "secret-value"'), {
      code: "22P02",
      severity: "ERROR",
      constraint: "users_pkey",
      table: "users",
    });
    const wrapped = Object.assign(new Error("Failed query: select 1\nparams: secret-value"), {
      cause: pgError,
    });
    const out = serializeError(wrapped);
    expect(JSON.stringify(out)).not.toContain("secret-value");
    expect(out.cause).toMatchObject({ sqlstate: "22P02", constraint: "users_pkey", table: "users" });
  });

  it("API answers: nosniff, no-store, a CSP; logged-in answers too; assets stay cacheable", async () => {
    const regions = await app.inject({ method: "GET", url: "/api/v1/regions" });
    expect(regions.headers["x-content-type-options"]).toBe("nosniff");
    expect(regions.headers["cache-control"]).toBe("no-store");
    expect(regions.headers["content-security-policy"]).toContain("default-src 'none'");

    await app.inject({
      method: "POST",
      url: "/api/v1/auth/register",
      payload: {
        city: "boston",
        name: "Hedda",
        username: "hedda",
        email: "h@example.com",
        password: "correct horse",
      },
    });
    const login = await app.inject({
      method: "POST",
      url: "/api/v1/auth/login",
      payload: { username: "hedda", password: "correct horse" },
    });
    const token = (login.json() as { token: string }).token;
    const me = await app.inject({
      method: "GET",
      url: "/api/v1/me",
      headers: { authorization: `Bearer ${token}` },
    });
    expect(me.statusCode).toBe(200);
    expect(me.headers["cache-control"]).toBe("no-store");
    expect(me.headers["x-content-type-options"]).toBe("nosniff");

    const asset = await app.inject({ method: "GET", url: "/assets/movr.css" });
    expect(asset.headers["cache-control"]).toMatch(/max-age/);
  });

  it("pages and /api/docs cannot be framed; img-src takes the configured origins", async () => {
    for (const url of ["/login", "/api/docs", "/api/docs/static/index.html"]) {
      const res = await app.inject({ method: "GET", url, headers: { accept: "text/html" } });
      expect(res.headers["x-frame-options"], url).toBe("DENY");
      const csp = String(res.headers["content-security-policy"]);
      expect(csp, url).toContain("frame-ancestors 'none'");
      expect(csp, url).not.toContain("upgrade-insecure-requests");
    }
    const csp = String(
      (await app.inject({ method: "GET", url: "/login" })).headers["content-security-policy"],
    );
    expect(csp).toMatch(/img-src 'self' data: https:\/\/tiles\.example\.org(;|$)/);
    expect(csp).toMatch(/style-src 'self'(;|$)/);
  });

  it("a client that hangs up halfway through its body is no database outage: no error line", async () => {
    const port = (app.server.address() as net.AddressInfo).port;
    for (const [url, contentType] of [
      ["/api/v1/auth/login", "application/json"],
      ["/login", "application/x-www-form-urlencoded"],
    ] as const) {
      lines.length = 0;
      await new Promise<void>((resolve) => {
        const socket = net.connect(port, "127.0.0.1", () => {
          socket.write(
            `POST ${url} HTTP/1.1\r\nHost: x\r\nContent-Type: ${contentType}\r\nContent-Length: 100\r\n\r\n{"user`,
          );
          setTimeout(() => socket.destroy(), 200);
        });
        socket.on("error", () => undefined);
        socket.on("close", () => resolve());
      });
      // Nothing answers a hung-up client, so there is no line to wait for: give the server a
      // moment to read the end of the stream (the old code logged its error within it).
      const until = Date.now() + 3000;
      while (!lines.some((l) => l.includes('"level":"error"')) && Date.now() < until) {
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(lines.join("\n")).not.toMatch(/"level":"error"|"outage"|unavailable/);
    }
  });

  it("431 and a malformed request line answer in the contract's shape", async () => {
    const port = (app.server.address() as net.AddressInfo).port;
    const raw = (text: string) =>
      new Promise<string>((resolve) => {
        const socket = net.connect(port, "127.0.0.1", () => socket.write(text));
        let got = "";
        socket.on("data", (d: Buffer) => (got += d.toString()));
        socket.on("error", () => undefined);
        socket.on("close", () => resolve(got));
      });
    const big = await raw(`GET /api/v1/regions HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`);
    expect(big).toMatch(/^HTTP\/1\.1 431 /);
    const bad = await raw("THIS IS NOT HTTP\r\n\r\n");
    expect(bad).toMatch(/^HTTP\/1\.1 400 /);
    for (const answer of [big, bad]) {
      expect(answer).toMatch(/\r\ncontent-type: application\/json/i);
      const body = JSON.parse(answer.split("\r\n\r\n")[1] ?? "") as unknown;
      expect(body).toEqual({ error: { code: "invalid_request", message: expect.any(String) } });
    }
  });
});

it("CSP_IMG_SRC refuses what is not an http(s) origin, naming the variable", () => {
  expect(() => loadConfig({ ...ENV, CSP_IMG_SRC: "javascript:alert(1)" })).toThrow(ConfigError);
  expect(() => loadConfig({ ...ENV, CSP_IMG_SRC: "'unsafe-inline'" })).toThrow(/CSP_IMG_SRC/);
  expect(
    loadConfig({ ...ENV, CSP_IMG_SRC: "https://*.tile.example.org, http://localhost:8080/x" }).csp.imgSrc,
  ).toEqual(["https://*.tile.example.org", "http://localhost:8080"]);
});
