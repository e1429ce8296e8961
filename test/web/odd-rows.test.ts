// Rows edited by hand (or by another client): values the database holds that the application
// never writes. Timestamps BC, before the year 1000, 'infinity' and '-infinity'; DECIMAL 'NaN' and
// the largest money; JSONB of another shape; coordinates NaN, infinite or out of range; a vehicle
// type and status this version does not know; NULLs. Every read route and page answers 200 and
// shows what is stored as docs/decisions/022-values-we-never-write.md says; nothing is a 500.
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.ts";
import { pushAll } from "../../src/shared/arrays.ts";
import type { Database } from "../../src/db/database.ts";
import { endRide, listActiveRides } from "../../src/rides/ride.service.ts";
import { listVehicles } from "../../src/vehicles/vehicle.service.ts";
import { apiAccount, type ApiAccount } from "../support/api-account.ts";
import { dropServerDatabases, openMigrated, testContext, TARGETS } from "../support/databases.ts";
import { buildApp } from "../../src/web/app.ts";

afterAll(dropServerDatabases);

const V = (n: number) => `00000000-0000-4000-8000-0000000000${String(n).padStart(2, "0")}`;
const R = (n: number) => `00000000-0000-4000-9000-0000000000${String(n).padStart(2, "0")}`;

/** creation_time as stored → createdAt as answered. */
const VEHICLE_TIMES: [number, string, string | null][] = [
  [1, "'0044-03-15 00:00:00 BC'", "-000043-03-15T00:00:00.000Z"],
  [2, "'infinity'", "infinity"],
  [3, "'-infinity'", "-infinity"],
  [4, "'0999-12-31 23:59:59.999999'", "0999-12-31T23:59:59.999Z"],
  // V8's Date parser reads this one as 2001-02-01.
  [5, "'0002-01-01 00:00:00'", "0002-01-01T00:00:00.000Z"],
  [6, "'12345-06-07 08:09:10'", "+012345-06-07T08:09:10.000Z"],
  [7, "'4713-01-01 00:00:00 BC'", "-004712-01-01T00:00:00.000Z"],
  [8, "NULL", null],
];

describe.each(TARGETS)("values the application never writes, on $name", (target) => {
  let database: Database;
  let app: FastifyInstance;
  let me: ApiAccount;
  const get = (url: string, headers: Record<string, string> = {}) =>
    app.inject({ method: "GET", url, headers: { ...me.headers, ...headers } });

  beforeAll(async () => {
    database = await openMigrated(target);
    app = await buildApp({
      config: loadConfig({ SESSION_SECRET: "o".repeat(40), LOGIN_RATE_LIMIT_PER_MINUTE: "10000" }),
      ctx: testContext(database),
      logger: false,
    });
    me = await apiAccount(app, { prefix: "odd" });
    const owner = `'boston', '${me.id}'`;
    // A newer version's type and status: this one's CHECKs would refuse them.
    await database.exec("ALTER TABLE vehicles DROP CONSTRAINT vehicles_type_check");
    await database.exec("ALTER TABLE vehicles DROP CONSTRAINT vehicles_status_check");
    for (const [n, time] of VEHICLE_TIMES) {
      await database.exec(
        `INSERT INTO vehicles (city, owner_id, id, type, status, creation_time, current_location, ext)
         VALUES (${owner}, '${V(n)}', 'bike', 'available', ${time}, '1 Main St', '{"color": "red"}')`,
      );
    }
    const oddVehicles: [number, string, string, string][] = [
      [20, "'hoverboard'", "'charging'", `'{"color": 5, "brand": {"x": 1}}'`],
      [21, "NULL", "NULL", "'\"just text\"'"],
      [22, "'scooter'", "'available'", "'[1, 2]'"],
      [23, "'bike'", "'available'", "'null'"],
      [24, "'skateboard'", "'in_use'", "NULL"],
    ];
    for (const [n, type, status, ext] of oddVehicles) {
      await database.exec(
        `INSERT INTO vehicles (city, owner_id, id, type, status, creation_time, current_location, ext)
         VALUES (${owner}, '${V(n)}', ${type}, ${status}, '2026-01-01', NULL, ${ext}::jsonb)`,
      );
    }
    const rides: [number, string, string, string][] = [
      [1, "'0044-03-15 00:00:00 BC'", "'0044-03-15 01:00:00 BC'", "'NaN'"],
      [2, "'-infinity'", "'infinity'", "99999999.99"],
      [3, "'infinity'", "'infinity'", "0"],
      [4, "NULL", "'2020-01-01'", "NULL"],
      [5, "'0002-01-01 00:00:00'", "'2026-01-01 00:00:00'", "1.50"],
      // The rider's active ride.
      [6, "'infinity'", "NULL", "NULL"],
    ];
    for (const [n, start, end, revenue] of rides) {
      await database.exec(
        `INSERT INTO rides (city, id, vehicle_city, vehicle_id, rider_id, start_address, end_address, start_time, end_time, revenue)
         VALUES ('boston', '${R(n)}', 'boston', '${V(24)}', '${me.id}', 'A', NULL, ${start}, ${end}, ${revenue})`,
      );
    }
    const points: [string, string, string][] = [
      ["'-infinity'", "'NaN'", "'Infinity'"],
      ["'0044-03-15 00:30:00 BC'", "1000", "-1000"],
      ["'2026-01-01 00:00:00'", "42.36", "-71.06"],
      ["'2026-01-01 00:01:00'", "NULL", "-71.05"],
      ["'infinity'", "'-Infinity'", "42"],
    ];
    for (const [at, lat, long] of points) {
      await database.exec(
        `INSERT INTO vehicle_location_histories (city, ride_id, "timestamp", lat, long)
         VALUES ('boston', '${R(1)}', ${at}, ${lat}, ${long})`,
      );
    }
    const codes: [string, string, string, string][] = [
      ["odd_bc", "'0044-03-15 00:00:00 BC'", "'infinity'", `'{"type": "percent_discount", "value": 5}'`],
      ["odd_text", "'-infinity'", "NULL", `'"ten percent"'`],
      ["odd_gone", "NULL", "'-infinity'", `'{"type": "percent_discount", "value": "10%"}'`],
    ];
    for (const [code, created, expires, rules] of codes) {
      await database.exec(
        `INSERT INTO promo_codes (code, description, creation_time, expiration_time, rules)
         VALUES ('${code}', NULL, ${created}, ${expires}, ${rules}::jsonb)`,
      );
    }
    for (const [code, at, uses] of [
      ["odd_bc", "'-infinity'", "NULL"],
      ["odd_gone", "'0044-03-15 00:00:00 BC'", "2"],
      ["odd_text", "NULL", "0"],
    ]) {
      await database.exec(
        `INSERT INTO user_promo_codes (city, user_id, code, "timestamp", usage_count)
         VALUES ('boston', '${me.id}', '${code}', ${at}, ${uses})`,
      );
    }
    await database.exec(
      `INSERT INTO users (city, id, name, address, credit_card, is_owner) VALUES ('boston', '${V(99)}', NULL, NULL, NULL, false)`,
    );
  });
  afterAll(async () => {
    await app?.close();
    await database?.close();
  });

  type VehicleJson = {
    id: string;
    type: unknown;
    status: unknown;
    color: unknown;
    brand: unknown;
    createdAt: unknown;
  };

  it("GET a city's vehicles, one vehicle and /me/vehicles answer every stored time and shape", async () => {
    const all: VehicleJson[] = [];
    for (const query of ["", "?status=available", "?type=bike"]) {
      let url: string | null = `/api/v1/cities/boston/vehicles${query}${query ? "&" : "?"}limit=3`;
      while (url) {
        const res = await get(url);
        expect(res.statusCode, `${url} ${res.body}`).toBe(200);
        const body = res.json() as { vehicles: VehicleJson[]; next: string | null };
        if (query === "") pushAll(all, body.vehicles);
        url = body.next
          ? `/api/v1/cities/boston/vehicles${query}${query ? "&" : "?"}limit=3&after=${body.next}`
          : null;
      }
    }
    expect(all).toHaveLength(VEHICLE_TIMES.length + 5);
    const byId = new Map(all.map((v) => [v.id, v]));
    for (const [n, , createdAt] of VEHICLE_TIMES) {
      expect(byId.get(V(n))?.createdAt, V(n)).toBe(createdAt);
      const one = await get(`/api/v1/cities/boston/vehicles/${V(n)}`);
      expect(one.statusCode, one.body).toBe(200);
      expect((one.json() as { vehicle: VehicleJson }).vehicle.createdAt).toBe(createdAt);
    }
    expect(byId.get(V(20))).toMatchObject({
      type: "hoverboard",
      status: "charging",
      color: null,
      brand: null,
    });
    expect(byId.get(V(21))).toMatchObject({ type: null, status: null, color: null, brand: null });
    expect(byId.get(V(22))).toMatchObject({ color: null, brand: null });
    expect(byId.get(V(23))).toMatchObject({ color: null, brand: null });
    const mine = await get("/api/v1/me/vehicles");
    expect(mine.statusCode, mine.body).toBe(200);
    expect((mine.json() as { vehicles: VehicleJson[] }).vehicles.length).toBeGreaterThan(
      VEHICLE_TIMES.length,
    );
  });

  it("/me/rides pages through rides dated BC, undated and at both infinities; ride detail with its path", async () => {
    type RideJson = {
      id: string;
      startedAt: unknown;
      endedAt: unknown;
      durationSeconds: unknown;
      revenue: unknown;
    };
    const seen: RideJson[] = [];
    let url: string | null = "/api/v1/me/rides?limit=1";
    while (url) {
      const res = await get(url);
      expect(res.statusCode, `${url} ${res.body}`).toBe(200);
      const body = res.json() as { rides: RideJson[]; next: string | null };
      pushAll(seen, body.rides);
      url = body.next ? `/api/v1/me/rides?limit=1&after=${body.next}` : null;
    }
    // Newest first as the database orders them: infinity first, undated last.
    expect(seen.map((r) => r.id)).toEqual([R(6), R(3), R(5), R(1), R(2), R(4)]);
    const byId = new Map(seen.map((r) => [r.id, r]));
    expect(byId.get(R(1))).toMatchObject({
      startedAt: "-000043-03-15T00:00:00.000Z",
      endedAt: "-000043-03-15T01:00:00.000Z",
      durationSeconds: 3600,
      revenue: "NaN",
    });
    expect(byId.get(R(2))).toMatchObject({
      startedAt: "-infinity",
      endedAt: "infinity",
      durationSeconds: null,
      revenue: "99999999.99",
    });
    expect(byId.get(R(3))).toMatchObject({
      startedAt: "infinity",
      endedAt: "infinity",
      durationSeconds: null,
    });
    expect(byId.get(R(5))).toMatchObject({ startedAt: "0002-01-01T00:00:00.000Z" });
    expect(byId.get(R(6))).toMatchObject({ startedAt: "infinity", endedAt: null, durationSeconds: null });

    const detail = await get(`/api/v1/cities/boston/rides/${R(1)}`);
    expect(detail.statusCode, detail.body).toBe(200);
    const { path } = detail.json() as { path: { lat: unknown; long: unknown; at: unknown }[] };
    expect(path).toEqual([
      { lat: null, long: null, at: "-infinity" },
      { lat: 1000, long: -1000, at: "-000043-03-15T00:30:00.000Z" },
      { lat: 42.36, long: -71.06, at: "2026-01-01T00:00:00.000Z" },
      { lat: null, long: -71.05, at: "2026-01-01T00:01:00.000Z" },
      { lat: null, long: 42, at: "infinity" },
    ]);
  });

  it("promo codes: BC and infinite times, rules of another shape, NULL counts", async () => {
    const offered = await get("/api/v1/promo-codes?limit=100");
    expect(offered.statusCode, offered.body).toBe(200);
    const codes = (offered.json() as { promoCodes: Record<string, unknown>[] }).promoCodes;
    // Expiring at infinity is unexpired; at -infinity, expired; no expiry, unexpired.
    expect(codes.filter((c) => String(c.code).startsWith("odd_"))).toEqual([
      {
        code: "odd_bc",
        description: null,
        discountPercent: null,
        createdAt: "-000043-03-15T00:00:00.000Z",
        expiresAt: "infinity",
      },
      { code: "odd_text", description: null, discountPercent: null, createdAt: "-infinity", expiresAt: null },
    ]);
    const mine = await get("/api/v1/me/promo-codes");
    expect(mine.statusCode, mine.body).toBe(200);
    const applied = (mine.json() as { promoCodes: Record<string, unknown>[] }).promoCodes;
    expect(new Map(applied.map((c) => [c.code, [c.appliedAt, c.expiresAt, c.usageCount]]))).toEqual(
      new Map([
        // A NULL count reads as none yet (the service's rule).
        ["odd_bc", ["-infinity", "infinity", 0]],
        ["odd_gone", ["-000043-03-15T00:00:00.000Z", "-infinity", 2]],
        ["odd_text", [null, null, 0]],
      ]),
    );
    // Applying a code that expired at -infinity is refused as expired.
    const late = await app.inject({
      method: "POST",
      url: "/api/v1/me/promo-codes",
      headers: me.headers,
      payload: { code: "odd_gone" },
    });
    expect(late.statusCode, late.body).toBe(409);
    expect(late.json()).toMatchObject({ error: { code: "promo_code_expired" } });
  });

  it("every page that shows these rows renders them", async () => {
    const html = { accept: "text/html" };
    const pages: [string, (string | RegExp)[]][] = [
      ["/vehicles?status=all&city=boston", ["Charging", "Hoverboard"]],
      ["/profile", ["Hoverboard"]],
      ["/rides", ["-000043-03-15 00:00 UTC", "infinity", "NaN"]],
      [`/rides/${R(1)}`, ["-000043-03-15 00:00 UTC", "-000043-03-15 01:00 UTC", "1 h 0 min"]],
      [`/rides/${R(2)}`, ["-infinity", "infinity"]],
      [`/rides/${R(6)}`, ["infinity"]],
      ["/promo-codes", ["infinity", "-infinity", "-000043-03-15 00:00 UTC"]],
      ["/users?city=boston", []],
    ];
    for (const [url, shown] of pages) {
      const res = await get(url, html);
      expect(res.statusCode, `${url} ${res.body.slice(0, 2000)}`).toBe(200);
      for (const text of shown) expect(res.body, `${url} shows ${String(text)}`).toContain(text);
      expect(res.body, url).not.toMatch(/NaN,|Invalid Date|undefined|\[object Object\]/);
    }
  });

  it("movr run's reads and ending a ride started at infinity or BC (the fare is capped, never NaN)", async () => {
    const ctx = testContext(database);
    const active = await listActiveRides(ctx, "boston", 100);
    expect(active.map((r) => r.id)).toContain(R(6));
    const page = await listVehicles(ctx, { city: "boston", limit: 100 });
    expect(page.vehicles.find((v) => v.id === V(2))?.createdAt?.toISOString()).toBe("infinity");
    const ended = await endRide(ctx, { city: "boston", rideId: R(6), location: "B", actor: "system" });
    expect(ended.revenue).toMatch(/^\d+\.\d\d$/);
    await database.exec(
      `INSERT INTO rides (city, id, vehicle_city, vehicle_id, rider_id, start_address, start_time)
       VALUES ('boston', '${R(7)}', 'boston', '${V(24)}', '${me.id}', 'A', '0044-03-15 00:00:00 BC')`,
    );
    const res = await app.inject({
      method: "POST",
      url: `/api/v1/cities/boston/rides/${R(7)}/end`,
      headers: me.headers,
      payload: { location: "C" },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({
      ride: { startedAt: "-000043-03-15T00:00:00.000Z", revenue: "100.00" },
    });
  });
});
