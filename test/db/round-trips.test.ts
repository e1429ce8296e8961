// Round trips per operation, BEGIN and COMMIT included, counted on the real databases: a
// single-statement read or write runs as an implicit SERIALIZABLE transaction (no BEGIN/COMMIT),
// and no hot path sends more statements than listed here. A change that adds one fails here.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { authenticate, login, logout, register } from "../../src/auth/auth.service.ts";
import { parseServerUrl, SERIALIZABLE_BY_DEFAULT, type Database } from "../../src/db/database.ts";
import { applyPromoCode, createPromoCode, pickPromoCode } from "../../src/promo-codes/promo-code.service.ts";
import {
  endRide,
  getActiveRide,
  listActiveRides,
  logLocation,
  startRide,
} from "../../src/rides/ride.service.ts";
import { addUser, getUser, pickUser } from "../../src/users/user.service.ts";
import {
  addVehicle,
  getVehicle,
  listVehicles,
  pickAvailableVehicle,
} from "../../src/vehicles/vehicle.service.ts";
import { dropServerDatabases, openMigrated, TARGETS, testContext } from "../support/databases.ts";
import { countStatements, type StatementCounter } from "../support/round-trips.ts";

afterAll(dropServerDatabases);

/** Statements each operation sends, and whether they run inside BEGIN ... COMMIT. */
const EXPECTED = {
  "session lookup": { statements: 1, transaction: false },
  login: { statements: 2, transaction: false },
  logout: { statements: 1, transaction: false },
  "list vehicles": { statements: 1, transaction: false },
  "get vehicle": { statements: 1, transaction: false },
  "get user": { statements: 1, transaction: false },
  "add user": { statements: 1, transaction: false },
  "active ride": { statements: 1, transaction: false },
  "start ride": { statements: 1, transaction: false },
  "log location": { statements: 1, transaction: false },
  "end ride": { statements: 2, transaction: true },
  // Through the rider's active ride (ADR 019): as many.
  "end ride by its rider": { statements: 2, transaction: true },
  // The rest of the workload's operations (src/workload/workload.ts).
  "active rides": { statements: 1, transaction: false },
  "pick user": { statements: 1, transaction: false },
  "pick vehicle": { statements: 1, transaction: false },
  "pick promo code": { statements: 1, transaction: false },
  "create promo code": { statements: 1, transaction: false },
  "apply promo code": { statements: 3, transaction: true },
  "add vehicle": { statements: 2, transaction: true },
} as const;

/** Operations whose statements are prepared once and sent by name (src/db/prepared.ts). */
const HOT_PATHS: ReadonlySet<string> = new Set([
  "session lookup",
  "list vehicles",
  "start ride",
  "log location",
  "end ride",
  "end ride by its rider",
  "active rides",
  "pick user",
  "pick vehicle",
  "pick promo code",
  "add user",
  "create promo code",
  "apply promo code",
  "add vehicle",
]);

it("keeps a URL's own start-up options next to the SERIALIZABLE default", () => {
  expect(parseServerUrl("postgresql://u@h/db").options).toBe(SERIALIZABLE_BY_DEFAULT);
  const parsed = parseServerUrl("postgresql://u@h/db?options=-c%20search_path%3Dmovr");
  expect(parsed.options).toBe(`-c search_path=movr ${SERIALIZABLE_BY_DEFAULT}`);
  expect(parsed.connectionString).not.toContain("options");
});

describe.each(TARGETS)("round trips on $name", (target) => {
  let database: Database;
  let counter: StatementCounter;
  const ctx = () => testContext(database);
  // BEGIN and COMMIT: PGlite's read-write transactions need no SET TRANSACTION (see openEmbedded).
  const txOverhead = 2;
  const measured: Record<string, number> = {};

  // Statements the hot paths sent without a server-side name (BEGIN and COMMIT aside).
  const unnamed: Record<string, string[]> = {};

  async function measure(name: keyof typeof EXPECTED, op: () => Promise<unknown>): Promise<void> {
    counter.reset();
    await op();
    measured[name] = counter.count();
    if (HOT_PATHS.has(name)) {
      const texts = counter.texts();
      const missing = counter
        .names()
        .flatMap((n, i) =>
          n?.startsWith("movr_") || /^(BEGIN|COMMIT)\b/i.test(texts[i]!) ? [] : [texts[i]!],
        );
      if (missing.length > 0) unnamed[name] = missing;
    }
  }

  beforeAll(async () => {
    database = await openMigrated(target);
    counter = countStatements(database);
  });
  afterAll(async () => {
    counter?.restore();
    await database?.close();
  });

  it("runs every connection at SERIALIZABLE by default, so a statement on its own is serializable", async () => {
    // Several at once, so a pool opens more than one connection.
    const all = await Promise.all(
      [1, 2, 3].map(() =>
        database.query<{ level: string }>("SELECT current_setting('default_transaction_isolation') AS level"),
      ),
    );
    for (const r of all) expect(r.rows[0]?.level).toBe("serializable");
  });

  it("sends no more statements per operation than listed", async () => {
    const rider = await register(ctx(), {
      city: "boston",
      name: "Rita Rider",
      username: "rita",
      email: "rita@example.com",
      password: "a long enough password",
    });
    const owner = await addUser(ctx(), { city: "boston", name: "Owen Owner" });
    const vehicle = await addVehicle(ctx(), {
      ownerCity: "boston",
      ownerId: owner.id,
      type: "bike",
      location: "1 Main St",
      color: "red",
    });

    let token = "";
    await measure("login", async () => {
      token = (await login(ctx(), { username: "rita", password: "a long enough password" })).token;
    });
    await measure("session lookup", async () => expect(await authenticate(ctx(), token)).toBeDefined());
    await measure("list vehicles", () => listVehicles(ctx(), { city: "boston", limit: 25 }));
    await measure("get vehicle", () => getVehicle(ctx(), "boston", vehicle.id));
    await measure("get user", () => getUser(ctx(), "boston", rider.id));
    await measure("add user", () => addUser(ctx(), { city: "boston", name: "Nina New" }));
    let rideId = "";
    await measure("start ride", async () => {
      rideId = (await startRide(ctx(), { city: "boston", vehicleId: vehicle.id, riderId: rider.id })).id;
    });
    await measure("active ride", () => getActiveRide(ctx(), "boston", rider.id));
    await measure("log location", () =>
      logLocation(ctx(), { city: "boston", rideId, lat: 42.36, long: -71.06, actor: "system" }),
    );
    await measure("end ride", () =>
      endRide(ctx(), { city: "boston", rideId, location: "2 Main St", actor: "system" }),
    );
    const again = await startRide(ctx(), { city: "boston", vehicleId: vehicle.id, riderId: rider.id });
    await measure("end ride by its rider", () =>
      endRide(ctx(), {
        city: "boston",
        rideId: again.id,
        location: "3 Main St",
        actor: { riderCity: "boston", riderId: rider.id },
      }),
    );
    await measure("logout", () => logout(ctx(), token));
    await measure("active rides", () => listActiveRides(ctx(), "boston", 10));
    await measure("pick user", () => pickUser(ctx(), "boston"));
    await measure("pick vehicle", () => pickAvailableVehicle(ctx(), "boston"));
    await measure("create promo code", () =>
      createPromoCode(ctx(), {
        code: "RT_10",
        discountPercent: 10,
        expiresAt: new Date(Date.now() + 86_400_000),
      }),
    );
    await measure("pick promo code", () => pickPromoCode(ctx(), "A"));
    await measure("apply promo code", () =>
      applyPromoCode(ctx(), { city: "boston", userId: rider.id, code: "RT_10" }),
    );
    // The owner is one already: no owner flag to set.
    await measure("add vehicle", () =>
      addVehicle(ctx(), {
        ownerCity: "boston",
        ownerId: owner.id,
        type: "bike",
        location: "3 Main St",
        color: "red",
      }),
    );

    const expected = Object.fromEntries(
      Object.entries(EXPECTED).map(([name, e]) => [name, e.statements + (e.transaction ? txOverhead : 0)]),
    );
    expect(measured).toEqual(expected);
    // node-postgres sends a name with each prepared statement; PGlite's driver takes none.
    if (target.name === "postgres") expect(unnamed).toEqual({});
  });
});
