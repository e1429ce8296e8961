// The repair that lets migrations run on data `cockroach workload run movr` wrote: several active
// rides per vehicle and per rider, vehicles in_use with no ride (migrations/repairs/0002_*.sql,
// migrations/0003_*.sql).
import { afterAll, describe, expect, it } from "vitest";
import { migrate, splitStatements } from "../../src/db/migrate.ts";
import { startRide } from "../../src/rides/ride.service.ts";
import { dropServerDatabases, TARGETS, testContext } from "../support/databases.ts";
import { BARE_WORKLOAD_SCHEMA, workloadRunShape } from "../support/workload-fixture.ts";

afterAll(dropServerDatabases);

interface RideRow {
  city: string;
  id: string;
  rider_id: string;
  vehicle_id: string;
  start_time: string;
  end_time: string | null;
}

/** What the repair must keep: the newest active ride of each vehicle, then of each rider. */
function expectedActive(rides: RideRow[]): string[] {
  const newest = (a: RideRow, b: RideRow) =>
    a.start_time === b.start_time ? (a.id > b.id ? a : b) : a.start_time > b.start_time ? a : b;
  const keepNewest = (rows: RideRow[], key: (r: RideRow) => string) => {
    const best = new Map<string, RideRow>();
    for (const r of rows) {
      const k = key(r);
      const seen = best.get(k);
      best.set(k, seen ? newest(seen, r) : r);
    }
    return [...best.values()];
  };
  const active = rides.filter((r) => r.end_time === null);
  const perVehicle = keepNewest(active, (r) => `${r.city}/${r.vehicle_id}`);
  return keepNewest(perVehicle, (r) => `${r.city}/${r.rider_id}`)
    .map((r) => r.id)
    .sort();
}

describe.each(TARGETS)("migrating workload-run data on $name", (target) => {
  it("ends all but the newest active ride per vehicle and per rider, and frees vehicles without one", async () => {
    const database = await target.open();
    try {
      for (const s of splitStatements(BARE_WORKLOAD_SCHEMA)) await database.exec(s);
      const shape = workloadRunShape();
      for (const s of shape.statements) await database.exec(s);
      const rides = async () =>
        (
          await database.query<RideRow>(
            "SELECT city, id::text AS id, rider_id::text AS rider_id, vehicle_id::text AS vehicle_id, start_time::text AS start_time, end_time::text AS end_time FROM rides ORDER BY id",
          )
        ).rows;
      const before = await rides();
      const activeBefore = before.filter((r) => r.end_time === null);
      expect(activeBefore.length).toBe(shape.activeRides);
      const lostBefore = await database.query<{ id: string }>(
        "SELECT id FROM vehicles WHERE status = 'lost' ORDER BY city, id",
      );

      await migrate(database);

      const after = await rides();
      expect(after.length).toBe(before.length); // nothing deleted
      const activeAfter = after.filter((r) => r.end_time === null);
      expect(activeAfter.map((r) => r.id).sort()).toEqual(expectedActive(before));
      expect(activeAfter.length).toBeLessThan(activeBefore.length);
      // Ended rides end at their start; finished rides are untouched.
      for (const r of after) {
        const was = before.find((b) => b.id === r.id)!;
        if (was.end_time !== null) expect(r).toEqual(was);
        else if (r.end_time !== null) expect(r.end_time).toBe(r.start_time);
      }
      // A vehicle is in_use exactly while it has an active ride; lost vehicles stay lost.
      const mismatched = await database.query<{ id: string }>(
        `SELECT v.id FROM vehicles v WHERE v.status IN ('in_use', 'available')
           AND (v.status = 'in_use') <> EXISTS (SELECT 1 FROM rides r WHERE r.city = v.city AND r.vehicle_id = v.id AND r.end_time IS NULL)`,
      );
      expect(mismatched.rows).toEqual([]);
      expect(
        (
          await database.query<{ id: string }>(
            "SELECT id FROM vehicles WHERE status = 'lost' ORDER BY city, id",
          )
        ).rows,
      ).toEqual(lostBefore.rows);

      // The app works on the repaired data: a freed vehicle can be ridden by a rider with no ride.
      const free = await database.query<{ city: string; vehicle: string; rider: string }>(
        `SELECT v.city, v.id::text AS vehicle, u.id::text AS rider FROM vehicles v JOIN users u ON u.city = v.city
         WHERE v.status = 'available'
           AND NOT EXISTS (SELECT 1 FROM rides r WHERE r.city = u.city AND r.rider_id = u.id AND r.end_time IS NULL)
         ORDER BY v.city, v.id, u.id LIMIT 1`,
      );
      const pick = free.rows[0]!;
      const ride = await startRide(testContext(database), {
        city: pick.city,
        vehicleId: pick.vehicle,
        riderId: pick.rider,
      });
      expect(ride.endedAt).toBeNull();
    } finally {
      await database.close();
    }
  });
});
