// The JSON API of shared/spec/api.md through HTTP (inject), on every target. Each test checks
// the response body and, through the services, what the database holds afterwards.
import { randomUUID } from "node:crypto";
import type { FastifyInstance, LightMyRequestResponse } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig, type AppConfig } from "../../src/config.ts";
import type { Database } from "../../src/db/database.ts";
import type { AuthContext } from "../../src/auth/auth.service.ts";
import { createPromoCode, listUserPromoCodes } from "../../src/promo-codes/promo-code.service.ts";
import { getActiveRide, getRide, listMyRides } from "../../src/rides/ride.service.ts";
import { getUser } from "../../src/users/user.service.ts";
import { getVehicle, listOwnerVehicles } from "../../src/vehicles/vehicle.service.ts";
import { buildApp } from "../../src/web/app.ts";
import { apiAccount, type ApiAccount } from "../support/api-account.ts";
import { dropServerDatabases, openMigrated, testContext, TARGETS } from "../support/databases.ts";

const SECRET = "x".repeat(40);
const API = "/api/v1";
const ISO_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const MONEY_RE = /^\d+\.\d{2}$/;

type Caller = ApiAccount;

afterAll(dropServerDatabases);

function expectError(res: LightMyRequestResponse, status: number, code: string) {
  expect(res.statusCode, res.body).toBe(status);
  const body = res.json() as { error: { code: string; message: string; details?: unknown[] } };
  expect(body.error.code).toBe(code);
  expect(typeof body.error.message).toBe("string");
  expect(body.error.message.length).toBeGreaterThan(0);
  return body.error;
}

describe.each(TARGETS)("JSON API on $name", (target) => {
  let database: Database;
  let ctx: AuthContext;
  let config: AppConfig;
  let app: FastifyInstance;

  beforeAll(async () => {
    database = await openMigrated(target);
    ctx = testContext(database);
    // Rate limits get their own test below; here they must not get in the way.
    config = loadConfig({ SESSION_SECRET: SECRET, LOGIN_RATE_LIMIT_PER_MINUTE: "10000" });
    app = await buildApp({ config, ctx, logger: false });
  });
  afterAll(async () => {
    await app?.close();
    await database?.close();
  });

  const post = (url: string, payload: unknown, headers: Record<string, string> = {}) =>
    app.inject({ method: "POST", url: API + url, payload: payload as object, headers });
  const get = (url: string, headers: Record<string, string> = {}) =>
    app.inject({ method: "GET", url: API + url, headers });
  const del = (url: string, headers: Record<string, string> = {}) =>
    app.inject({ method: "DELETE", url: API + url, headers });

  const newCaller = (city = "boston"): Promise<Caller> => apiAccount(app, { city });

  async function newVehicle(owner: Caller, extra: Record<string, unknown> = {}) {
    const res = await post(
      "/vehicles",
      { type: "scooter", location: "1 Main St", color: "blue", ...extra },
      owner.headers,
    );
    expect(res.statusCode, res.body).toBe(201);
    return (res.json() as { vehicle: { id: string; city: string } }).vehicle;
  }

  async function newRide(rider: Caller, vehicleId: string) {
    const res = await post("/rides", { city: rider.city, vehicleId }, rider.headers);
    expect(res.statusCode, res.body).toBe(201);
    return (res.json() as { ride: { id: string } }).ride;
  }

  describe("accounts", () => {
    it("registers: 201 {user} with exactly the contract's fields, stored in the database", async () => {
      const res = await post("/auth/register", {
        city: "paris",
        name: "Amélie Poulain",
        username: "amelie",
        email: "amelie@example.com",
        password: "montmartre",
      });
      expect(res.statusCode, res.body).toBe(201);
      expect(res.headers["x-movr-region"]).toBe("europe-west");
      const { user } = res.json() as { user: Record<string, unknown> };
      expect(Object.keys(user).sort()).toEqual(["city", "email", "id", "isOwner", "name", "username"]);
      expect(user).toMatchObject({
        city: "paris",
        name: "Amélie Poulain",
        username: "amelie",
        email: "amelie@example.com",
        isOwner: false,
      });
      expect(res.body).not.toMatch(/password|montmartre|scrypt|creditCard/i);
      const stored = await getUser(ctx, "paris", user.id as string);
      expect(stored).toMatchObject({ username: "amelie", active: true });
    });

    it("refuses a taken username with 409 username_taken", async () => {
      const caller = await newCaller();
      const res = await post("/auth/register", {
        city: "rome",
        name: "Someone Else",
        username: caller.username,
        email: "else@example.com",
        password: "long enough",
      });
      expectError(res, 409, "username_taken");
    });

    const good = {
      city: "boston",
      name: "Val Idation",
      username: "validation",
      email: "v@example.com",
      password: "long enough",
    };
    it.each([
      ["an unknown field", { ...good, admin: true }, "body.admin"],
      ["a missing field", { ...good, email: undefined }, "body.email"],
      ["a wrong type", { ...good, name: 42 }, "body.name"],
      ["an over-long string", { ...good, name: "n".repeat(101) }, "body.name"],
      ["an unknown city", { ...good, city: "atlantis" }, "body.city"],
      ["a bad email", { ...good, email: "not-an-email" }, "body.email"],
      ["a short password", { ...good, password: "short" }, "body.password"],
      ["a username with spaces", { ...good, username: "two words" }, "body.username"],
    ])("refuses %s with 400 invalid_request naming the field", async (_what, body, field) => {
      const res = await post("/auth/register", body);
      const error = expectError(res, 400, "invalid_request");
      expect(error.details).toEqual([expect.objectContaining({ field })]);
      const login = await post("/auth/login", { username: "validation", password: "long enough" });
      expectError(login, 401, "unauthenticated");
    });

    it("refuses malformed JSON with 400 invalid_request", async () => {
      const res = await app.inject({
        method: "POST",
        url: `${API}/auth/register`,
        headers: { "content-type": "application/json" },
        payload: '{"city": "boston",',
      });
      expectError(res, 400, "invalid_request");
    });

    it("logs in: 200 {token, user}; the token works as a bearer token", async () => {
      const caller = await newCaller("seattle");
      const me = await get("/me", caller.headers);
      expect(me.statusCode).toBe(200);
      expect(me.headers["x-movr-region"]).toBe("us-west");
      expect(me.json()).toEqual({
        user: {
          id: caller.id,
          city: "seattle",
          name: "Test Rider",
          username: caller.username,
          email: `${caller.username}@example.com`,
          isOwner: false,
        },
      });
    });

    it("refuses a wrong password, an unknown user, and a missing field", async () => {
      const caller = await newCaller();
      expectError(
        await post("/auth/login", { username: caller.username, password: "wrong one" }),
        401,
        "unauthenticated",
      );
      expectError(
        await post("/auth/login", { username: "nobody_here", password: "whatever1" }),
        401,
        "unauthenticated",
      );
      expectError(await post("/auth/login", { username: caller.username }), 400, "invalid_request");
    });

    it("GET /me needs a valid token: 401 without one or with a bad one", async () => {
      expectError(await get("/me"), 401, "unauthenticated");
      expectError(await get("/me", { authorization: "Bearer not-a-token" }), 401, "unauthenticated");
    });

    it("logs out: 204, and the token stops working", async () => {
      const caller = await newCaller();
      const res = await post("/auth/logout", undefined, caller.headers);
      expect(res.statusCode).toBe(204);
      expect(res.body).toBe("");
      expectError(await get("/me", caller.headers), 401, "unauthenticated");
      expectError(await post("/auth/logout", undefined), 401, "unauthenticated");
    });

    it("DELETE /me: 204; account deactivated, sessions revoked, vehicles removed, rides kept", async () => {
      const caller = await newCaller();
      const vehicle = await newVehicle(caller);
      const other = await newCaller();
      const otherVehicle = await newVehicle(other);
      const ride = await newRide(caller, otherVehicle.id);
      const ended = await post(
        `/cities/boston/rides/${ride.id}/end`,
        { location: "2 Elm St" },
        caller.headers,
      );
      expect(ended.statusCode).toBe(200);
      const secondLogin = await post("/auth/login", { username: caller.username, password: "correct horse" });
      const secondToken = (secondLogin.json() as { token: string }).token;

      const res = await del("/me", caller.headers);
      expect(res.statusCode, res.body).toBe(204);
      expectError(await get("/me", caller.headers), 401, "unauthenticated");
      expectError(await get("/me", { authorization: `Bearer ${secondToken}` }), 401, "unauthenticated");
      expectError(
        await post("/auth/login", { username: caller.username, password: "correct horse" }),
        401,
        "unauthenticated",
      );
      expect(await getUser(ctx, "boston", caller.id)).toMatchObject({ active: false });
      expect((await getVehicle(ctx, "boston", vehicle.id)).status).toBe("removed");
      const history = await listMyRides(ctx, { riderCity: "boston", riderId: caller.id });
      expect(history.rides.map((r) => r.id)).toEqual([ride.id]);
    });

    it("DELETE /me during a ride: 409 already_riding, and the account stays", async () => {
      const owner = await newCaller();
      const vehicle = await newVehicle(owner);
      const rider = await newCaller();
      await newRide(rider, vehicle.id);
      expectError(await del("/me", rider.headers), 409, "already_riding");
      expect(await getUser(ctx, "boston", rider.id)).toMatchObject({ active: true });
      expect((await get("/me", rider.headers)).statusCode).toBe(200);
    });

    it("DELETE /me needs a login", async () => {
      expectError(await del("/me"), 401, "unauthenticated");
    });
  });

  describe("regions", () => {
    it("GET /regions lists the configured regions and their cities", async () => {
      const res = await get("/regions");
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({
        regions: config.regions.map((r) => ({
          name: r.name,
          cities: [...r.cities],
          currencies: Object.fromEntries(r.cities.map((c) => [c, r.name.startsWith("us-") ? "USD" : "EUR"])),
        })),
      });
    });
  });

  describe("vehicles", () => {
    it("POST /vehicles: 201 in the caller's home city; the owner becomes an owner", async () => {
      const owner = await newCaller("amsterdam");
      const res = await post(
        "/vehicles",
        { type: "bike", location: "Dam 1", color: "green", brand: "Gazelle" },
        owner.headers,
      );
      expect(res.statusCode, res.body).toBe(201);
      expect(res.headers["x-movr-region"]).toBe("europe-west");
      const { vehicle } = res.json() as { vehicle: Record<string, unknown> };
      expect(Object.keys(vehicle).sort()).toEqual(
        ["brand", "city", "color", "createdAt", "id", "location", "ownerId", "status", "type"].sort(),
      );
      expect(vehicle).toMatchObject({
        city: "amsterdam",
        type: "bike",
        ownerId: owner.id,
        status: "available",
        location: "Dam 1",
        color: "green",
        brand: "Gazelle",
      });
      expect(vehicle.createdAt).toMatch(ISO_RE);
      const stored = await getVehicle(ctx, "amsterdam", vehicle.id as string);
      expect(stored).toMatchObject({ ownerId: owner.id, brand: "Gazelle", status: "available" });
      expect(await getUser(ctx, "amsterdam", owner.id)).toMatchObject({ isOwner: true });
      expect((await get("/me", owner.headers)).json()).toMatchObject({ user: { isOwner: true } });
    });

    it("POST /vehicles needs a login", async () => {
      const res = await post("/vehicles", { type: "bike", location: "x", color: "red" });
      expectError(res, 401, "unauthenticated");
    });

    it.each([
      ["an unknown type", { type: "car", location: "x", color: "red" }, "body.type"],
      ["an unknown color", { type: "bike", location: "x", color: "pink" }, "body.color"],
      ["a missing location", { type: "bike", color: "red" }, "body.location"],
      [
        "an over-long brand",
        { type: "bike", location: "x", color: "red", brand: "b".repeat(51) },
        "body.brand",
      ],
      ["an unknown field", { type: "bike", location: "x", color: "red", city: "paris" }, "body.city"],
    ])("POST /vehicles refuses %s with 400", async (_what, body, field) => {
      const owner = await newCaller();
      const error = expectError(await post("/vehicles", body, owner.headers), 400, "invalid_request");
      expect(error.details).toEqual([expect.objectContaining({ field })]);
      expect(await listOwnerVehicles(ctx, "boston", owner.id)).toEqual([]);
    });

    it("GET /me/vehicles lists the caller's vehicles", async () => {
      const owner = await newCaller();
      const a = await newVehicle(owner);
      const b = await newVehicle(owner, { type: "skateboard" });
      const res = await get("/me/vehicles", owner.headers);
      expect(res.statusCode).toBe(200);
      const ids = (res.json() as { vehicles: { id: string }[] }).vehicles.map((v) => v.id);
      expect(ids.sort()).toEqual([a.id, b.id].sort());
      expectError(await get("/me/vehicles"), 401, "unauthenticated");
    });

    it("lists a city's vehicles in pages with an opaque cursor, no login needed", async () => {
      const owner = await newCaller("rome");
      const made = [await newVehicle(owner), await newVehicle(owner), await newVehicle(owner)];
      const first = await get("/cities/rome/vehicles?limit=2");
      expect(first.statusCode).toBe(200);
      expect(first.headers["x-movr-region"]).toBe("europe-west");
      const p1 = first.json() as { vehicles: { id: string; city: string }[]; next: string | null };
      expect(p1.vehicles).toHaveLength(2);
      expect(p1.next).toEqual(expect.any(String));
      const second = await get(`/cities/rome/vehicles?limit=2&after=${p1.next}`);
      const p2 = second.json() as { vehicles: { id: string }[]; next: string | null };
      expect(p2.vehicles).toHaveLength(1);
      expect(p2.next).toBeNull();
      const seen = [...p1.vehicles, ...p2.vehicles].map((v) => v.id);
      expect(seen.sort()).toEqual(made.map((v) => v.id).sort());
      expect(p1.vehicles.every((v) => v.city === "rome")).toBe(true);
    });

    it("filters by status and type, with the default limit of 25", async () => {
      const owner = await newCaller("los angeles");
      await newVehicle(owner, { type: "bike" });
      const skate = await newVehicle(owner, { type: "skateboard" });
      const rider = await newCaller("los angeles");
      await newRide(rider, skate.id);
      const inUse = await get("/cities/los%20angeles/vehicles?status=in_use");
      expect(inUse.statusCode).toBe(200);
      expect((inUse.json() as { vehicles: { id: string }[] }).vehicles.map((v) => v.id)).toEqual([skate.id]);
      const bikes = await get("/cities/los%20angeles/vehicles?type=bike");
      const list = (bikes.json() as { vehicles: { type: string }[] }).vehicles;
      expect(list).toHaveLength(1);
      expect(list[0]!.type).toBe("bike");
      for (let i = 0; i < 25; i++) await newVehicle(owner);
      const page = (await get("/cities/los%20angeles/vehicles")).json() as {
        vehicles: unknown[];
        next: string;
      };
      expect(page.vehicles).toHaveLength(25);
      expect(page.next).toEqual(expect.any(String));
    });

    it.each([
      ["limit 0", "/cities/boston/vehicles?limit=0", "querystring.limit"],
      ["limit 101", "/cities/boston/vehicles?limit=101", "querystring.limit"],
      ["a non-numeric limit", "/cities/boston/vehicles?limit=ten", "querystring.limit"],
      // Ajv's coercion reads a query string as Number() does; a limit is decimal digits only.
      ["a hexadecimal limit", "/cities/boston/vehicles?limit=0x10", "querystring.limit"],
      ["a limit with spaces", "/cities/boston/vehicles?limit=%2010", "querystring.limit"],
      ["a limit in exponent notation", "/cities/boston/vehicles?limit=1e1", "querystring.limit"],
      ["a limit with a plus sign", "/promo-codes?limit=%2B5", "querystring.limit"],
      [
        "a forged cursor's part",
        `/cities/boston/vehicles?after=${Buffer.from('["zzz"]').toString("base64url")}`,
        "after",
      ],
      ["an unknown status", "/cities/boston/vehicles?status=stolen", "querystring.status"],
      ["an unknown query field", "/cities/boston/vehicles?sort=id", "querystring.sort"],
      ["a forged cursor", "/cities/boston/vehicles?after=Zm9v", "after"],
      ["an unknown city", "/cities/atlantis/vehicles", "params.city"],
      ["a bad UUID", "/cities/boston/vehicles/not-a-uuid", "params.id"],
      ["an over-long city", `/cities/${"c".repeat(300)}/vehicles`, "params"],
      ["a badly percent-encoded city", "/cities/new%zzyork/vehicles", "params"],
    ])("refuses %s with 400 invalid_request", async (_what, url, field) => {
      const error = expectError(await get(url), 400, "invalid_request");
      expect(error.details).toEqual([expect.objectContaining({ field })]);
    });

    it("GET one vehicle: 200 {vehicle}; 404 for an unknown id or another city", async () => {
      const owner = await newCaller("washington dc");
      const v = await newVehicle(owner);
      const res = await get(`/cities/washington%20dc/vehicles/${v.id}`);
      expect(res.statusCode).toBe(200);
      expect(res.headers["x-movr-region"]).toBe("us-east");
      expect(res.json()).toMatchObject({ vehicle: { id: v.id, city: "washington dc", ownerId: owner.id } });
      expectError(await get(`/cities/washington%20dc/vehicles/${randomUUID()}`), 404, "not_found");
      expectError(await get(`/cities/boston/vehicles/${v.id}`), 404, "not_found");
    });

    it("DELETE a vehicle: owner only (403), then 204 and status removed, then 404", async () => {
      const owner = await newCaller();
      const v = await newVehicle(owner);
      const stranger = await newCaller();
      expectError(await del(`/cities/boston/vehicles/${v.id}`), 401, "unauthenticated");
      expectError(await del(`/cities/boston/vehicles/${v.id}`, stranger.headers), 403, "forbidden");
      expect((await getVehicle(ctx, "boston", v.id)).status).toBe("available");

      const res = await del(`/cities/boston/vehicles/${v.id}`, owner.headers);
      expect(res.statusCode, res.body).toBe(204);
      expect(res.headers["x-movr-region"]).toBe("us-east");
      expect((await getVehicle(ctx, "boston", v.id)).status).toBe("removed");
      expect(await getUser(ctx, "boston", owner.id)).toMatchObject({ isOwner: false });
      expectError(await del(`/cities/boston/vehicles/${v.id}`, owner.headers), 404, "not_found");
      expectError(await del(`/cities/boston/vehicles/${randomUUID()}`, owner.headers), 404, "not_found");
      expectError(await del(`/cities/boston/vehicles/nope`, owner.headers), 400, "invalid_request");
    });

    it("DELETE a vehicle in a ride: 409 vehicle_in_use, and it stays in use", async () => {
      const owner = await newCaller();
      const v = await newVehicle(owner);
      const rider = await newCaller();
      await newRide(rider, v.id);
      expectError(await del(`/cities/boston/vehicles/${v.id}`, owner.headers), 409, "vehicle_in_use");
      expect((await getVehicle(ctx, "boston", v.id)).status).toBe("in_use");
    });
  });

  describe("rides", () => {
    it("POST /rides: 201 {ride}; the vehicle is in use and the ride active", async () => {
      const owner = await newCaller("new york");
      const v = await newVehicle(owner);
      const rider = await newCaller("new york");
      const res = await post("/rides", { city: "new york", vehicleId: v.id }, rider.headers);
      expect(res.statusCode, res.body).toBe(201);
      expect(res.headers["x-movr-region"]).toBe("us-east");
      const { ride } = res.json() as { ride: Record<string, unknown> };
      expect(Object.keys(ride).sort()).toEqual(
        [
          "city",
          "currency",
          "durationSeconds",
          "endLocation",
          "endedAt",
          "id",
          "revenue",
          "riderId",
          "startLocation",
          "startedAt",
          "vehicleId",
        ].sort(),
      );
      expect(ride).toMatchObject({
        city: "new york",
        vehicleId: v.id,
        riderId: rider.id,
        startLocation: "1 Main St",
        endLocation: null,
        endedAt: null,
        durationSeconds: null,
        revenue: null,
        currency: "USD",
      });
      expect(ride.startedAt).toMatch(ISO_RE);
      expect((await getActiveRide(ctx, "new york", rider.id))?.id).toBe(ride.id);
      expect((await getVehicle(ctx, "new york", v.id)).status).toBe("in_use");
    });

    it("POST /rides conflicts: 409 vehicle_unavailable and 409 already_riding", async () => {
      const owner = await newCaller();
      const v1 = await newVehicle(owner);
      const v2 = await newVehicle(owner);
      const rider = await newCaller();
      const ride = await newRide(rider, v1.id);
      const other = await newCaller();
      expectError(
        await post("/rides", { city: "boston", vehicleId: v1.id }, other.headers),
        409,
        "vehicle_unavailable",
      );
      expect(await getActiveRide(ctx, "boston", other.id)).toBeNull();
      expectError(
        await post("/rides", { city: "boston", vehicleId: v2.id }, rider.headers),
        409,
        "already_riding",
      );
      expect((await getActiveRide(ctx, "boston", rider.id))?.id).toBe(ride.id);
      expect((await getVehicle(ctx, "boston", v2.id)).status).toBe("available");
    });

    it("POST /rides: 401 without login, 404 unknown vehicle, 400 outside the home city or bad input", async () => {
      const rider = await newCaller();
      const owner = await newCaller("paris");
      const parisVehicle = await newVehicle(owner);
      expectError(await post("/rides", { city: "boston", vehicleId: randomUUID() }), 401, "unauthenticated");
      expectError(
        await post("/rides", { city: "boston", vehicleId: randomUUID() }, rider.headers),
        404,
        "not_found",
      );
      expectError(
        await post("/rides", { city: "paris", vehicleId: parisVehicle.id }, rider.headers),
        400,
        "invalid_request",
      );
      expectError(
        await post("/rides", { city: "boston", vehicleId: "x" }, rider.headers),
        400,
        "invalid_request",
      );
      expectError(await post("/rides", { city: "boston" }, rider.headers), 400, "invalid_request");
      expect(await getActiveRide(ctx, "boston", rider.id)).toBeNull();
      expect((await getVehicle(ctx, "paris", parisVehicle.id)).status).toBe("available");
    });

    it("logs locations (201), shows the path to the rider only, and ends the ride (200)", async () => {
      const owner = await newCaller();
      const v = await newVehicle(owner);
      const rider = await newCaller();
      const stranger = await newCaller();
      const ride = await newRide(rider, v.id);
      const base = `/cities/boston/rides/${ride.id}`;

      const logged = await post(`${base}/locations`, { lat: 42.36, long: -71.06 }, rider.headers);
      expect(logged.statusCode, logged.body).toBe(201);
      expect(logged.headers["x-movr-region"]).toBe("us-east");
      expect((await post(`${base}/locations`, { lat: 42.37, long: -71.05 }, rider.headers)).statusCode).toBe(
        201,
      );
      expectError(await post(`${base}/locations`, { lat: 1, long: 1 }, stranger.headers), 403, "forbidden");
      expectError(await post(`${base}/locations`, { lat: 1, long: 1 }), 401, "unauthenticated");
      expectError(
        await post(`${base}/locations`, { lat: 91, long: 1 }, rider.headers),
        400,
        "invalid_request",
      );
      expectError(
        await post(`${base}/locations`, { lat: "1", long: 1 }, rider.headers),
        400,
        "invalid_request",
      );
      expectError(
        await post(`/cities/boston/rides/${randomUUID()}/locations`, { lat: 1, long: 1 }, rider.headers),
        404,
        "not_found",
      );

      const shown = await get(base, rider.headers);
      expect(shown.statusCode).toBe(200);
      const body = shown.json() as {
        ride: { id: string };
        path: { lat: number; long: number; at: string }[];
      };
      expect(body.ride.id).toBe(ride.id);
      expect(body.path.map((p) => [p.lat, p.long])).toEqual([
        [42.36, -71.06],
        [42.37, -71.05],
      ]);
      expect(body.path.every((p) => ISO_RE.test(p.at))).toBe(true);
      // A ride is private: to anyone else it does not exist.
      expectError(await get(base, stranger.headers), 404, "not_found");
      expectError(await get(base), 401, "unauthenticated");
      expectError(await get(`/cities/boston/rides/${randomUUID()}`, rider.headers), 404, "not_found");
      const stored = await getRide(ctx, { city: "boston", rideId: ride.id, actor: "system" });
      expect(stored.path).toHaveLength(2);

      expectError(await post(`${base}/end`, { location: "9 Elm St" }, stranger.headers), 403, "forbidden");
      expectError(await post(`${base}/end`, {}, rider.headers), 400, "invalid_request");
      expectError(await post(`${base}/end`, { location: "9 Elm St" }), 401, "unauthenticated");
      expectError(
        await post(`/cities/boston/rides/${randomUUID()}/end`, { location: "9 Elm St" }, rider.headers),
        404,
        "not_found",
      );
      expectError(
        await post(`/cities/boston/rides/nope/end`, { location: "9 Elm St" }, rider.headers),
        400,
        "invalid_request",
      );
      expectError(
        await post(`${base}/end`, { location: "l".repeat(201) }, rider.headers),
        400,
        "invalid_request",
      );
      expect((await getActiveRide(ctx, "boston", rider.id))?.id).toBe(ride.id);

      const ended = await post(`${base}/end`, { location: "9 Elm St" }, rider.headers);
      expect(ended.statusCode, ended.body).toBe(200);
      const { ride: done } = ended.json() as {
        ride: {
          endedAt: string;
          durationSeconds: number;
          revenue: string;
          currency: string;
          endLocation: string;
        };
      };
      expect(done.endedAt).toMatch(ISO_RE);
      expect(done.currency).toBe("USD");
      expect(done.durationSeconds).toBeGreaterThanOrEqual(0);
      expect(done.revenue).toMatch(MONEY_RE);
      expect(done.endLocation).toBe("9 Elm St");
      expect(await getActiveRide(ctx, "boston", rider.id)).toBeNull();
      expect(await getVehicle(ctx, "boston", v.id)).toMatchObject({
        status: "available",
        location: "9 Elm St",
      });

      expectError(
        await post(`${base}/end`, { location: "9 Elm St" }, rider.headers),
        409,
        "ride_already_ended",
      );
      expectError(
        await post(`${base}/locations`, { lat: 1, long: 1 }, rider.headers),
        409,
        "ride_already_ended",
      );
      expect((await getRide(ctx, { city: "boston", rideId: ride.id, actor: "system" })).path).toHaveLength(2);
    });

    it("GET /me/rides: newest first, in pages", async () => {
      const owner = await newCaller();
      const v = await newVehicle(owner);
      const rider = await newCaller();
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        const ride = await newRide(rider, v.id);
        ids.push(ride.id);
        const end = await post(
          `/cities/boston/rides/${ride.id}/end`,
          { location: `${i} Oak Ave` },
          rider.headers,
        );
        expect(end.statusCode).toBe(200);
      }
      const first = await get("/me/rides?limit=2", rider.headers);
      expect(first.statusCode).toBe(200);
      const p1 = first.json() as { rides: { id: string }[]; next: string | null };
      expect(p1.rides.map((r) => r.id)).toEqual([ids[2], ids[1]]);
      const p2 = (await get(`/me/rides?limit=2&after=${p1.next}`, rider.headers)).json() as typeof p1;
      expect(p2.rides.map((r) => r.id)).toEqual([ids[0]]);
      expect(p2.next).toBeNull();
      expectError(await get("/me/rides"), 401, "unauthenticated");
      expectError(await get("/me/rides?limit=500", rider.headers), 400, "invalid_request");
    });

    it("puts the city's currency next to every fare: EUR for a ride in Paris", async () => {
      const owner = await newCaller("paris");
      const v = await newVehicle(owner);
      const rider = await newCaller("paris");
      const started = await post("/rides", { city: "paris", vehicleId: v.id }, rider.headers);
      const { ride } = started.json() as { ride: { id: string; currency: string } };
      expect(ride.currency).toBe("EUR");
      const base = `/cities/paris/rides/${ride.id}`;
      expect(((await get(base, rider.headers)).json() as { ride: { currency: string } }).ride.currency).toBe(
        "EUR",
      );
      const ended = (await post(`${base}/end`, { location: "Rue de Rivoli" }, rider.headers)).json() as {
        ride: { revenue: string; currency: string };
      };
      expect(ended.ride).toMatchObject({ revenue: expect.stringMatching(MONEY_RE), currency: "EUR" });
      const listed = (await get("/me/rides", rider.headers)).json() as { rides: { currency: string }[] };
      expect(listed.rides.map((r) => r.currency)).toEqual(["EUR"]);
    });
  });

  describe("promo codes", () => {
    const past = new Date("2020-01-01T00:00:00Z");
    const code = (prefix: string) => `${prefix}_${randomUUID().slice(0, 8)}`.toUpperCase();

    it("GET /promo-codes lists the unexpired codes, no login needed", async () => {
      const live = await createPromoCode(ctx, {
        code: code("LIVE"),
        discountPercent: 15,
        description: "Live",
      });
      const dead = await createPromoCode(
        { ...ctx, clock: () => past },
        { code: code("DEAD"), discountPercent: 5, expiresAt: new Date(past.getTime() + 3_600_000) },
      );
      const res = await get("/promo-codes");
      expect(res.statusCode).toBe(200);
      const list = (res.json() as { promoCodes: { code: string; discountPercent: number }[] }).promoCodes;
      expect(list).toContainEqual(expect.objectContaining({ code: live.code, discountPercent: 15 }));
      expect(list.map((p) => p.code)).not.toContain(dead.code);
    });

    it("applies a code once (201), lists it, and refuses 404 / 409s", async () => {
      const caller = await newCaller();
      const live = await createPromoCode(ctx, { code: code("RIDE"), discountPercent: 10 });
      const expired = await createPromoCode(
        { ...ctx, clock: () => past },
        { code: code("OLD"), discountPercent: 50, expiresAt: new Date(past.getTime() + 3_600_000) },
      );

      const res = await post("/me/promo-codes", { code: live.code }, caller.headers);
      expect(res.statusCode, res.body).toBe(201);
      expect(res.json()).toMatchObject({
        promoCode: { code: live.code, discountPercent: 10, usageCount: 0 },
      });
      expect((await listUserPromoCodes(ctx, "boston", caller.id)).map((p) => p.code)).toEqual([live.code]);

      expectError(
        await post("/me/promo-codes", { code: live.code }, caller.headers),
        409,
        "promo_code_already_applied",
      );
      expectError(
        await post("/me/promo-codes", { code: expired.code }, caller.headers),
        409,
        "promo_code_expired",
      );
      expectError(await post("/me/promo-codes", { code: "NO_SUCH_CODE" }, caller.headers), 404, "not_found");
      expectError(
        await post("/me/promo-codes", { code: "bad code!" }, caller.headers),
        400,
        "invalid_request",
      );
      expectError(await post("/me/promo-codes", { code: live.code }), 401, "unauthenticated");
      expect((await listUserPromoCodes(ctx, "boston", caller.id)).map((p) => p.code)).toEqual([live.code]);

      const mine = await get("/me/promo-codes", caller.headers);
      expect(mine.statusCode).toBe(200);
      const applied = (mine.json() as { promoCodes: { code: string; appliedAt: string }[] }).promoCodes;
      expect(applied.map((p) => p.code)).toEqual([live.code]);
      expect(applied[0]!.appliedAt).toMatch(ISO_RE);
      expectError(await get("/me/promo-codes"), 401, "unauthenticated");
    });
  });

  describe("limits", () => {
    it("refuses a body over the configured limit with 413 payload_too_large", async () => {
      const caller = await newCaller();
      const res = await app.inject({
        method: "POST",
        url: `${API}/vehicles`,
        headers: { ...caller.headers, "content-type": "application/json" },
        payload: JSON.stringify({ type: "bike", location: "x".repeat(config.bodyLimitBytes), color: "red" }),
      });
      expectError(res, 413, "payload_too_large");
      expect(await listOwnerVehicles(ctx, "boston", caller.id)).toEqual([]);
    });

    it("rate-limits login and register per client address: 429 rate_limited with Retry-After", async () => {
      const limited = await buildApp({
        config: loadConfig({ SESSION_SECRET: SECRET, LOGIN_RATE_LIMIT_PER_MINUTE: "2" }),
        ctx,
        logger: false,
      });
      try {
        const attempt = () =>
          limited.inject({
            method: "POST",
            url: `${API}/auth/login`,
            payload: { username: "nobody_at_all", password: "guess guess" },
          });
        expectError(await attempt(), 401, "unauthenticated");
        expectError(await attempt(), 401, "unauthenticated");
        const third = await attempt();
        expectError(third, 429, "rate_limited");
        const retryAfter = Number(third.headers["retry-after"]);
        expect(retryAfter).toBeGreaterThan(0);
        expect(retryAfter).toBeLessThanOrEqual(60);

        // Login and register share one budget per address (test/web/same-meaning.test.ts): register
        // from another address, which has its own.
        const register = (n: number) =>
          limited.inject({
            method: "POST",
            url: `${API}/auth/register`,
            remoteAddress: "192.0.2.50",
            payload: {
              city: "boston",
              name: "R",
              username: `limited${n}`,
              email: "r@example.com",
              password: "long enough",
            },
          });
        expect((await register(1)).statusCode).toBe(201);
        expect((await register(2)).statusCode).toBe(201);
        const refused = await register(3);
        expectError(refused, 429, "rate_limited");
        expect(refused.headers["retry-after"]).toBeDefined();
        // Refused before reaching the service: no third account.
        expectError(
          await app.inject({
            method: "POST",
            url: `${API}/auth/login`,
            payload: { username: "limited3", password: "long enough" },
          }),
          401,
          "unauthenticated",
        );
      } finally {
        await limited.close();
      }
    });
  });

  describe("concurrency", () => {
    it("30 riders race for one vehicle over real HTTP: one 201, 29 409s, one active ride", async () => {
      const owner = await newCaller("san francisco");
      const vehicle = await newVehicle(owner);
      const riders = await Promise.all(Array.from({ length: 30 }, () => newCaller("san francisco")));
      const address = await app.listen({ host: "127.0.0.1", port: 0 });
      const responses = await Promise.all(
        riders.map(async (rider) => {
          const res = await fetch(`${address}${API}/rides`, {
            method: "POST",
            headers: { ...rider.headers, "content-type": "application/json" },
            body: JSON.stringify({ city: "san francisco", vehicleId: vehicle.id }),
          });
          return { status: res.status, body: (await res.json()) as { error?: { code: string } } };
        }),
      );
      const statuses = responses.map((r) => r.status);
      expect(statuses.filter((s) => s === 201)).toHaveLength(1);
      expect(statuses.filter((s) => s === 409)).toHaveLength(29);
      for (const r of responses.filter((x) => x.status === 409)) {
        expect(r.body.error?.code).toBe("vehicle_unavailable");
      }
      const active = await Promise.all(riders.map((r) => getActiveRide(ctx, "san francisco", r.id)));
      const activeRides = active.filter((a) => a !== null);
      expect(activeRides).toHaveLength(1);
      expect(activeRides[0]!.vehicleId).toBe(vehicle.id);
      expect((await getVehicle(ctx, "san francisco", vehicle.id)).status).toBe("in_use");
    });
  });

  describe("OpenAPI", () => {
    it("documents every route of the contract", async () => {
      const res = await app.inject({ method: "GET", url: "/api/openapi.json" });
      expect(res.statusCode).toBe(200);
      const doc = res.json() as { openapi: string; paths: Record<string, Record<string, unknown>> };
      expect(doc.openapi).toMatch(/^3\./);
      const routes: [string, string][] = [
        ["post", "/auth/register"],
        ["post", "/auth/login"],
        ["post", "/auth/logout"],
        ["get", "/me"],
        ["delete", "/me"],
        ["get", "/regions"],
        ["get", "/cities/{city}/vehicles"],
        ["get", "/cities/{city}/vehicles/{id}"],
        ["get", "/promo-codes"],
        ["post", "/vehicles"],
        ["get", "/me/vehicles"],
        ["delete", "/cities/{city}/vehicles/{id}"],
        ["post", "/rides"],
        ["get", "/me/rides"],
        ["get", "/cities/{city}/rides/{id}"],
        ["post", "/cities/{city}/rides/{id}/locations"],
        ["post", "/cities/{city}/rides/{id}/end"],
        ["post", "/me/promo-codes"],
        ["get", "/me/promo-codes"],
      ];
      for (const [method, path] of routes) {
        const op = doc.paths[API + path]?.[method] as { responses?: Record<string, unknown> } | undefined;
        expect(op, `${method} ${path}`).toBeDefined();
        expect(Object.keys(op!.responses ?? {}).some((s) => s.startsWith("2"))).toBe(true);
      }
    });

    it("documents the status every operation answers a stale bearer token with", async () => {
      const doc = (await app.inject({ method: "GET", url: "/api/openapi.json" })).json() as {
        paths: Record<string, Record<string, { responses?: Record<string, unknown> }>>;
      };
      let checked = 0;
      for (const [path, ops] of Object.entries(doc.paths)) {
        for (const [method, op] of Object.entries(ops)) {
          const url = path.replace("{city}", "boston").replace("{id}", randomUUID());
          const res = await app.inject({
            method: method.toUpperCase() as "GET",
            url,
            headers: { authorization: "Bearer no-such-session" },
            ...(method === "post" ? { payload: {} } : {}),
          });
          expect(Object.keys(op.responses ?? {}), `${method} ${path}: ${res.statusCode}`).toContain(
            String(res.statusCode),
          );
          checked++;
        }
      }
      expect(checked).toBeGreaterThanOrEqual(19);
    });

    it("documents a required currency beside every money amount", async () => {
      const doc = (await app.inject({ method: "GET", url: "/api/openapi.json" })).json() as unknown;
      let moneySchemas = 0;
      const visit = (node: unknown, where: string): void => {
        if (Array.isArray(node)) return node.forEach((n, i) => visit(n, `${where}/${i}`));
        if (typeof node !== "object" || node === null) return;
        const o = node as { properties?: Record<string, { pattern?: string }>; required?: string[] };
        if (o.properties?.revenue) {
          moneySchemas++;
          expect(o.properties.currency, where).toMatchObject({ type: "string", pattern: "^[A-Z]{3}$" });
          expect(o.required, where).toContain("currency");
        }
        for (const [k, v] of Object.entries(node)) visit(v, `${where}/${k}`);
      };
      visit(doc, "");
      // The ride of POST /rides, GET /me/rides, GET one ride, POST .../end.
      expect(moneySchemas).toBeGreaterThanOrEqual(4);
    });
  });
});
