// Hot reads past Drizzle's row mapping (src/db/prepared.ts preparedRead, src/db/driver-rows.ts):
// the rows must be exactly what Drizzle's own `.execute()` returns for the same statement, on
// every target, on its own and in a transaction; and the timestamp reader must give the Date
// Drizzle's `new Date(text + "+0000")` gives, for every text a database may print.
import { and, asc, eq, getTableColumns, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../src/db/database.ts";
import { timestampFromText } from "../../src/db/driver-rows.ts";
import { OutOfRangeTime } from "../../src/shared/calendar.ts";
import { preparedRead } from "../../src/db/prepared.ts";
import {
  findRide,
  findRideToEnd,
  finishRide,
  logRideLocation,
  startRideRow,
} from "../../src/rides/ride.repository.ts";
import { runTransaction } from "../../src/db/transaction.ts";
import { promoCodes, userPromoCodes } from "../../src/promo-codes/promo-code.table.ts";
import { users } from "../../src/users/user.table.ts";
import { vehicles } from "../../src/vehicles/vehicle.table.ts";
import { dropServerDatabases, openMigrated, TARGETS } from "../support/databases.ts";

afterAll(dropServerDatabases);

const drizzleDate = (text: string) => new Date(`${text}+0000`);
const same = (a: Date, b: Date) =>
  Number.isNaN(a.getTime()) ? Number.isNaN(b.getTime()) : a.getTime() === b.getTime();

describe("timestampFromText", () => {
  it("reads what the databases print as the Date Drizzle makes of it", () => {
    const texts = [
      "2026-05-12 00:06:21",
      "2026-05-12 00:06:21.8",
      "2026-05-12 00:06:21.85",
      "2026-05-12 00:06:21.805",
      "2026-05-12 00:06:21.8059",
      "2026-05-12 00:06:21.80599",
      "2026-05-12 23:59:59.999999",
      "2024-02-29 12:00:00",
      "2000-02-29 00:00:00.000001",
      "1000-01-01 00:00:00",
      "9999-12-31 23:59:59.999999",
      "1970-01-01 00:00:00",
      "1969-12-31 23:59:59.5",
      "1900-03-01 00:00:00",
    ];
    for (const text of texts)
      expect(timestampFromText(text).toISOString(), text).toBe(drizzleDate(text).toISOString());
  });

  it("agrees with the Date parser across four centuries, a few hours and milliseconds apart", () => {
    const pad = (n: number, w = 2) => String(n).padStart(w, "0");
    let checked = 0;
    for (
      let t = Date.UTC(1850, 0, 1);
      t < Date.UTC(2250, 0, 1);
      t += 86_400_000 * 13 + 3_600_000 * 7 + 60_017 * 11 + 123
    ) {
      const d = new Date(t);
      const base = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
      const micros = `${pad(d.getUTCMilliseconds(), 3)}${pad(checked % 1000, 3)}`;
      for (const text of [base, `${base}.${micros}`, `${base}.${micros.slice(0, 1 + (checked % 6))}`]) {
        const ours = timestampFromText(text);
        if (!same(ours, drizzleDate(text)))
          expect(ours.toISOString(), text).toBe(drizzleDate(text).toISOString());
      }
      checked++;
    }
    expect(checked).toBeGreaterThan(10_000);
  });

  it("reads years before 1000, BC and past 9999 exactly, where Drizzle's Date parser did not (ADR 022)", () => {
    const cases: [string, string][] = [
      ["0999-12-31 00:00:00", "0999-12-31T00:00:00.000Z"],
      // The Date parser: 2001-02-01.
      ["0002-01-01 00:00:00", "0002-01-01T00:00:00.000Z"],
      ["0001-01-01 00:00:00 BC", "0000-01-01T00:00:00.000Z"],
      ["0044-03-15 12:30:45.678901 BC", "-000043-03-15T12:30:45.678Z"],
      ["0005-02-29 00:00:00 BC", "-000004-02-29T00:00:00.000Z"],
      ["4714-11-24 00:00:00 BC", "-004713-11-24T00:00:00.000Z"],
      ["10000-01-01 00:00:00", "+010000-01-01T00:00:00.000Z"],
      ["275760-09-13 00:00:00", "+275760-09-13T00:00:00.000Z"],
    ];
    for (const [text, iso] of cases) {
      const d = timestampFromText(text);
      expect(d, text).not.toBeInstanceOf(OutOfRangeTime);
      expect(d.toISOString(), text).toBe(iso);
    }
  });

  it("reads infinity, -infinity and years past Date's range as an OutOfRangeTime that orders as SQL does", () => {
    const cases: [string, string, number][] = [
      ["infinity", "infinity", Infinity],
      ["-infinity", "-infinity", -Infinity],
      ["275760-09-13 00:00:00.001", "+275760-09-13T00:00:00.001Z", Infinity],
      ["294276-12-31 23:59:59.999999", "+294276-12-31T23:59:59.999Z", Infinity],
    ];
    const now = new Date();
    for (const [text, shown, order] of cases) {
      const d = timestampFromText(text);
      expect(d, text).toBeInstanceOf(OutOfRangeTime);
      expect(d.toISOString(), text).toBe(shown);
      expect(JSON.stringify({ d }), text).toBe(`{"d":"${shown}"}`);
      expect(d.valueOf(), text).toBe(order);
      expect(order > 0 ? now < d : d < now, text).toBe(true);
      expect(Number.isNaN(d.getTime()), text).toBe(true);
    }
  });

  it("reads a text in no ISO date style as an OutOfRangeTime showing it, never a guess of the Date parser", () => {
    // V8's parser reads "garbage+0000" and "infinity+0000" as 2000-01-01, 2026-02-30 as March 2.
    for (const text of [
      "garbage",
      "2026-02-30 00:00:00",
      "2026-13-01 00:00:00",
      "2026-05-12T00:06:21",
      "2026-05-12 24:00:00",
      "2026-05-12 00:06:2x",
      "2026-05-12 00:06:21.",
      "2026-05-12 00:06:21.1234567",
      "0000-01-01 00:00:00 BC",
      "",
    ]) {
      const d = timestampFromText(text);
      expect(d, text).toBeInstanceOf(OutOfRangeTime);
      expect(d.toISOString(), text).toBe(text);
    }
  });
});

describe.each(TARGETS)("preparedRead on $name", (target) => {
  let database: Database;
  beforeAll(async () => {
    database = await openMigrated(target);
    const owner = "00000000-0000-4000-8000-000000000001";
    await database.exec(
      `INSERT INTO users (id, city, name, is_owner) VALUES ('${owner}', 'rome', 'Olga Owner', true);
       INSERT INTO vehicles (id, city, type, owner_id, creation_time, status, current_location, ext) VALUES
         ('00000000-0000-4000-8000-00000000000a', 'rome', 'bike', '${owner}', '2026-05-12 00:06:21.805123', 'available', 'Via Appia 1', '{"color": "red", "brand": "Bianchi"}'),
         ('00000000-0000-4000-8000-00000000000b', 'rome', NULL, NULL, NULL, NULL, NULL, NULL),
         ('00000000-0000-4000-8000-00000000000c', 'rome', 'scooter', '${owner}', '0500-01-01 00:00:00', 'lost', 'Via Appia 2', '{}');
       INSERT INTO promo_codes (code, description, creation_time, expiration_time, rules) VALUES
         ('A_1', 'ten off', '2026-01-01 00:00:00', NULL, '{"type": "percent_discount", "value": "10%"}');
       INSERT INTO user_promo_codes (city, user_id, code, "timestamp", usage_count) VALUES
         ('rome', '${owner}', 'A_1', '2026-02-01 10:00:00.5', 3);`,
    );
  });
  afterAll(async () => {
    await database?.close();
  });

  const P = sql.placeholder;
  const columns = getTableColumns(vehicles);
  const vehicleList = (db: Database["db"]) =>
    db
      .select(columns)
      .from(vehicles)
      .where(eq(vehicles.city, P("city")))
      .orderBy(asc(vehicles.id))
      .limit(P("limit"));
  const readVehicles = preparedRead("test_vehicles", columns, vehicleList);

  // A table nested under a key, a second table through an inner join, an INT8 count with its
  // decoder (a string from node-postgres) and an expression without one.
  const applied = {
    applied: userPromoCodes,
    promo: promoCodes,
    times:
      sql<number>`(SELECT count(*) FROM user_promo_codes AS u WHERE u.code = ${promoCodes.code})`.mapWith(
        Number,
      ),
    startKey: sql<string>`${userPromoCodes.timestamp}::text`,
  };
  const appliedList = (db: Database["db"], selection: typeof applied) =>
    db
      .select(selection)
      .from(userPromoCodes)
      .innerJoin(promoCodes, eq(promoCodes.code, userPromoCodes.code))
      .where(and(eq(userPromoCodes.city, P("city"))));
  const readApplied = preparedRead("test_applied", applied, appliedList);

  it("returns what Drizzle's execute() returns: NULLs, JSON, timestamps, an old year", async () => {
    const values = { city: "rome", limit: 10 };
    const ours = await runTransaction(database, (tx) => readVehicles(tx, values), { singleStatement: true });
    const drizzle = await vehicleList(database.db).execute(values);
    expect(ours).toEqual(drizzle);
    expect(ours).toHaveLength(3);
    expect(ours[0]?.creationTime?.toISOString()).toBe("2026-05-12T00:06:21.805Z");
    expect(ours[0]?.ext).toEqual({ color: "red", brand: "Bianchi" });
    expect(ours[1]).toEqual({ ...ours[1], type: null, ownerId: null, creationTime: null, ext: null });
  });

  it("nests tables and decodes expressions as Drizzle does, in a transaction too", async () => {
    const values = { city: "rome" };
    const drizzle = await appliedList(database.db, applied).execute(values);
    expect(drizzle).toHaveLength(1);
    expect(await readApplied(database.db, values)).toEqual(drizzle);
    const inTx = await runTransaction(database, (tx) => readApplied(tx, values), { readOnly: true });
    expect(inTx).toEqual(drizzle);
    expect(inTx[0]?.times).toBe(1);
    expect(inTx[0]?.applied.usageCount).toBe(3);
  });

  it("reads a ride to end as Drizzle reads the ride, its left-joined vehicle type NULL or not", async () => {
    const owner = "00000000-0000-4000-8000-000000000001";
    const [withVehicle, without] = [
      "00000000-0000-4000-8000-0000000000e1",
      "00000000-0000-4000-8000-0000000000e2",
    ];
    await database.exec(
      `INSERT INTO rides (id, city, vehicle_city, rider_id, vehicle_id, start_address, start_time) VALUES
         ('${withVehicle}', 'rome', 'rome', '${owner}', '00000000-0000-4000-8000-00000000000a', 'Via Appia 1', '2026-05-12 00:06:21.805123'),
         ('${without}', 'rome', 'rome', NULL, NULL, NULL, NULL);`,
    );
    const now = new Date("2026-06-01T00:00:00Z");
    const read = (id: string, riderId?: string) =>
      runTransaction(database, (tx) => findRideToEnd(tx, "rome", id, now, riderId), { readOnly: true });
    const ride = await findRide(database.db, "rome", withVehicle);
    const expected = {
      ride,
      vehicleType: "bike",
      promoRules: [{ type: "percent_discount", value: "10%" }],
    };
    expect(await read(withVehicle)).toEqual(expected);
    expect(await read(withVehicle, owner)).toEqual(expected);
    expect(await read(without)).toEqual({
      ride: await findRide(database.db, "rome", without),
      vehicleType: null,
      promoRules: [],
    });
  });

  it("reads the rows a ride's start, end and logged locations return as Drizzle reads the ride", async () => {
    const [rider, vehicle, id] = [
      "00000000-0000-4000-8000-0000000000f1",
      "00000000-0000-4000-8000-0000000000f2",
      "00000000-0000-4000-8000-0000000000f3",
    ];
    await database.exec(
      `INSERT INTO users (id, city, name) VALUES ('${rider}', 'rome', 'Rita Rider');
       INSERT INTO vehicles (id, city, type, owner_id, status, current_location) VALUES
         ('${vehicle}', 'rome', 'bike', '00000000-0000-4000-8000-000000000001', 'available', 'Via Appia 3');`,
    );
    const startTime = new Date("2026-06-01T10:00:00.123Z");
    const started = await runTransaction(
      database,
      (tx) => startRideRow(tx, { id, city: "rome", riderId: rider, vehicleId: vehicle, startTime }),
      { singleStatement: true },
    );
    expect(started).toEqual(await findRide(database.db, "rome", id));
    expect(started?.startTime?.toISOString()).toBe("2026-06-01T10:00:00.123Z");
    const point = (at: string) => ({
      city: "rome",
      rideId: id,
      lat: 41.9,
      long: 12.5,
      timestamp: new Date(at),
    });
    const logged = await logRideLocation(database.db, point("2026-06-01T10:01:00Z"), {
      city: "rome",
      id: rider,
    });
    expect(logged).toStrictEqual({ city: "rome", riderId: rider, endTime: null, logged: true });
    const ended = await runTransaction(database, (tx) =>
      finishRide(
        tx,
        { city: "rome", id, vehicleId: vehicle, riderId: rider },
        { endAddress: "Via Appia 4", endTime: new Date("2026-06-01T10:05:00Z"), revenue: "2.25" },
      ),
    );
    expect(ended).toEqual(await findRide(database.db, "rome", id));
    expect(ended).toMatchObject({ endAddress: "Via Appia 4", revenue: "2.25", riderId: rider });
    // Logging into the ended ride: nothing goes in, and the ride's end reads as Drizzle reads it.
    expect(await logRideLocation(database.db, point("2026-06-01T10:06:00Z"), null)).toStrictEqual({
      city: "rome",
      riderId: rider,
      endTime: ended?.endTime,
      logged: false,
    });
    expect(ended?.endTime).toBeInstanceOf(Date);
  });

  it("refuses a selection it cannot read", () => {
    const bad = preparedRead("test_bad", { nested: { id: users.id } }, (db, s) => db.select(s).from(users));
    return expect(bad(database.db, {})).rejects.toThrow(/not a column/);
  });
});
