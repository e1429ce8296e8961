// The whole data API, on every target (PGlite always; PostgreSQL when MOVR_TEST_DATABASE_URL is set).
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../src/db/database.ts";
import {
  applyPromoCode,
  createPromoCode,
  listPromoCodes,
  type PromoCode,
  listUserPromoCodes,
} from "../src/promo-codes/promo-code.service.ts";
import {
  endRide,
  getActiveRide,
  getRide,
  listActiveRides,
  listMyRides,
  logLocation,
  startRide,
} from "../src/rides/ride.service.ts";
import { DomainError } from "../src/shared/errors.ts";
import {
  addUser,
  deactivateUser,
  getUser,
  getUsersOfCity,
  listUserNamesInCity,
} from "../src/users/user.service.ts";
import {
  addVehicle,
  getVehicle,
  listOwnerVehicles,
  listVehicles,
  removeVehicle,
} from "../src/vehicles/vehicle.service.ts";
import { dropServerDatabases, openMigrated, testContext, TARGETS } from "./support/databases.ts";
import type { MovrContext } from "../src/shared/context.ts";
import { pushAll } from "../src/shared/arrays.ts";

async function expectCode(promise: Promise<unknown>, code: string): Promise<DomainError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, `expected a DomainError ${code}`).toBeInstanceOf(DomainError);
  expect((err as DomainError).code).toBe(code);
  return err as DomainError;
}

afterAll(dropServerDatabases);

describe.each(TARGETS)("data API on $name", (target) => {
  let database: Database;
  let ctx: MovrContext;
  let now = new Date("2026-11-24T10:00:00.000Z");
  beforeAll(async () => {
    database = await openMigrated(target);
    ctx = testContext(database, () => now);
  });
  afterAll(async () => database?.close());

  const rider = (city = "boston", name = "Rita Rider") => addUser(ctx, { city, name });
  /** Every unexpired code, page after page: each page follows the last, in code order. */
  const allPromoCodes = async () => {
    const all: PromoCode[] = [];
    let after: string | undefined;
    do {
      const page = await listPromoCodes(ctx, { limit: 2, after });
      expect(page.promoCodes.length).toBeLessThanOrEqual(2);
      for (const c of page.promoCodes) all.push(c);
      after = page.next ?? undefined;
    } while (after);
    const codes = all.map((c) => c.code);
    expect(new Set(codes).size).toBe(codes.length);
    return all;
  };
  const bike = async (city = "boston") => {
    const owner = await addUser(ctx, { city, name: "Owen Owner" });
    return addVehicle(ctx, {
      ownerCity: city,
      ownerId: owner.id,
      type: "bike",
      location: "1 Main St",
      color: "red",
      brand: "Kona",
    });
  };

  it("adds users and lists a city's users, never exposing card numbers", async () => {
    const u = await addUser(ctx, {
      city: "paris",
      name: "Amélie",
      creditCard: "4111111111111111",
      username: "amelie",
      email: "a@example.com",
    });
    expect(u).toMatchObject({
      city: "paris",
      name: "Amélie",
      username: "amelie",
      isOwner: false,
      active: true,
    });
    expect(JSON.stringify(u)).not.toContain("4111");
    expect((await getUsersOfCity(ctx, "paris")).map((x) => x.id)).toContain(u.id);
    expect(await getUser(ctx, "paris", u.id)).toEqual(u);
  });

  it("rejects bad input with domain errors", async () => {
    await expectCode(addUser(ctx, { city: "atlantis", name: "X" }), "invalid_request");
    await expectCode(addUser(ctx, { city: "rome", name: "x".repeat(101) }), "invalid_request");
    await expectCode(addUser(ctx, { city: "rome", name: "  " }), "invalid_request");
    await expectCode(getUser(ctx, "rome", "not-a-uuid"), "invalid_request");
    await expectCode(getUser(ctx, "rome", randomUUID()), "not_found");
    await expectCode(getVehicle(ctx, "rome", randomUUID()), "not_found");
    await expectCode(listVehicles(ctx, { city: "rome", limit: 101 }), "invalid_request");
    await expectCode(listVehicles(ctx, { city: "rome", status: "flying" }), "invalid_request");
    await expectCode(listVehicles(ctx, { city: "rome", after: "garbage" }), "invalid_request");
    const u = await rider("rome");
    await expectCode(
      addVehicle(ctx, { ownerCity: "rome", ownerId: u.id, type: "car", location: "x", color: "red" }),
      "invalid_request",
    );
    await expectCode(startRide(ctx, { city: "rome", vehicleId: randomUUID(), riderId: u.id }), "not_found");
    await expectCode(
      endRide(ctx, { city: "rome", rideId: randomUUID(), location: "x", actor: "system" }),
      "not_found",
    );
  });

  it("a cursor whose parts were forged is one error on `after`, never a database error or another field", async () => {
    const forge = (parts: unknown[]) => Buffer.from(JSON.stringify(parts)).toString("base64url");
    const id = randomUUID();
    const r = await rider("rome");
    // A part the database refuses (U+0000, 22021), an unpaired surrogate, a part of the wrong shape.
    const lists: [string, (after: string) => Promise<unknown>, unknown[][]][] = [
      ["vehicles", (after) => listVehicles(ctx, { city: "rome", after }), [["zzz"], ["\u0000"]]],
      ["promo codes", (after) => listPromoCodes(ctx, { after }), [["a b"], ["\u0000"], ["\ud800"]]],
      [
        "riders' names",
        (after) => listUserNamesInCity(ctx, { city: "rome", after }),
        [
          ["\u0000", id],
          ["\ud800", id],
          ["Rita", "x"],
        ],
      ],
      [
        "rides",
        (after) => listMyRides(ctx, { riderCity: "rome", riderId: r.id, after }),
        [
          ["2026-01-01 00:00:00", "x"],
          ["\u0000", id],
        ],
      ],
    ];
    for (const [what, list, forged] of lists) {
      for (const parts of forged) {
        const err = await expectCode(list(forge(parts)), "invalid_request");
        expect(err.details, `${what} ${JSON.stringify(parts)}`).toEqual([
          { field: "after", problem: "is not a cursor this server gave out" },
        ]);
      }
    }
  });

  it("rejects a username that is taken, whatever its case of input", async () => {
    await addUser(ctx, { city: "rome", name: "A", username: "taken_name" });
    await expectCode(addUser(ctx, { city: "boston", name: "B", username: "taken_name" }), "username_taken");
  });

  it("adds a vehicle, marking its owner, and lists vehicles with filters and a keyset cursor", async () => {
    const owner = await addUser(ctx, { city: "seattle", name: "Sam" });
    const made = [];
    for (let i = 0; i < 5; i++) {
      made.push(
        await addVehicle(ctx, {
          ownerCity: "seattle",
          ownerId: owner.id,
          type: i % 2 ? "bike" : "scooter",
          location: `${i} Pike St`,
          color: "blue",
        }),
      );
    }
    expect((await getUser(ctx, "seattle", owner.id)).isOwner).toBe(true);
    expect(made[0]).toMatchObject({
      city: "seattle",
      ownerId: owner.id,
      status: "available",
      color: "blue",
      brand: null,
    });
    const seen: string[] = [];
    let after: string | undefined;
    do {
      const page = await listVehicles(ctx, { city: "seattle", limit: 2, after });
      expect(page.vehicles.length).toBeLessThanOrEqual(2);
      pushAll(
        seen,
        page.vehicles.map((v) => v.id),
      );
      after = page.next ?? undefined;
    } while (after);
    expect(seen.sort()).toEqual(made.map((v) => v.id).sort());
    const bikes = await listVehicles(ctx, { city: "seattle", type: "bike" });
    expect(bikes.vehicles.map((v) => v.type)).toEqual(["bike", "bike"]);
    expect((await listOwnerVehicles(ctx, "seattle", owner.id)).length).toBe(5);
    await expectCode(listVehicles(ctx, { city: "seattle", followerReads: true }), "unsupported");
  });

  it("removes a vehicle: owner only, not in use, clears the owner flag with the last one", async () => {
    const v = await bike("amsterdam");
    const stranger = await rider("amsterdam");
    await expectCode(
      removeVehicle(ctx, {
        city: "amsterdam",
        vehicleId: v.id,
        requesterCity: "amsterdam",
        requesterId: stranger.id,
      }),
      "forbidden",
    );
    const ride = await startRide(ctx, { city: "amsterdam", vehicleId: v.id, riderId: stranger.id });
    await expectCode(
      removeVehicle(ctx, {
        city: "amsterdam",
        vehicleId: v.id,
        requesterCity: "amsterdam",
        requesterId: v.ownerId!,
      }),
      "vehicle_in_use",
    );
    await endRide(ctx, { city: "amsterdam", rideId: ride.id, location: "Dam 1", actor: "system" });
    await removeVehicle(ctx, {
      city: "amsterdam",
      vehicleId: v.id,
      requesterCity: "amsterdam",
      requesterId: v.ownerId!,
    });
    expect((await getVehicle(ctx, "amsterdam", v.id)).status).toBe("removed");
    expect((await getUser(ctx, "amsterdam", v.ownerId!)).isOwner).toBe(false);
    await expectCode(
      removeVehicle(ctx, {
        city: "amsterdam",
        vehicleId: v.id,
        requesterCity: "amsterdam",
        requesterId: v.ownerId!,
      }),
      "not_found",
    );
  });

  it("starts and ends a ride, charging the documented fare less the best valid discount", async () => {
    const v = await bike();
    const r = await rider();
    await createPromoCode(ctx, {
      code: `TEN_${target.name}`,
      discountPercent: 10,
      expiresAt: new Date(now.getTime() + 86_400_000),
    });
    await createPromoCode(ctx, { code: `FIVE_${target.name}`, discountPercent: 5 });
    await applyPromoCode(ctx, { city: "boston", userId: r.id, code: `TEN_${target.name}` });
    await applyPromoCode(ctx, { city: "boston", userId: r.id, code: `FIVE_${target.name}` });
    const ride = await startRide(ctx, { city: "boston", vehicleId: v.id, riderId: r.id });
    expect(ride).toMatchObject({ startLocation: "1 Main St", endedAt: null, revenue: null, riderId: r.id });
    expect((await getVehicle(ctx, "boston", v.id)).status).toBe("in_use");
    expect((await getActiveRide(ctx, "boston", r.id))?.id).toBe(ride.id);
    expect((await listActiveRides(ctx, "boston", 100)).map((x) => x.id)).toContain(ride.id);
    expect((await listUserPromoCodes(ctx, "boston", r.id)).map((c) => c.usageCount)).toEqual([1, 1]);

    await logLocation(ctx, {
      city: "boston",
      rideId: ride.id,
      lat: 42.36,
      long: -71.06,
      actor: { riderCity: "boston", riderId: r.id },
    });
    now = new Date(now.getTime() + 10 * 60_000 + 1000); // 10 min 1 s: 11 started minutes
    await logLocation(ctx, { city: "boston", rideId: ride.id, lat: 42.37, long: -71.07, actor: "system" });
    const other = await rider();
    await expectCode(
      endRide(ctx, {
        city: "boston",
        rideId: ride.id,
        location: "x",
        actor: { riderCity: "boston", riderId: other.id },
      }),
      "forbidden",
    );
    const ended = await endRide(ctx, {
      city: "boston",
      rideId: ride.id,
      location: "2 Elm St",
      actor: { riderCity: "boston", riderId: r.id },
    });
    // bike: 1.00 + 11 x 0.15 = 2.65; less 10% (0.27, half up) = 2.38
    expect(ended).toMatchObject({ endLocation: "2 Elm St", durationSeconds: 601, revenue: "2.38" });
    const vehicle = await getVehicle(ctx, "boston", v.id);
    expect(vehicle).toMatchObject({ status: "available", location: "2 Elm St" });
    await expectCode(
      endRide(ctx, { city: "boston", rideId: ride.id, location: "x", actor: "system" }),
      "ride_already_ended",
    );
    await expectCode(
      logLocation(ctx, { city: "boston", rideId: ride.id, lat: 1, long: 1, actor: "system" }),
      "ride_already_ended",
    );
    await expectCode(
      logLocation(ctx, { city: "boston", rideId: ride.id, lat: 91, long: 1, actor: "system" }),
      "invalid_request",
    );

    const { ride: seen, path } = await getRide(ctx, {
      city: "boston",
      rideId: ride.id,
      actor: { riderCity: "boston", riderId: r.id },
    });
    expect(seen.revenue).toBe("2.38");
    expect(path.map((p) => p.lat)).toEqual([42.36, 42.37]);
    await expectCode(
      getRide(ctx, { city: "boston", rideId: ride.id, actor: { riderCity: "boston", riderId: other.id } }),
      "not_found",
    );
  });

  it("refuses a second ride for a rider and a ride on a vehicle in use", async () => {
    const [v1, v2] = [await bike(), await bike()];
    const [r1, r2] = [await rider(), await rider()];
    await startRide(ctx, { city: "boston", vehicleId: v1.id, riderId: r1.id });
    await expectCode(startRide(ctx, { city: "boston", vehicleId: v2.id, riderId: r1.id }), "already_riding");
    await expectCode(
      startRide(ctx, { city: "boston", vehicleId: v1.id, riderId: r2.id }),
      "vehicle_unavailable",
    );
    await expectCode(
      startRide(ctx, { city: "seattle", vehicleId: v2.id, riderId: r2.id }),
      "invalid_request",
    );
    // Each start is one statement: a refused one changed nothing.
    expect(await getVehicle(ctx, "boston", v2.id)).toMatchObject({
      status: "available",
      location: "1 Main St",
    });
    await expectCode(
      startRide(ctx, { city: "boston", vehicleId: randomUUID(), riderId: r2.id }),
      "not_found",
    );
    const gone = await rider();
    await deactivateUser(ctx, "boston", gone.id);
    await expectCode(
      startRide(ctx, { city: "boston", vehicleId: v2.id, riderId: gone.id }),
      "invalid_request",
    );
    expect(await getVehicle(ctx, "boston", v2.id)).toMatchObject({ status: "available" });
  });

  it("logs a location only into an active ride, and only by its rider", async () => {
    const v = await bike();
    const [r, other] = [await rider(), await rider()];
    const ride = await startRide(ctx, { city: "boston", vehicleId: v.id, riderId: r.id });
    const log = (actor: Parameters<typeof logLocation>[1]["actor"], rideId = ride.id, lat = 1) =>
      logLocation(ctx, { city: "boston", rideId, lat, long: 2, actor });
    await expectCode(log({ riderCity: "boston", riderId: other.id }), "forbidden");
    await expectCode(log({ riderCity: "seattle", riderId: r.id }), "forbidden");
    await expectCode(log("system", randomUUID()), "not_found");
    await log({ riderCity: "boston", riderId: r.id }, ride.id, 3);
    await endRide(ctx, { city: "boston", rideId: ride.id, location: "x", actor: "system" });
    await expectCode(log({ riderCity: "boston", riderId: r.id }), "ride_already_ended");
    const { path } = await getRide(ctx, { city: "boston", rideId: ride.id, actor: "system" });
    expect(path.map((p) => p.lat)).toEqual([3]);
  });

  it("lists a rider's rides newest first across pages", async () => {
    const v = await bike("rome");
    const r = await rider("rome");
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      now = new Date(now.getTime() + 60_000);
      const ride = await startRide(ctx, { city: "rome", vehicleId: v.id, riderId: r.id });
      ids.push(ride.id);
      now = new Date(now.getTime() + 60_000);
      await endRide(ctx, { city: "rome", rideId: ride.id, location: "Via Roma", actor: "system" });
    }
    const first = await listMyRides(ctx, { riderCity: "rome", riderId: r.id, limit: 3 });
    expect(first.next).not.toBeNull();
    const second = await listMyRides(ctx, { riderCity: "rome", riderId: r.id, limit: 3, after: first.next! });
    expect(second.next).toBeNull();
    expect([...first.rides, ...second.rides].map((x) => x.id)).toEqual(ids.reverse());
  });

  it("creates, lists and applies promo codes once per user, refusing expired ones", async () => {
    const code = `SPRING_${target.name}`;
    const created = await createPromoCode(ctx, {
      code,
      description: "Spring",
      discountPercent: 15,
      expiresAt: new Date(now.getTime() + 3_600_000),
    });
    expect(created).toMatchObject({ code, discountPercent: 15, timesApplied: 0 });
    expect((await allPromoCodes()).map((c) => c.code)).toContain(code);
    await expectCode(createPromoCode(ctx, { code, discountPercent: 5 }), "promo_code_exists");
    const u = await rider("paris");
    // The GLOBAL table is never written by an application: a trigger refuses any write to it.
    await database.exec(
      `CREATE FUNCTION refuse_promo_write() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'promo_codes written'; END $$`,
    );
    await database.exec(
      "CREATE TRIGGER refuse_promo_write BEFORE INSERT OR UPDATE OR DELETE ON promo_codes FOR EACH ROW EXECUTE FUNCTION refuse_promo_write()",
    );
    const applied = await applyPromoCode(ctx, { city: "paris", userId: u.id, code });
    const other = await applyPromoCode(ctx, { city: "rome", userId: (await rider("rome")).id, code });
    await database.exec("DROP TRIGGER refuse_promo_write ON promo_codes");
    await database.exec("DROP FUNCTION refuse_promo_write()");
    expect([applied.timesApplied, other.timesApplied]).toEqual([1, 2]);
    expect((await allPromoCodes()).find((c) => c.code === code)?.timesApplied).toBe(2);
    expect((await listUserPromoCodes(ctx, "paris", u.id)).map((c) => c.timesApplied)).toEqual([2]);
    await expectCode(
      applyPromoCode(ctx, { city: "paris", userId: u.id, code }),
      "promo_code_already_applied",
    );
    await expectCode(applyPromoCode(ctx, { city: "paris", userId: u.id, code: "NOPE" }), "not_found");
    now = new Date(now.getTime() + 2 * 3_600_000);
    const late = await rider("paris");
    await expectCode(applyPromoCode(ctx, { city: "paris", userId: late.id, code }), "promo_code_expired");
    expect((await allPromoCodes()).map((c) => c.code)).not.toContain(code);
    await expectCode(listPromoCodes(ctx, { limit: 101 }), "invalid_request");
    await expectCode(listPromoCodes(ctx, { after: "not-a-cursor" }), "invalid_request");
  });

  it("deactivates a user: vehicles off the platform, history kept, not while riding", async () => {
    const v = await bike("los angeles");
    const owner = v.ownerId!;
    const r = await rider("los angeles");
    const ride = await startRide(ctx, { city: "los angeles", vehicleId: v.id, riderId: r.id });
    await expectCode(deactivateUser(ctx, "los angeles", r.id), "already_riding");
    await endRide(ctx, { city: "los angeles", rideId: ride.id, location: "Sunset Blvd", actor: "system" });
    await deactivateUser(ctx, "los angeles", owner);
    expect((await getVehicle(ctx, "los angeles", v.id)).status).toBe("removed");
    expect((await getUser(ctx, "los angeles", owner)).active).toBe(false);
    await deactivateUser(ctx, "los angeles", r.id);
    expect(
      (await listMyRides(ctx, { riderCity: "los angeles", riderId: r.id })).rides.map((x) => x.id),
    ).toEqual([ride.id]);
    await expectCode(deactivateUser(ctx, "los angeles", r.id), "not_found");
  });
});
