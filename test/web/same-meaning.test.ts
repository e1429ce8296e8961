// Same value, same meaning: what registers logs in (passwords exactly as typed, usernames trimmed)
// on the API and the pages; keyset cursors keep the database's microseconds; a ride whose stored
// start is ahead of the server clock still ends; and one login budget per client address and per
// username, shared by the API, the pages, login and register.
import { randomUUID } from "node:crypto";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AuthContext } from "../../src/auth/auth.service.ts";
import { loadConfig } from "../../src/config.ts";
import type { Database } from "../../src/db/database.ts";
import { addUser } from "../../src/users/user.service.ts";
import { addVehicle } from "../../src/vehicles/vehicle.service.ts";
import { buildApp } from "../../src/web/app.ts";
import { apiAccount, registerOverApi } from "../support/api-account.ts";
import { dropServerDatabases, openMigrated, TARGETS, testContext } from "../support/databases.ts";
import { csrfOf, Visitor } from "../support/visitor.ts";

const SECRET = "x".repeat(40);
const API = "/api/v1";
const EMOJI = "\u{1F6B2}";

afterAll(dropServerDatabases);

describe.each(TARGETS)("same value, same meaning on $name", (target) => {
  let database: Database;
  let ctx: AuthContext;
  let app: FastifyInstance;
  let now = new Date("2026-11-24T10:00:00.000Z");
  const apps: FastifyInstance[] = [];

  const appWith = async (env: Record<string, string>): Promise<FastifyInstance> => {
    const a = await buildApp({ config: loadConfig({ SESSION_SECRET: SECRET, ...env }), ctx, logger: false });
    apps.push(a);
    return a;
  };

  beforeAll(async () => {
    database = await openMigrated(target);
    ctx = testContext(database, () => now);
    app = await appWith({ LOGIN_RATE_LIMIT_PER_MINUTE: "10000" });
  });
  afterAll(async () => {
    for (const a of apps) await a.close();
    await database?.close();
  });

  const post = (url: string, payload: object, headers: Record<string, string> = {}) =>
    app.inject({ method: "POST", url: API + url, payload, headers });

  /** A red bike in Boston owned by `owner`, added through the service. */
  const bikeOf = (owner: { id: string }) =>
    addVehicle(ctx, { ownerCity: "boston", ownerId: owner.id, type: "bike", color: "red", location: "x" });

  async function apiLogin(username: string, password: string) {
    return post("/auth/login", { username, password });
  }

  describe("register then log in, with edge values", () => {
    const passwords = [
      { label: "'  secret-pass  '", password: "  secret-pass  " },
      { label: "of 8 emoji (the minimum, in characters)", password: EMOJI.repeat(8) },
      { label: "of 200 emoji (the maximum, in characters)", password: EMOJI.repeat(200) },
      { label: "wrapped in no-break spaces", password: "\u00a0nbsp-wrapped\u00a0" },
    ];

    it.each(passwords)(
      "API: the password $label logs in exactly as registered, and only so",
      async ({ password }) => {
        const username = `pw_${randomUUID().slice(0, 8)}`;
        const reg = await registerOverApi(app, { username, name: "Pat", password });
        expect(reg.statusCode, reg.body).toBe(201);
        const ok = await apiLogin(username, password);
        expect(ok.statusCode, ok.body).toBe(200);
        if (password.trim() !== password)
          expect((await apiLogin(username, password.trim())).statusCode).toBe(401);
      },
    );

    it("pages: the password '  secret-pass  ' logs in on the form and on the API", async () => {
      const v = new Visitor(app);
      const username = `pg_${randomUUID().slice(0, 8)}`;
      const password = "  secret-pass  ";
      const registered = await v.submit("/register", "/register", {
        city: "boston",
        name: "  Pam Page  ",
        email: ` ${username}@example.com `,
        username: `  ${username}  `,
        password,
      });
      expect(registered.headers.location).toBe(`/login?username=${username}`);
      const login = await v.submit("/login", "/login", { username, password });
      expect(login.headers.location).toBe("/vehicles");
      const api = await apiLogin(username, password);
      expect(api.statusCode, api.body).toBe(200);
      // Names and emails are trimmed once, in the service.
      expect((api.json() as { user: unknown }).user).toMatchObject({
        name: "Pam Page",
        email: `${username}@example.com`,
        username,
      });
    });

    it("usernames are trimmed on register and login, API and pages alike; their case matters", async () => {
      const username = `Tr_${randomUUID().slice(0, 8)}`;
      const reg = await post("/auth/register", {
        city: "boston",
        name: "Tim",
        username: ` ${username} `,
        email: `${username}@example.com`,
        password: "correct horse",
      });
      expect(reg.statusCode, reg.body).toBe(201);
      expect((reg.json() as { user: { username: string } }).user.username).toBe(username);
      expect((await apiLogin(`  ${username}`, "correct horse")).statusCode).toBe(200);
      expect((await apiLogin(username.toLowerCase(), "correct horse")).statusCode).toBe(401);
      const v = new Visitor(app);
      const page = await v.submit("/login", "/login", {
        username: `${username}  `,
        password: "correct horse",
      });
      expect(page.headers.location).toBe("/vehicles");
    });
  });

  describe("keyset cursors keep microseconds", () => {
    it("GET /me/rides?limit=1 following next returns all 4 rides started within one millisecond", async () => {
      const login = await apiAccount(app, { prefix: "cur_", name: "Cora" });
      const owner = await addUser(ctx, { city: "boston", name: "Owen" });
      // Written by another client with SQL, as `cockroach workload` or now() would: microseconds.
      const starts = [
        "2026-11-24 10:00:00.0001",
        "2026-11-24 10:00:00.0002",
        "2026-11-24 10:00:00.0003",
        "2026-11-24 10:00:00.999",
      ];
      const ids: string[] = [];
      for (const start of starts) {
        const v = await bikeOf(owner);
        const id = randomUUID();
        ids.push(id);
        await database.query(
          `INSERT INTO rides (id, city, vehicle_city, rider_id, vehicle_id, start_address, end_address, start_time, end_time, revenue)
           VALUES ($1, 'boston', 'boston', $2, $3, 'a', 'b', $4::timestamp, $4::timestamp + interval '5 minutes', 3.50)`,
          [id, login.id, v.id, start],
        );
      }
      const seen: string[] = [];
      let url = `${API}/me/rides?limit=1`;
      for (let i = 0; i < 10; i++) {
        const res = await app.inject({
          method: "GET",
          url,
          headers: { authorization: `Bearer ${login.token}` },
        });
        expect(res.statusCode, res.body).toBe(200);
        const page = res.json() as { rides: { id: string }[]; next: string | null };
        for (const r of page.rides) seen.push(r.id);
        if (!page.next) break;
        url = `${API}/me/rides?limit=1&after=${page.next}`;
      }
      expect(seen).toEqual(ids.slice().reverse());
    });

    it("a forged cursor with an impossible timestamp is 400, not a database error", async () => {
      const { token } = await apiAccount(app, { prefix: "forge_", name: "F" });
      for (const key of [
        "2026-13-45 10:00:00",
        "0000-01-01 00:00:00",
        "2026-02-30 25:61:00.1234567",
        "now",
      ]) {
        const cursor = Buffer.from(JSON.stringify([key, randomUUID()])).toString("base64url");
        const res = await app.inject({
          method: "GET",
          url: `${API}/me/rides?after=${cursor}`,
          headers: { authorization: `Bearer ${token}` },
        });
        expect(res.statusCode, `${key}: ${res.body}`).toBe(400);
      }
    });
  });

  describe("ending a ride that started ahead of this server's clock", () => {
    it("ends it (the end is never before the stored start) instead of a 500", async () => {
      const login = await apiAccount(app, { prefix: "end_", name: "E" });
      const owner = await addUser(ctx, { city: "boston", name: "Owen" });
      const v = await bikeOf(owner);
      await database.query(`UPDATE vehicles SET status = 'in_use' WHERE city = 'boston' AND id = $1`, [v.id]);
      const rideId = randomUUID();
      // 0.5 ms ahead of the server's clock (another node's clock, or now() on the database).
      await database.query(
        `INSERT INTO rides (id, city, vehicle_city, rider_id, vehicle_id, start_address, start_time)
         VALUES ($1, 'boston', 'boston', $2, $3, 'a', '2026-11-24 10:00:00.0005')`,
        [rideId, login.id, v.id],
      );
      now = new Date("2026-11-24T10:00:00.000Z");
      const res = await post(
        `/cities/boston/rides/${rideId}/end`,
        { location: "Harbor" },
        { authorization: `Bearer ${login.token}` },
      );
      expect(res.statusCode, res.body).toBe(200);
      const { rows } = await database.query<{ ok: boolean }>(
        `SELECT end_time >= start_time AS ok FROM rides WHERE city = 'boston' AND id = $1`,
        [rideId],
      );
      expect(rows[0]?.ok).toBe(true);
    });
  });

  describe("one login budget", () => {
    it("per client address, across the API and the form, login and register", async () => {
      const limited = await appWith({ LOGIN_RATE_LIMIT_PER_MINUTE: "3" });
      const from = { remoteAddress: "203.0.113.7" };
      const apiAttempt = (username: string) =>
        limited.inject({
          method: "POST",
          url: `${API}/auth/login`,
          payload: { username, password: "guess guess" },
          ...from,
        });
      expect((await apiAttempt("nobody1")).statusCode).toBe(401);
      const first = await limited.inject({ method: "GET", url: "/login", ...from });
      const formToken = first.cookies.find((c) => c.name === "movr_form")?.value;
      const formHtml = first.body;
      const formAttempt = () =>
        limited.inject({
          method: "POST",
          url: "/login",
          headers: { cookie: `movr_form=${formToken}`, "content-type": "application/x-www-form-urlencoded" },
          payload: new URLSearchParams({
            _csrf: csrfOf(formHtml),
            username: "nobody2",
            password: "guess guess",
          }).toString(),
          ...from,
        });
      expect((await formAttempt()).statusCode).toBe(303);
      const register = await limited.inject({
        method: "POST",
        url: `${API}/auth/register`,
        payload: {
          city: "boston",
          name: "R",
          username: "budget_r",
          email: "r@example.com",
          password: "long enough",
        },
        ...from,
      });
      expect(register.statusCode, register.body).toBe(201);
      // Three attempts spent, whatever the door: the fourth is refused at both.
      const api = await apiAttempt("nobody3");
      expect(api.statusCode).toBe(429);
      expect(Number(api.headers["retry-after"])).toBeGreaterThan(0);
      expect((await formAttempt()).statusCode).toBe(429);
      // Another address has its own budget.
      const other = await limited.inject({
        method: "POST",
        url: `${API}/auth/login`,
        payload: { username: "nobody4", password: "guess guess" },
        remoteAddress: "203.0.113.8",
      });
      expect(other.statusCode).toBe(401);
    });

    it("per username, whatever the address: guesses at one account stop after the budget", async () => {
      const limited = await appWith({ LOGIN_RATE_LIMIT_PER_MINUTE: "3" });
      const guess = (n: number, username = "victim") =>
        limited.inject({
          method: "POST",
          url: `${API}/auth/login`,
          payload: { username, password: `guess ${n} guess` },
          remoteAddress: `198.51.100.${n}`,
        });
      expect((await guess(1)).statusCode).toBe(401);
      expect((await guess(2, "  victim ")).statusCode).toBe(401);
      expect((await guess(3)).statusCode).toBe(401);
      expect((await guess(4)).statusCode).toBe(429);
      expect((await guess(5, "someone_else")).statusCode).toBe(401);
    });
  });
});
