// Invariants under real concurrency: the database, not application checks, keeps them.
// On the PostgreSQL server these calls run on separate connections and truly race.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../src/db/database.ts";
import { applyPromoCode, createPromoCode, listPromoCodes } from "../../src/promo-codes/promo-code.service.ts";
import { endRide, startRide } from "../../src/rides/ride.service.ts";
import { DomainError } from "../../src/shared/errors.ts";
import type { MovrContext } from "../../src/shared/context.ts";
import { addUser } from "../../src/users/user.service.ts";
import { addVehicle, getVehicle } from "../../src/vehicles/vehicle.service.ts";
import { dropServerDatabases, openMigrated, testContext, TARGETS } from "../support/databases.ts";

afterAll(dropServerDatabases);

type Outcome = { ok: true } | { ok: false; code: string };
const outcome = (p: Promise<unknown>): Promise<Outcome> =>
  p.then(
    () => ({ ok: true }) as const,
    (e: unknown) => {
      if (e instanceof DomainError) return { ok: false, code: e.code } as const;
      throw e;
    },
  );
const tally = (outcomes: Outcome[]) =>
  outcomes.reduce<Record<string, number>>((acc, o) => {
    const key = o.ok ? "ok" : o.code;
    acc[key] = (acc[key] ?? 0) + 1;
    return acc;
  }, {});

describe.each(TARGETS)("races on $name", (target) => {
  let database: Database;
  let ctx: MovrContext;
  const city = "new york";
  beforeAll(async () => {
    // 20 contenders on one row can each lose many rounds: give them room, so the test measures
    // lost updates (which must be none), not the default retry budget.
    database = await openMigrated(target, { poolMax: 25, maxTxAttempts: 40 });
    ctx = testContext(database);
  });
  afterAll(async () => database?.close());

  /** Runs the contenders at once; their outcomes counted by code, logged with the 40001 retries they cost. */
  const race = async (label: string, contenders: Promise<unknown>[]) => {
    const retriesBefore = database.stats.retries;
    const counted = tally(await Promise.all(contenders.map(outcome)));
    console.log(
      `[${target.name}] ${label}:`,
      counted,
      `40001 retries: ${database.stats.retries - retriesBefore}`,
    );
    return counted;
  };
  const newVehicle = async () => {
    const owner = await addUser(ctx, { city, name: "Owner" });
    return addVehicle(ctx, {
      ownerCity: city,
      ownerId: owner.id,
      type: "scooter",
      location: "Broadway",
      color: "black",
    });
  };
  const activeRides = async (column: "vehicle_id" | "rider_id", id: string) =>
    Number(
      (
        await database.query<{ n: string }>(
          `SELECT count(*) AS n FROM rides WHERE ${column} = $1 AND end_time IS NULL`,
          [id],
        )
      ).rows[0]?.n,
    );

  it("20 riders starting a ride on one vehicle: exactly one ride", async () => {
    const vehicle = await newVehicle();
    const riders = await Promise.all(
      Array.from({ length: 20 }, (_, i) => addUser(ctx, { city, name: `Rider ${i}` })),
    );
    const outcomes = await race(
      `one vehicle, 20 riders`,
      riders.map((r) => startRide(ctx, { city, vehicleId: vehicle.id, riderId: r.id })),
    );
    expect(outcomes).toEqual({ ok: 1, vehicle_unavailable: 19 });
    expect(await activeRides("vehicle_id", vehicle.id)).toBe(1);
    expect((await getVehicle(ctx, city, vehicle.id)).status).toBe("in_use");
  });

  it("one rider starting rides on 20 vehicles: exactly one active ride", async () => {
    const rider = await addUser(ctx, { city, name: "Greedy" });
    const vehicles = [];
    for (let i = 0; i < 20; i++) vehicles.push(await newVehicle());
    const outcomes = await race(
      `one rider, 20 vehicles`,
      vehicles.map((v) => startRide(ctx, { city, vehicleId: v.id, riderId: rider.id })),
    );
    expect(outcomes).toEqual({ ok: 1, already_riding: 19 });
    expect(await activeRides("rider_id", rider.id)).toBe(1);
    const inUse = await Promise.all(vehicles.map((v) => getVehicle(ctx, city, v.id)));
    expect(inUse.filter((v) => v.status === "in_use")).toHaveLength(1);
  });

  it("one ride ended 10 times at once, by its rider and by the system: ended once, vehicle freed", async () => {
    const vehicle = await newVehicle();
    const rider = await addUser(ctx, { city, name: "Leaver" });
    const ride = await startRide(ctx, { city, vehicleId: vehicle.id, riderId: rider.id });
    const byRider = { riderCity: city, riderId: rider.id };
    // The rider's ends take the rider's active ride (ADR 019), the system's the ride's key.
    const outcomes = await race(
      "one ride, 10 ends",
      Array.from({ length: 10 }, (_, i) =>
        endRide(ctx, { city, rideId: ride.id, location: `Exit ${i}`, actor: i % 2 ? "system" : byRider }),
      ),
    );
    expect(outcomes).toEqual({ ok: 1, ride_already_ended: 9 });
    expect(await activeRides("rider_id", rider.id)).toBe(0);
    expect((await getVehicle(ctx, city, vehicle.id)).status).toBe("available");
  });

  it("N users applying one promo code at once: every application counted", async () => {
    const n = 20;
    const code = `RACE_${randomUUID().slice(0, 8)}`;
    await createPromoCode(ctx, { code, discountPercent: 10 });
    const users = await Promise.all(
      Array.from({ length: n }, (_, i) => addUser(ctx, { city, name: `Saver ${i}` })),
    );
    const outcomes = await race(
      `${n} promo applications`,
      users.map((u) => applyPromoCode(ctx, { city, userId: u.id, code })),
    );
    expect(outcomes).toEqual({ ok: n });
    let listed = await listPromoCodes(ctx, { limit: 100 });
    while (!listed.promoCodes.some((c) => c.code === code) && listed.next) {
      listed = await listPromoCodes(ctx, { limit: 100, after: listed.next });
    }
    expect(listed.promoCodes.find((c) => c.code === code)?.timesApplied).toBe(n);
    const applied = await database.query<{ n: string }>(
      "SELECT count(*) AS n FROM user_promo_codes WHERE code = $1",
      [code],
    );
    expect(Number(applied.rows[0]?.n)).toBe(n);
  });

  it("the database itself refuses a second active ride, even from raw SQL", async () => {
    const vehicle = await newVehicle();
    const [a, b] = [await addUser(ctx, { city, name: "A" }), await addUser(ctx, { city, name: "B" })];
    const insert = (rider: string) =>
      database.query(
        "INSERT INTO rides (id, city, vehicle_city, rider_id, vehicle_id, start_time) VALUES ($1, $2, $2, $3, $4, now())",
        [randomUUID(), city, rider, vehicle.id],
      );
    await insert(a.id);
    await expect(insert(b.id)).rejects.toMatchObject({ code: "23505" });
  });
});
