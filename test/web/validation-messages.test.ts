// Schema refusals read as sentences: one bad value per JSON-schema keyword, on several routes,
// answers 400 invalid_request naming the field with a plain problem, never Ajv's wording
// ("must match pattern \"^...$\"", "must match format uuid") or a regular expression.
import { randomUUID } from "node:crypto";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.ts";
import type { Database } from "../../src/db/database.ts";
import { buildApp } from "../../src/web/app.ts";
import { apiAccount } from "../support/api-account.ts";
import { dropServerDatabases, openMigrated, TARGETS, testContext } from "../support/databases.ts";
import { flashOf, Visitor } from "../support/visitor.ts";

const API = "/api/v1";
const register = {
  city: "boston",
  name: "Vera Valid",
  username: "vera_valid",
  email: "vera@example.com",
  password: "correct horse",
};
const vehicle = { type: "bike", location: "1 Main St", color: "red", brand: "Kona" };
const ride = `/cities/boston/rides/${randomUUID()}`;

interface Case {
  keyword: string;
  method: "GET" | "POST" | "PATCH" | "DELETE";
  url: string;
  body?: Record<string, unknown>;
  auth?: boolean;
  field: string;
  /** What the message must say about the field. */
  says: string;
}

const CASES: Case[] = [
  {
    keyword: "pattern (username)",
    method: "POST",
    url: "/auth/register",
    body: { ...register, username: "vera valid!" },
    field: "body.username",
    says: "may use letters, digits, '.', '_' and '-' only",
  },
  {
    keyword: "pattern (promo code)",
    method: "POST",
    url: "/me/promo-codes",
    body: { code: "SAVE 10%" },
    auth: true,
    field: "body.code",
    says: "may use letters, digits, '_' and '-' only",
  },
  {
    keyword: "pattern (cursor)",
    method: "GET",
    url: "/me/rides?after=not%20a%20cursor",
    auth: true,
    field: "querystring.after",
    says: "is not a cursor this server gave out",
  },
  {
    keyword: "format uuid (trailing slash)",
    method: "GET",
    url: "/cities/boston/vehicles/",
    field: "params.id",
    says: "must be a UUID",
  },
  {
    keyword: "format uuid (body)",
    method: "POST",
    url: "/rides",
    body: { city: "boston", vehicleId: "nope" },
    auth: true,
    field: "body.vehicleId",
    says: "must be a UUID",
  },
  {
    keyword: "format email",
    method: "POST",
    url: "/auth/register",
    body: { ...register, email: "vera-at-example" },
    field: "body.email",
    says: "is not an email address",
  },
  {
    keyword: "type (body)",
    method: "POST",
    url: `${ride}/locations`,
    body: { lat: "north", long: 1 },
    auth: true,
    field: "body.lat",
    says: "must be a number",
  },
  {
    keyword: "type (query)",
    method: "GET",
    url: "/cities/boston/vehicles?limit=many",
    field: "querystring.limit",
    says: "must be a whole number",
  },
  {
    keyword: "type (text)",
    method: "POST",
    url: "/vehicles",
    body: { ...vehicle, brand: 7 },
    auth: true,
    field: "body.brand",
    says: "must be text",
  },
  {
    keyword: "enum",
    method: "GET",
    url: "/cities/boston/vehicles?status=flying",
    field: "querystring.status",
    says: "must be one of ",
  },
  {
    keyword: "minLength",
    method: "POST",
    url: "/auth/register",
    body: { ...register, password: "short" },
    field: "body.password",
    says: "must be at least 8 characters",
  },
  {
    keyword: "minLength 1",
    method: "POST",
    url: `${ride}/end`,
    body: { location: "" },
    auth: true,
    field: "body.location",
    says: "must not be empty",
  },
  {
    keyword: "maxLength",
    method: "POST",
    url: "/vehicles",
    body: { ...vehicle, brand: "k".repeat(51) },
    auth: true,
    field: "body.brand",
    says: "must be at most 50 characters",
  },
  {
    keyword: "minimum",
    method: "GET",
    url: "/promo-codes?limit=0",
    field: "querystring.limit",
    says: "must be at least 1",
  },
  {
    keyword: "maximum",
    method: "POST",
    url: `${ride}/locations`,
    body: { lat: 91, long: 1 },
    auth: true,
    field: "body.lat",
    says: "must be at most 90",
  },
  {
    keyword: "required",
    method: "POST",
    url: "/auth/login",
    body: { username: "vera_valid" },
    field: "body.password",
    says: "is required",
  },
  {
    keyword: "additionalProperties",
    method: "POST",
    url: "/auth/login",
    body: { username: "vera_valid", password: "correct horse", admin: true },
    field: "body.admin",
    says: "is not a field this request takes",
  },
  {
    keyword: "type (whole body)",
    method: "POST",
    url: "/auth/login",
    body: ["vera_valid"] as unknown as Record<string, unknown>,
    field: "body",
    says: "must be an object",
  },
];

/** Ajv's wording and the marks of a regular expression or schema vocabulary. */
const JARGON =
  /must match (pattern|format)|must have required|must NOT|\^|\$"|\[a-z|\\[dpw]|additional properties|must be (string|integer|number|object|array|boolean)\b|must be equal to/;

afterAll(dropServerDatabases);

describe.each(TARGETS)("schema refusals on $name", (target) => {
  let database: Database;
  let app: FastifyInstance;
  let auth: { authorization: string };

  beforeAll(async () => {
    database = await openMigrated(target);
    app = await buildApp({
      config: loadConfig({ SESSION_SECRET: "x".repeat(40), LOGIN_RATE_LIMIT_PER_MINUTE: "10000" }),
      ctx: testContext(database),
      logger: false,
    });
    auth = (await apiAccount(app, { prefix: "v" })).headers;
  });
  afterAll(async () => {
    await app?.close();
    await database?.close();
  });

  it.each(CASES)("$keyword on $method $url: a sentence naming $field", async (c) => {
    const res = await app.inject({
      method: c.method,
      url: API + c.url,
      ...(c.body ? { payload: c.body } : {}),
      headers: c.auth ? auth : {},
    });
    expect(res.statusCode, res.body).toBe(400);
    const { error } = res.json() as {
      error: { code: string; message: string; details: { field: string; problem: string }[] };
    };
    expect(error.code).toBe("invalid_request");
    expect(error.details[0]).toEqual({ field: c.field, problem: expect.stringContaining(c.says) as string });
    expect(error.message).toContain(`${c.field} ${c.says}`);
    for (const text of [error.message, ...error.details.map((d) => d.problem)])
      expect(text).not.toMatch(JARGON);
  });

  // The pages refuse through the services, not the schemas: the same value reads the same there.
  it.each([
    { field: "username", value: "vera valid!" },
    { field: "email", value: "vera-at-example" },
  ])("the register page says what the API says about a bad $field", async ({ field, value }) => {
    const api = await app.inject({
      method: "POST",
      url: `${API}/auth/register`,
      payload: { ...register, [field]: value },
    });
    const problem = (api.json() as { error: { details: { problem: string }[] } }).error.details[0]?.problem;
    const v = new Visitor(app);
    const page = await v.follow(await v.submit("/register", "/register", { ...register, [field]: value }));
    expect(flashOf(page.body)).toBe(`${field} ${problem ?? "?"}.`.replaceAll("'", "&#39;"));
  });
});
