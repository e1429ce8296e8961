// Seeded, bounded fuzzing of every API route of the OpenAPI document and every form of the pages:
// hostile values in paths, queries, bodies and form fields must never get a 5xx, and no answer may
// show SQL text, a stack trace or the values we sent. Change FUZZ_SEED below to explore; a failure
// message names the request so it can be replayed.
import { randomUUID } from "node:crypto";
import type { FastifyInstance, LightMyRequestResponse } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.ts";
import type { Database } from "../../src/db/database.ts";
import { buildApp } from "../../src/web/app.ts";
import { Rng } from "../../src/workload/random.ts";
import { apiAccount } from "../support/api-account.ts";
import { openMigrated, TARGETS, testContext } from "../support/databases.ts";
import { csrfOf, Visitor } from "../support/visitor.ts";

const FUZZ_SEED = 20261130;
const PER_OPERATION = 80;
const PER_FORM = 30;

// Values of the kinds that broke MovR before: NUL and other controls, lone surrogates, huge and
// deep inputs, numbers out of range, wrong types, malformed UUIDs, cursors and timestamps.
const NASTY_STRINGS = [
  "",
  " ",
  "a\u0000b",
  "\u0000",
  "\ud800",
  "x\udc00y",
  "\u001b[31m",
  "\u202e\u200b",
  "😀".repeat(60),
  "x".repeat(70_000),
  "' OR 1=1 --",
  "%00",
  "%",
  "../../etc/passwd",
  "<script>alert(1)</script>",
  "null",
  "-1",
  "1e400",
  "2026-13-45T99:99:99Z",
  "00000000-0000-0000-0000-000000000000",
  "not-a-uuid",
  "eyJub3QiOiJhIGN1cnNvciJ9",
  "W10",
  "boston",
  "new york",
];
const NASTY_VALUES: unknown[] = [
  ...NASTY_STRINGS,
  0,
  -1,
  1.5,
  2 ** 53,
  -(2 ** 63),
  1e308,
  true,
  null,
  [],
  ["a", "\u0000"],
  {},
  { nested: { deeper: { deepest: "\u0000" } } },
  JSON.parse("[".repeat(200) + "]".repeat(200)) as unknown,
];
const LEAKS = [
  /\bSELECT\b/,
  /\bINSERT INTO\b/,
  /\bUPDATE "/,
  /Failed query/,
  /\n\s+at /,
  /\bparams:/i,
  /\$1\b/,
];

interface Operation {
  method: string;
  path: string;
  params: string[];
  query: string[];
  body: string[];
}

function operationsOf(doc: { paths: Record<string, Record<string, Record<string, unknown>>> }): Operation[] {
  const ops: Operation[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const parameters = (op.parameters ?? []) as { in: string; name: string }[];
      const body = op.requestBody as
        { content?: Record<string, { schema?: { properties?: Record<string, unknown> } }> } | undefined;
      const props = body?.content?.["application/json"]?.schema?.properties ?? {};
      ops.push({
        method: method.toUpperCase(),
        path,
        params: parameters.filter((p) => p.in === "path").map((p) => p.name),
        query: parameters.filter((p) => p.in === "query").map((p) => p.name),
        body: Object.keys(props),
      });
    }
  }
  return ops;
}

/** Percent-encodes as a client would; a lone surrogate goes as its raw (invalid UTF-8) bytes. */
function pathSegment(s: string): string {
  try {
    return encodeURIComponent(s);
  } catch {
    return "%ED%A0%80";
  }
}

function pick<T>(rng: Rng, items: readonly T[]): T {
  return items[Math.floor(rng.next() * items.length)]!;
}

function checkAnswer(res: LightMyRequestResponse, what: string, sent: string[]): void {
  expect(res.statusCode, `${what} -> ${res.statusCode}: ${res.body.slice(0, 300)}`).toBeLessThan(500);
  for (const leak of LEAKS) expect(res.body, `${what} leaked ${leak}`).not.toMatch(leak);
  if (res.statusCode >= 400) {
    // Errors may name a field, never echo a long hostile value back.
    for (const value of sent) if (value.length >= 40) expect(res.body).not.toContain(value);
  }
}

describe.each(TARGETS)("fuzzing every route and form on $name", (target) => {
  let database: Database;
  let app: FastifyInstance;
  let token: string;

  beforeAll(async () => {
    database = await openMigrated(target);
    const config = loadConfig({ SESSION_SECRET: "f".repeat(40), LOGIN_RATE_LIMIT_PER_MINUTE: "10000" });
    app = await buildApp({ config, ctx: testContext(database), logger: false });
    ({ token } = await apiAccount(app, { prefix: "fz", name: "Fuzz", password: "fuzz-pass-1" }));
    // A vehicle to ride, so the vehicles page shows its "Start ride" form.
    const added = await app.inject({
      method: "POST",
      url: "/api/v1/vehicles",
      headers: { authorization: `Bearer ${token}` },
      payload: { type: "bike", location: "1 Main St", color: "red" },
    });
    expect(added.statusCode, added.body).toBe(201);
  });
  afterAll(async () => {
    await app?.close();
    await database?.close();
  });

  it("answers every API operation without a 5xx or a leak", async () => {
    const doc = (await app.inject({ method: "GET", url: "/api/openapi.json" })).json() as Parameters<
      typeof operationsOf
    >[0];
    const ops = operationsOf(doc);
    expect(ops.length).toBeGreaterThanOrEqual(15);
    const rng = new Rng(FUZZ_SEED);
    let sentCount = 0;
    for (const op of ops) {
      for (let i = 0; i < PER_OPERATION; i++) {
        const sent: string[] = [];
        const str = () => {
          const s = pick(rng, NASTY_STRINGS);
          sent.push(s);
          return s;
        };
        let url = op.path;
        for (const p of op.params) url = url.replace(`{${p}}`, pathSegment(str()));
        const query = new URLSearchParams();
        for (const q of op.query) if (rng.next() < 0.7) query.set(q, str());
        if (query.size > 0) url += `?${query}`;
        const payload: Record<string, unknown> = {};
        for (const field of op.body) if (rng.next() < 0.8) payload[field] = pick(rng, NASTY_VALUES);
        const headers: Record<string, string> = rng.next() < 0.8 ? { authorization: `Bearer ${token}` } : {};
        const res = await app.inject({
          method: op.method as "GET",
          url,
          headers,
          ...(op.method === "GET" || op.method === "DELETE" ? {} : { payload }),
        });
        sentCount++;
        checkAnswer(res, `${op.method} ${url.slice(0, 200)} ${JSON.stringify(payload).slice(0, 200)}`, sent);
      }
    }
    expect(sentCount).toBeGreaterThanOrEqual(1200);
  });

  it("answers every form of the pages without a 5xx or a leak", async () => {
    const visitor = new Visitor(app);
    const username = `fp${randomUUID().slice(0, 8)}`;
    const reg = await visitor.submit("/register", "/register", {
      city: "boston",
      name: "Fuzz Page",
      username,
      email: `${username}@example.com`,
      password: "fuzz-pass-2",
    });
    expect(reg.statusCode, reg.body.slice(0, 300)).toBeLessThan(400);
    const login = await visitor.submit("/login", "/login", { username, password: "fuzz-pass-2" });
    expect(login.statusCode, login.body.slice(0, 300)).toBeLessThan(400);
    const pages = [
      "/vehicles",
      "/vehicles/new",
      "/profile",
      "/rides",
      "/promo-codes",
      "/users",
      "/login",
      "/register",
    ];
    const forms = new Map<string, string[]>();
    for (const page of pages) {
      const res = await visitor.get(page);
      expect(res.statusCode).toBeLessThan(500);
      for (const m of res.body.matchAll(/<form[^>]*method="post"[^>]*>([\s\S]*?)<\/form>/gi)) {
        const action = /action="([^"]+)"/.exec(m[0])?.[1];
        if (!action || forms.has(action)) continue;
        const names = [...(m[1] ?? "").matchAll(/name="([^"]+)"/g)]
          .map((n) => n[1]!)
          .filter((n) => n !== "_csrf");
        forms.set(action.replaceAll("&amp;", "&"), names);
      }
    }
    expect(forms.size).toBeGreaterThanOrEqual(4);
    const rng = new Rng(FUZZ_SEED + 1);
    for (const [action, names] of forms) {
      if (/logout|delete|account/.test(action)) continue; // they would end the visitor's session
      for (let i = 0; i < PER_FORM; i++) {
        const sent: string[] = [];
        const form: Record<string, string> = {};
        for (const name of names) {
          const s = pick(rng, NASTY_STRINGS);
          sent.push(s);
          form[name] = s;
        }
        const html = (await visitor.get("/profile")).body;
        const res = await visitor.post(action, { _csrf: csrfOf(html), ...form });
        checkAnswer(res, `POST ${action} ${JSON.stringify(form).slice(0, 200)}`, sent);
      }
    }
  });
});
