// Rules that hold across accounts: an owner cannot delete their account (which takes their
// vehicles off the platform) while one of their vehicles is in someone's ride: 409
// vehicle_in_use, decided in the deleting transaction, on the API and the profile page, and
// under a race with the ride's start.
import { randomUUID } from "node:crypto";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AuthContext } from "../../src/auth/auth.service.ts";
import { loadConfig } from "../../src/config.ts";
import type { Database } from "../../src/db/database.ts";
import { getUser } from "../../src/users/user.service.ts";
import { getVehicle } from "../../src/vehicles/vehicle.service.ts";
import { buildApp } from "../../src/web/app.ts";
import { apiAccount } from "../support/api-account.ts";
import { dropServerDatabases, openMigrated, TARGETS, testContext } from "../support/databases.ts";
import { flashOf, signUp } from "../support/visitor.ts";

const API = "/api/v1";

afterAll(dropServerDatabases);

describe.each(TARGETS)("rules across accounts on $name", (target) => {
  let database: Database;
  let ctx: AuthContext;
  let app: FastifyInstance;

  beforeAll(async () => {
    database = await openMigrated(target);
    ctx = testContext(database);
    app = await buildApp({
      config: loadConfig({ SESSION_SECRET: "x".repeat(40), LOGIN_RATE_LIMIT_PER_MINUTE: "10000" }),
      ctx,
      logger: false,
    });
  });
  afterAll(async () => {
    await app?.close();
    await database?.close();
  });

  const caller = () => apiAccount(app, { prefix: "acc_", name: "A" });

  async function vehicleOf(owner: { headers: Record<string, string> }): Promise<string> {
    const res = await app.inject({
      method: "POST",
      url: `${API}/vehicles`,
      payload: { type: "bike", location: "1 Main St", color: "red" },
      headers: owner.headers,
    });
    expect(res.statusCode, res.body).toBe(201);
    return (res.json() as { vehicle: { id: string } }).vehicle.id;
  }

  const startRide = (rider: { headers: Record<string, string> }, vehicleId: string) =>
    app.inject({
      method: "POST",
      url: `${API}/rides`,
      payload: { city: "boston", vehicleId },
      headers: rider.headers,
    });
  const deleteMe = (who: { headers: Record<string, string> }) =>
    app.inject({ method: "DELETE", url: `${API}/me`, headers: who.headers });

  it("DELETE /me while someone rides the owner's vehicle: 409 vehicle_in_use; after the ride, 204", async () => {
    const owner = await caller();
    const rider = await caller();
    const vehicleId = await vehicleOf(owner);
    const started = await startRide(rider, vehicleId);
    expect(started.statusCode, started.body).toBe(201);
    const rideId = (started.json() as { ride: { id: string } }).ride.id;

    const refused = await deleteMe(owner);
    expect(refused.statusCode, refused.body).toBe(409);
    expect((refused.json() as { error: { code: string } }).error.code).toBe("vehicle_in_use");
    expect((await getVehicle(ctx, "boston", vehicleId)).status).toBe("in_use");
    expect((await getUser(ctx, "boston", owner.id)).active).toBe(true);

    const ended = await app.inject({
      method: "POST",
      url: `${API}/cities/boston/rides/${rideId}/end`,
      payload: { location: "2 Main St" },
      headers: rider.headers,
    });
    expect(ended.statusCode, ended.body).toBe(200);
    expect((await deleteMe(owner)).statusCode).toBe(204);
    expect((await getVehicle(ctx, "boston", vehicleId)).status).toBe("removed");
  });

  it("the profile page's delete form refuses the same way, with a sentence", async () => {
    const v = await signUp(app, { username: `pd_${randomUUID().slice(0, 8)}` });
    const me = await app.inject({
      method: "GET",
      url: `${API}/me`,
      headers: { cookie: `movr_session=${v.cookies.get("movr_session")}` },
    });
    const ownerId = (me.json() as { user: { id: string } }).user.id;
    const added = await v.submit("/vehicles/new", "/vehicles", {
      type: "bike",
      color: "red",
      location: "3 Main St",
    });
    expect(added.statusCode).toBe(303);
    const vehicleId = (
      (
        await app.inject({
          method: "GET",
          url: `${API}/me/vehicles`,
          headers: { cookie: `movr_session=${v.cookies.get("movr_session")}` },
        })
      ).json() as {
        vehicles: { id: string }[];
      }
    ).vehicles[0]!.id;
    const rider = await caller();
    expect((await startRide(rider, vehicleId)).statusCode).toBe(201);
    const res = await v.submit("/profile", "/profile/delete", { confirm: "yes" });
    expect(res.statusCode).toBe(303);
    const page = await v.follow(res);
    expect(flashOf(page.body)).toMatch(/in a ride/);
    expect((await getUser(ctx, "boston", ownerId)).active).toBe(true);
    expect((await getVehicle(ctx, "boston", vehicleId)).status).toBe("in_use");
  });

  it("racing DELETE /me against a ride's start: never a removed vehicle in an active ride", async () => {
    for (let round = 0; round < (target.name === "postgres" ? 8 : 3); round++) {
      const owner = await caller();
      const rider = await caller();
      const vehicleId = await vehicleOf(owner);
      const [ride, del] = await Promise.all([startRide(rider, vehicleId), deleteMe(owner)]);
      expect([ride.statusCode, del.statusCode].sort()).toSatisfy(
        (s: number[]) => (s[0] === 201 && s[1] === 409) || (s[0] === 204 && (s[1] === 404 || s[1] === 409)),
      );
      const vehicle = await getVehicle(ctx, "boston", vehicleId);
      if (ride.statusCode === 201) expect(vehicle.status).toBe("in_use");
      else expect(vehicle.status).toBe("removed");
    }
  });
});
