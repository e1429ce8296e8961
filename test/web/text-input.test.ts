// Text the database cannot store (U+0000, unpaired UTF-16 surrogates), control characters and
// bidirectional overrides, on every API field, page form and query that takes text: 400 naming
// the field, never a 500.
// Lengths are counted in characters (code points), as the published JSON schema counts them.
import { randomUUID } from "node:crypto";
import type { FastifyInstance, LightMyRequestResponse } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AuthContext } from "../../src/auth/auth.service.ts";
import { loadConfig } from "../../src/config.ts";
import type { Database } from "../../src/db/database.ts";
import { createPromoCode } from "../../src/promo-codes/promo-code.service.ts";
import { getActiveRide } from "../../src/rides/ride.service.ts";
import { addUser } from "../../src/users/user.service.ts";
import { addVehicle, listOwnerVehicles } from "../../src/vehicles/vehicle.service.ts";
import { buildApp } from "../../src/web/app.ts";
import { apiAccount } from "../support/api-account.ts";
import { dropServerDatabases, openMigrated, TARGETS, testContext } from "../support/databases.ts";
import { csrfOf, signUp, Visitor } from "../support/visitor.ts";

const SECRET = "x".repeat(40);
const API = "/api/v1";

/** Each kind of character the rule refuses; the first three PostgreSQL refuses (22021, 22P05). */
const HOSTILE: Record<string, string> = {
  NUL: "\u0000",
  "lone high surrogate": "\ud800",
  "lone low surrogate": "\udc00",
  "control character": "\u001b",
  "bidirectional override": "\u202e",
  "bidirectional isolate": "\u2067",
};
const KINDS = Object.keys(HOSTILE);
/** Forms cannot carry lone surrogates: browsers encode them as U+FFFD. */
const FORM_KINDS = ["NUL", "control character", "bidirectional override"];

/** A valid value with the hostile character inside it, so only the rule can refuse it. */
const spoil = (value: string, kind: string): string =>
  `${value.slice(0, 1)}${HOSTILE[kind]}${value.slice(1)}`;
const EMOJI = "\u{1F6B2}"; // one character, two UTF-16 units

afterAll(dropServerDatabases);

function expectInvalidField(res: LightMyRequestResponse, field: string): void {
  expect(res.statusCode, res.body).toBe(400);
  const body = res.json() as { error: { code: string; message: string; details?: { field: string }[] } };
  expect(body.error.code).toBe("invalid_request");
  expect(body.error.details?.[0]?.field).toBe(field);
  expect(body.error.message).toContain(field);
}

describe.each(TARGETS)("text input on $name", (target) => {
  let database: Database;
  let ctx: AuthContext;
  let app: FastifyInstance;
  let auth: { authorization: string };
  let userId: string;

  beforeAll(async () => {
    database = await openMigrated(target);
    ctx = testContext(database);
    app = await buildApp({
      config: loadConfig({ SESSION_SECRET: SECRET, LOGIN_RATE_LIMIT_PER_MINUTE: "10000" }),
      ctx,
      logger: false,
    });
    const account = await apiAccount(app, { prefix: "t", name: "Tess Text" });
    auth = account.headers;
    userId = account.id;
  });
  afterAll(async () => {
    await app?.close();
    await database?.close();
  });

  function post(url: string, payload: object, headers: Record<string, string> = {}) {
    return app.inject({ method: "POST", url: API + url, payload, headers });
  }

  describe("JSON API", () => {
    it("the issue's example: a NUL in a vehicle's location is 400 naming body.location", async () => {
      const res = await post("/vehicles", { type: "bike", location: "a\u0000b", color: "red" }, auth);
      expectInvalidField(res, "body.location");
      expect(await listOwnerVehicles(ctx, "boston", userId)).toEqual([]);
    });

    const register = {
      city: "boston",
      name: "Rita Rider",
      username: "rita_text",
      email: "rita@example.com",
      password: "correct horse",
    };
    const fields: {
      route: string;
      url: string;
      body: Record<string, unknown>;
      field: string;
      auth: boolean;
    }[] = [
      ...["name", "username", "email", "password"].map((field) => ({
        route: "register",
        url: "/auth/register",
        body: register,
        field,
        auth: false,
      })),
      ...["username", "password"].map((field) => ({
        route: "login",
        url: "/auth/login",
        body: { username: "rita_text", password: "correct horse" },
        field,
        auth: false,
      })),
      ...["location", "brand"].map((field) => ({
        route: "add vehicle",
        url: "/vehicles",
        body: { type: "bike", location: "1 Main St", color: "red", brand: "Kona" },
        field,
        auth: true,
      })),
      {
        route: "end ride",
        url: `/cities/boston/rides/${randomUUID()}/end`,
        body: { location: "2 Main St" },
        field: "location",
        auth: true,
      },
      {
        route: "apply promo code",
        url: "/me/promo-codes",
        body: { code: "SAVE10" },
        field: "code",
        auth: true,
      },
    ];

    it.each(fields.flatMap((f) => KINDS.map((kind) => ({ ...f, kind }))))(
      "$route: $kind in $field is 400 naming it",
      async ({ url, body, field, auth: needsAuth, kind }) => {
        const res = await post(
          url,
          { ...body, [field]: spoil(String(body[field]), kind) },
          needsAuth ? auth : {},
        );
        expectInvalidField(res, `body.${field}`);
      },
    );

    it("path parameters, query strings and cookies with such text are 400 or ignored, never 500", async () => {
      const id = randomUUID();
      const urls = [
        `/cities/bos%00ton/vehicles`,
        `/cities/bos%ED%A0%80ton/vehicles`,
        `/cities/boston/vehicles/${id.slice(0, 35)}%00`,
        `/cities/boston/vehicles?after=%00`,
        `/cities/boston/vehicles?status=%00`,
        `/cities/boston/vehicles?type=%ED%A0%80`,
        `/me/rides?after=a%00b`,
      ];
      for (const url of urls) {
        const res = await app.inject({ method: "GET", url: API + url, headers: auth });
        expect(res.statusCode, `${url}: ${res.body}`).toBe(400);
      }
      const cookie = await app.inject({
        method: "GET",
        url: `${API}/me`,
        headers: { cookie: "movr_session=a%00b; movr_city=bo%00ston" },
      });
      expect(cookie.statusCode, cookie.body).toBe(401);
      // A session token names its city (base64url): one that decodes to a NUL is no session.
      const forged = await app.inject({
        method: "GET",
        url: `${API}/me`,
        headers: { authorization: `Bearer AA.${"a".repeat(43)}` },
      });
      expect(forged.statusCode, forged.body).toBe(401);
    });

    it("a body whose bytes are not UTF-8 is 400 naming the body, never stored with U+FFFD in their place", async () => {
      // Latin-1 "café", an overlong NUL, a CESU-8 surrogate, a lone continuation byte.
      for (const bytes of [[0x63, 0x61, 0x66, 0xe9], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0x80]]) {
        const payload = Buffer.concat([
          Buffer.from('{"type":"bike","color":"red","location":"1 '),
          Buffer.from(bytes),
          Buffer.from('"}'),
        ]);
        for (const contentType of ["application/json", "application/json; charset=latin1"]) {
          const res = await app.inject({
            method: "POST",
            url: `${API}/vehicles`,
            payload,
            headers: { ...auth, "content-type": contentType },
          });
          expectInvalidField(res, "body");
        }
      }
      expect(await listOwnerVehicles(ctx, "boston", userId)).toEqual([]);
      // UTF-8 with a byte order mark is still UTF-8.
      const bom = await app.inject({
        method: "POST",
        url: `${API}/vehicles`,
        payload: Buffer.from('\ufeff{"type":"bike","color":"red","location":"1 caf\u00e9"}'),
        headers: { ...auth, "content-type": "application/json" },
      });
      expect(bom.statusCode, bom.body).toBe(201);
      expect((bom.json() as { vehicle: { location: string } }).vehicle.location).toBe("1 caf\u00e9");
    });

    it("counts lengths in characters, as the OpenAPI document does: 50 emoji fit a 50-character brand", async () => {
      const doc = (await app.inject({ method: "GET", url: "/api/openapi.json" })).json() as {
        paths: Record<
          string,
          Record<string, { requestBody: { content: Record<string, { schema: unknown }> } }>
        >;
      };
      const schema = doc.paths[`${API}/vehicles`]!.post!.requestBody.content["application/json"]!.schema as {
        properties: Record<string, { maxLength: number }>;
      };
      const brandMax = schema.properties.brand!.maxLength;
      const locationMax = schema.properties.location!.maxLength;
      const fits = await post(
        "/vehicles",
        { type: "bike", color: "red", brand: EMOJI.repeat(brandMax), location: EMOJI.repeat(locationMax) },
        auth,
      );
      expect(fits.statusCode, fits.body).toBe(201);
      const stored = (fits.json() as { vehicle: { brand: string; location: string } }).vehicle;
      expect(stored.brand).toBe(EMOJI.repeat(brandMax));
      expect(stored.location).toBe(EMOJI.repeat(locationMax));
      const over = await post(
        "/vehicles",
        { type: "bike", color: "red", brand: EMOJI.repeat(brandMax + 1), location: "x" },
        auth,
      );
      expectInvalidField(over, "body.brand");
      expect((over.json() as { error: { message: string } }).error.message).toContain(
        `${brandMax} characters`,
      );

      const name = await post("/auth/register", {
        ...register,
        username: `emoji_${randomUUID().slice(0, 8)}`,
        name: EMOJI.repeat(100),
      });
      expect(name.statusCode, name.body).toBe(201);
    });
  });

  describe("the data API, behind every caller", () => {
    it("refuses such text with invalid_request naming the field, and counts characters", async () => {
      const owner = await addUser(ctx, { city: "boston", name: "Owen" });
      const base = { ownerCity: "boston", ownerId: owner.id, type: "bike", color: "red", location: "x" };
      for (const kind of KINDS) {
        await expect(addVehicle(ctx, { ...base, location: spoil("1 Main St", kind) })).rejects.toMatchObject({
          code: "invalid_request",
          details: [{ field: "location" }],
        });
        await expect(addUser(ctx, { city: "boston", name: spoil("Rita", kind) })).rejects.toMatchObject({
          details: [{ field: "name" }],
        });
        await expect(
          createPromoCode(ctx, { code: "OK_CODE", description: spoil("Half off", kind), discountPercent: 5 }),
        ).rejects.toMatchObject({ details: [{ field: "description" }] });
      }
      const v = await addVehicle(ctx, { ...base, brand: EMOJI.repeat(50) });
      expect(v.brand).toBe(EMOJI.repeat(50));
      await expect(addVehicle(ctx, { ...base, brand: EMOJI.repeat(51) })).rejects.toMatchObject({
        details: [{ field: "brand", problem: "must be at most 50 characters" }],
      });
    });
  });

  describe("pages", () => {
    /** A page (400) or the form again (303 with a flash) saying which field is wrong. */
    async function expectRefused(res: LightMyRequestResponse, field: string, v: Visitor): Promise<void> {
      expect([303, 400], res.body.slice(0, 300)).toContain(res.statusCode);
      const page = res.statusCode === 303 ? (await v.follow(res)).body : res.body;
      expect(page).toContain(`${field} must not contain`);
    }

    it.each(FORM_KINDS)("register and login forms refuse %s in each text field", async (kind) => {
      const form = {
        city: "boston",
        name: "Paula Page",
        email: "paula@example.com",
        username: `paula_${randomUUID().slice(0, 6)}`,
        password: "correct horse",
      };
      for (const field of ["name", "email", "username", "password"]) {
        const v = new Visitor(app);
        const value = spoil(form[field as keyof typeof form], kind);
        const res = await v.submit("/register", "/register", { ...form, [field]: value });
        await expectRefused(res, field, v);
      }
      for (const field of ["username", "password"]) {
        const v = new Visitor(app);
        const res = await v.submit("/login", "/login", {
          username: form.username,
          password: form.password,
          [field]: spoil(form[field as keyof typeof form], kind),
        });
        await expectRefused(res, field, v);
      }
    });

    it.each(FORM_KINDS)("vehicle, ride and promo code forms refuse %s", async (kind) => {
      const v = await signUp(app, { username: `pg_${randomUUID().slice(0, 8)}` });
      const bad = spoil("SAVE10", kind);
      for (const field of ["location", "brand"]) {
        const form = { type: "bike", color: "red", location: "1 Main St", brand: "Kona", [field]: bad };
        await expectRefused(await v.submit("/vehicles/new", "/vehicles", form), field, v);
      }
      const owner = await addUser(ctx, { city: "boston", name: "Owen" });
      const bike = await addVehicle(ctx, {
        ownerCity: "boston",
        ownerId: owner.id,
        type: "bike",
        color: "red",
        location: "3 Main St",
      });
      const started = await v.submit("/vehicles", "/rides", { vehicleId: bike.id });
      expect(started.statusCode).toBe(303);
      const me = (await v.get("/rides")).body;
      const rideId = /action="\/rides\/([0-9a-f-]{36})\/end"/.exec(me)?.[1];
      expect(rideId).toBeDefined();
      await expectRefused(await v.submit("/rides", `/rides/${rideId}/end`, { location: bad }), "location", v);
      await expectRefused(await v.submit("/promo-codes", "/promo-codes/apply", { code: bad }), "code", v);
      const ride = await getActiveRide(ctx, "boston", (await userIdOf(v))!);
      expect(ride?.id).toBe(rideId);
    });

    it("a form whose bytes, raw or percent-encoded, are not UTF-8 is refused, nothing stored", async () => {
      const v = await signUp(app, { username: `pu_${randomUUID().slice(0, 8)}` });
      const csrf = csrfOf((await v.get("/vehicles/new")).body);
      const before = (await v.get("/profile")).body;
      for (const location of [
        Buffer.from([0x63, 0x61, 0x66, 0xe9]),
        Buffer.from("caf%E9"),
        Buffer.from("%ED%A0%80"),
      ]) {
        const res = await app.inject({
          method: "POST",
          url: "/vehicles",
          headers: {
            cookie: [...v.cookies].map(([k, c]) => `${k}=${c}`).join("; "),
            "content-type": "application/x-www-form-urlencoded",
          },
          payload: Buffer.concat([
            Buffer.from(`_csrf=${encodeURIComponent(csrf)}&type=bike&color=red&location=`),
            location,
          ]),
        });
        expect([303, 400], res.body.slice(0, 300)).toContain(res.statusCode);
        const page = res.statusCode === 303 ? (await v.follow(res)).body : res.body;
        expect(page).toContain("not valid UTF-8");
      }
      expect((await v.get("/profile")).body).toBe(before);
    });

    it("query strings with such text are 400 or ignored, never 500", async () => {
      const v = await signUp(app, { username: `pq_${randomUUID().slice(0, 8)}` });
      for (const url of [
        "/vehicles?after=%00",
        "/vehicles?city=%00&type=%ED%A0%80",
        "/vehicles?status=a%00",
        "/rides?after=%ED%A0%80",
        "/login?username=%00&next=%ED%A0%80",
      ]) {
        const res = await v.get(url);
        expect(res.statusCode, url).toBeLessThan(500);
        expect(res.body, url).not.toMatch(/Something went wrong/);
      }
      // A form field the user never sees (the CSRF token) with such text is a forged form.
      const html = (await v.get("/vehicles/new")).body;
      const res = await v.post("/vehicles", { _csrf: `${csrfOf(html)}\u0000`, type: "bike", color: "red" });
      expect(res.statusCode).toBeLessThan(500);
    });

    async function userIdOf(v: Visitor): Promise<string | undefined> {
      const res = await app.inject({
        method: "GET",
        url: `${API}/me`,
        headers: { cookie: `movr_session=${v.cookies.get("movr_session")}` },
      });
      return (res.json() as { user?: { id: string } }).user?.id;
    }
  });
});
