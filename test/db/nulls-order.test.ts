// NULLs sort last ascending on PostgreSQL and first on CockroachDB: every ORDER BY on a nullable
// column says where they go, so pages are the same on both (workload rows have NULL times).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../src/db/database.ts";
import { listActiveRides, listMyRides } from "../../src/rides/ride.service.ts";
import { listOwnerVehicles } from "../../src/vehicles/vehicle.service.ts";
import { dropServerDatabases, openMigrated, TARGETS, testContext } from "../support/databases.ts";

afterAll(dropServerDatabases);

const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`;

describe.each(TARGETS)("undated rows on $name", (target) => {
  let database: Database;
  beforeAll(async () => {
    database = await openMigrated(target);
    await database.exec(
      `INSERT INTO users (id, city, name, is_owner) VALUES ('${id(1)}', 'rome', 'Owner', true), ('${id(2)}', 'rome', 'Rider', false)`,
    );
    await database.exec(
      `INSERT INTO vehicles (id, city, type, owner_id, creation_time, status) VALUES
        ('${id(11)}', 'rome', 'bike', '${id(1)}', '2026-01-02', 'available'),
        ('${id(12)}', 'rome', 'bike', '${id(1)}', NULL, 'available'),
        ('${id(13)}', 'rome', 'bike', '${id(1)}', '2026-01-01', 'in_use')`,
    );
    await database.exec(
      `INSERT INTO rides (id, city, vehicle_city, rider_id, vehicle_id, start_time, end_time) VALUES
        ('${id(21)}', 'rome', 'rome', '${id(2)}', '${id(11)}', '2026-01-01 10:00', '2026-01-01 11:00'),
        ('${id(22)}', 'rome', 'rome', '${id(2)}', '${id(12)}', NULL, '2026-01-01 12:00'),
        ('${id(23)}', 'rome', 'rome', '${id(2)}', '${id(13)}', '2026-01-01 09:00', NULL),
        ('${id(24)}', 'rome', 'rome', '${id(1)}', '${id(11)}', NULL, NULL)`,
    );
  });
  afterAll(async () => database?.close());

  it("owner's vehicles oldest first, the undated first (as CockroachDB sorts them)", async () => {
    const vehicles = await listOwnerVehicles(testContext(database), "rome", id(1));
    expect(vehicles.map((v) => v.id)).toEqual([id(12), id(13), id(11)]);
  });

  it("a rider's rides newest first, the undated last, also across pages", async () => {
    const ctx = testContext(database);
    const all = await listMyRides(ctx, { riderCity: "rome", riderId: id(2) });
    expect(all.rides.map((r) => r.id)).toEqual([id(21), id(23), id(22)]);
    const first = await listMyRides(ctx, { riderCity: "rome", riderId: id(2), limit: 2 });
    const rest = await listMyRides(ctx, { riderCity: "rome", riderId: id(2), limit: 2, after: first.next! });
    expect([...first.rides, ...rest.rides].map((r) => r.id)).toEqual([id(21), id(23), id(22)]);
  });

  it("a city's active rides oldest first, the undated first", async () => {
    const active = await listActiveRides(testContext(database), "rome");
    expect(active.map((r) => r.id)).toEqual([id(24), id(23)]);
  });
});
