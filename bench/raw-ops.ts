// The baselines' operations: what MovR's services do, written by hand over bare `pg` (raw-sql.ts),
// issuing MovR's own statements (the texts are Drizzle's, as test/sql/catalogue.txt lists them)
// with the fewest round trips: a single-statement read or write runs on its own, never inside
// BEGIN/COMMIT; a pick (a random user, vehicle or code) is one read, and a second only when
// the first found nothing. Used by the HTTP baseline server and the raw `movr run` mix.
//
// Imports nothing that loads Drizzle or PGlite (the HTTP baseline server's memory is measured).
import { centsToDecimal, computeFare, parsePercent } from "../src/rides/ride.fare.ts";
import { maxOf } from "../src/shared/arrays.ts";
import type { VehicleType } from "../src/vehicles/vehicle.table.ts";
import { sqlStateOf, type RawDb, type Row } from "./raw-sql.ts";

/** An expected refusal (a 4xx for the HTTP baseline, a conflict for the workload). */
export class RawRefusal extends Error {
  constructor(readonly code: string) {
    super(code);
  }
}

const USER_COLS = `"id", "city", "name", "address", "credit_card", "username", "email", "password_hash", "is_owner", "deactivated_at"`;
const VEHICLE_COLS = `"id", "city", "type", "owner_id", "creation_time", "status", "current_location", "ext"`;
const RIDE_COLS = `"id", "city", "vehicle_city", "rider_id", "vehicle_id", "start_address", "end_address", "start_time", "end_time", "revenue"`;
const PROMO_COLS = `"code", "description", "creation_time", "expiration_time", "rules"`;

export const SQL = {
  sessionUser: `select "users"."id", "users"."city", "users"."name", "users"."address", "users"."credit_card", "users"."username", "users"."email", "users"."password_hash", "users"."is_owner", "users"."deactivated_at" from "sessions" inner join "users" on ("users"."city" = "sessions"."user_city" and "users"."id" = "sessions"."user_id") where ("sessions"."user_city" = $1 and "sessions"."token_hash" = $2 and "sessions"."revoked_at" is null and "sessions"."expires_at" > $3 and "users"."deactivated_at" is null)`,
  listVehicles: `select ${VEHICLE_COLS} from "vehicles" where "vehicles"."city" = $1 order by "vehicles"."id" asc limit $2`,
  findUser: `select ${USER_COLS} from "users" where ("users"."city" = $1 and "users"."id" = $2)`,
  findVehicle: `select ${VEHICLE_COLS} from "vehicles" where ("vehicles"."city" = $1 and "vehicles"."id" = $2)`,
  claimVehicle: `update "vehicles" set "status" = $1 where ("vehicles"."city" = $2 and "vehicles"."id" = $3 and "vehicles"."status" = $4) returning "current_location"`,
  insertRide: `insert into "rides" (${RIDE_COLS}) values ($1, $2, $3, $4, $5, $6, default, $7, default, default) returning ${RIDE_COLS}`,
  countCodeUse: `update "user_promo_codes" set "usage_count" = coalesce("user_promo_codes"."usage_count", 0) + 1 where ("user_promo_codes"."city" = $1 and "user_promo_codes"."user_id" = $2 and exists (select "code" from "promo_codes" where ("promo_codes"."code" = "user_promo_codes"."code" and ("promo_codes"."expiration_time" is null or "promo_codes"."expiration_time" > $3))))`,
  rideToEnd: `select "rides"."id", "rides"."city", "rides"."vehicle_city", "rides"."rider_id", "rides"."vehicle_id", "rides"."start_address", "rides"."end_address", "rides"."start_time", "rides"."end_time", "rides"."revenue", "vehicles"."type", ( SELECT json_agg("promo_codes"."rules") FROM "user_promo_codes" INNER JOIN "promo_codes" ON "promo_codes"."code" = "user_promo_codes"."code" WHERE "user_promo_codes"."city" = "rides"."city" AND "user_promo_codes"."user_id" = "rides"."rider_id" AND ("promo_codes"."expiration_time" IS NULL OR "promo_codes"."expiration_time" > $1)) from "rides" left join "vehicles" on ("vehicles"."city" = "rides"."vehicle_city" and "vehicles"."id" = "rides"."vehicle_id") where ("rides"."city" = $2 and "rides"."id" = $3)`,
  finishRide: `update "rides" set "end_address" = $1, "end_time" = GREATEST($2::timestamp, COALESCE("rides"."start_time", $3::timestamp)), "revenue" = $4 where ("rides"."city" = $5 and "rides"."id" = $6 and "rides"."end_time" is null) returning ${RIDE_COLS}`,
  releaseVehicle: `update "vehicles" set "status" = $1, "current_location" = $2 where ("vehicles"."city" = $3 and "vehicles"."id" = $4 and "vehicles"."status" = $5) returning "current_location"`,
  activeRides: `select ${RIDE_COLS} from "rides" where ("rides"."city" = $1 and "rides"."end_time" is null) order by "rides"."start_time" asc nulls first, "rides"."id" asc limit $2`,
  findRide: `select ${RIDE_COLS} from "rides" where ("rides"."city" = $1 and "rides"."id" = $2)`,
  insertLocation: `insert into "vehicle_location_histories" ("city", "ride_id", "timestamp", "lat", "long") values ($1, $2, $3, $4, $5)`,
  insertPromoCode: `insert into "promo_codes" (${PROMO_COLS}) values ($1, $2, $3, $4, $5) returning ${PROMO_COLS}`,
  usersAfter: `select ${USER_COLS} from "users" where ("users"."city" = $1 and "users"."deactivated_at" is null and "users"."id" > $2) order by "users"."id" asc limit $3`,
  usersFirst: `select ${USER_COLS} from "users" where ("users"."city" = $1 and "users"."deactivated_at" is null) order by "users"."id" asc limit $2`,
  vehiclesAfter: `select ${VEHICLE_COLS} from "vehicles" where ("vehicles"."city" = $1 and "vehicles"."status" = $2 and "vehicles"."id" > $3) order by "vehicles"."id" asc limit $4`,
  vehiclesFirst: `select ${VEHICLE_COLS} from "vehicles" where ("vehicles"."city" = $1 and "vehicles"."status" = $2) order by "vehicles"."id" asc limit $3`,
  codesAfter: `select "code" from "promo_codes" where "promo_codes"."code" > $1 order by "promo_codes"."code" asc limit $2`,
  codesFirst: `select "code" from "promo_codes" order by "promo_codes"."code" asc limit $1`,
  findPromoCode: `select ${PROMO_COLS}, (SELECT count(*) FROM "user_promo_codes" AS applied WHERE applied.code = "promo_codes".code) from "promo_codes" where "promo_codes"."code" = $1`,
  insertUserPromoCode: `insert into "user_promo_codes" ("city", "user_id", "code", "timestamp", "usage_count") values ($1, $2, $3, $4, $5)`,
  insertUser: `insert into "users" (${USER_COLS}) values ($1, $2, $3, $4, $5, default, default, default, default, default) returning ${USER_COLS}`,
  insertVehicle: `insert into "vehicles" (${VEHICLE_COLS}) values ($1, $2, $3, $4, $5, $6, $7, $8) returning ${VEHICLE_COLS}`,
  setOwner: `update "users" set "is_owner" = $1 where ("users"."city" = $2 and "users"."id" = $3)`,
} as const;

/** The user of a live session (one implicit read). */
export async function sessionUser(db: RawDb, city: string, tokenHash: string): Promise<Row | undefined> {
  return (await db.one(SQL.sessionUser, [city, tokenHash, new Date().toISOString()])).rows[0];
}

/** `limit` + 1 vehicles of a city (one implicit read). */
export async function listVehicles(db: RawDb, city: string, limit: number): Promise<Row[]> {
  return (await db.one(SQL.listVehicles, [city, limit + 1])).rows;
}

/** startRide: the rider's home city, claim the vehicle, insert the ride, count code uses. */
export async function startRide(
  db: RawDb,
  ride: { id: string; city: string; riderId: string; vehicleId: string; now: Date },
): Promise<Row> {
  const { id, city, riderId, vehicleId, now } = ride;
  return db.tx(false, async (q) => {
    const rider = (await q(SQL.findUser, [city, riderId])).rows[0];
    if (!rider || rider.deactivated_at) throw new RawRefusal("invalid_request");
    const claimed = (await q(SQL.claimVehicle, ["in_use", city, vehicleId, "available"])).rows[0];
    if (!claimed) {
      const vehicle = (await q(SQL.findVehicle, [city, vehicleId])).rows[0];
      throw new RawRefusal(!vehicle || vehicle.status === "removed" ? "not_found" : "vehicle_unavailable");
    }
    const inserted = await q(SQL.insertRide, [
      id,
      city,
      city,
      riderId,
      vehicleId,
      claimed.current_location,
      now,
    ]).catch((err: unknown) => {
      if (sqlStateOf(err) === "23505") throw new RawRefusal("already_riding");
      throw err;
    });
    await q(SQL.countCodeUse, [city, riderId, now]);
    return inserted.rows[0]!;
  });
}

/** endRide: ride + vehicle type + valid promo rules in one read, the fare, the end, the vehicle back. */
export async function endRide(
  db: RawDb,
  end: { city: string; rideId: string; location: string; now: Date; riderId?: string },
): Promise<Row> {
  const { city, rideId, location, now } = end;
  return db.tx(false, async (q) => {
    const ride = (await q(SQL.rideToEnd, [now.toISOString(), city, rideId])).rows[0];
    if (!ride) throw new RawRefusal("not_found");
    if (end.riderId !== undefined && ride.rider_id !== end.riderId) throw new RawRefusal("forbidden");
    if (ride.end_time) throw new RawRefusal("ride_already_ended");
    const rules = (ride.json_agg ?? []) as { type?: string; value?: string }[];
    const best = maxOf(
      rules.map((r) => (r?.type === "percent_discount" ? (parsePercent(r.value) ?? 0) : 0)),
      0,
    );
    const startedAt = (ride.start_time as Date | null) ?? now;
    const endTime = now < startedAt ? startedAt : now;
    const fare = computeFare((ride.type as VehicleType | null) ?? null, startedAt, endTime, best);
    const stamp = endTime.toISOString();
    const ended = (
      await q(SQL.finishRide, [location, stamp, stamp, centsToDecimal(fare.cents), city, rideId])
    ).rows[0];
    if (!ended) throw new RawRefusal("ride_already_ended");
    if (ride.vehicle_id)
      await q(SQL.releaseVehicle, ["available", location, city, ride.vehicle_id, "in_use"]);
    return ended;
  });
}

/** The first row after a random pivot, else the first row: one read, a second only on wrap-around. */
async function pick(
  db: RawDb,
  after: [string, unknown[]],
  first: [string, unknown[]],
): Promise<Row | undefined> {
  return (await db.one(after[0], after[1])).rows[0] ?? (await db.one(first[0], first[1])).rows[0];
}

export const pickUser = async (db: RawDb, city: string, pivot: string) =>
  (await pick(db, [SQL.usersAfter, [city, pivot, 1]], [SQL.usersFirst, [city, 1]]))?.id as string | undefined;

export const pickAvailableVehicle = async (db: RawDb, city: string, pivot: string) =>
  (
    await pick(
      db,
      [SQL.vehiclesAfter, [city, "available", pivot, 1]],
      [SQL.vehiclesFirst, [city, "available", 1]],
    )
  )?.id as string | undefined;

export const pickPromoCode = async (db: RawDb, pivot: string) =>
  (await pick(db, [SQL.codesAfter, [pivot, 1]], [SQL.codesFirst, [1]]))?.code as string | undefined;

export async function activeRides(db: RawDb, city: string, limit: number): Promise<Row[]> {
  return (await db.one(SQL.activeRides, [city, limit])).rows;
}

/** logLocation by the system: the ride must be active. */
export async function logLocation(
  db: RawDb,
  point: { city: string; rideId: string; at: Date; lat: number; long: number },
): Promise<void> {
  await db.tx(false, async (q) => {
    const ride = (await q(SQL.findRide, [point.city, point.rideId])).rows[0];
    if (!ride) throw new RawRefusal("not_found");
    if (ride.end_time) throw new RawRefusal("ride_already_ended");
    await q(SQL.insertLocation, [point.city, point.rideId, point.at, point.lat, point.long]).catch(
      (err: unknown) => {
        if (sqlStateOf(err) === "23505") throw new RawRefusal("location_already_logged");
        throw err;
      },
    );
  });
}

export async function createPromoCode(
  db: RawDb,
  code: { code: string; description: string; now: Date; expiresAt: Date; percent: number },
): Promise<void> {
  await db.one(SQL.insertPromoCode, [
    code.code,
    code.description,
    code.now,
    code.expiresAt,
    { type: "percent_discount", value: `${code.percent}%` },
  ]);
}

export async function applyPromoCode(
  db: RawDb,
  apply: { city: string; userId: string; code: string; now: Date },
): Promise<void> {
  const { city, userId, code, now } = apply;
  await db.tx(false, async (q) => {
    const user = (await q(SQL.findUser, [city, userId])).rows[0];
    if (!user || user.deactivated_at) throw new RawRefusal("not_found");
    const promo = (await q(SQL.findPromoCode, [code])).rows[0];
    if (!promo) throw new RawRefusal("not_found");
    if (promo.expiration_time && (promo.expiration_time as Date) <= now)
      throw new RawRefusal("promo_code_expired");
    await q(SQL.insertUserPromoCode, [city, userId, code, now, 0]).catch((err: unknown) => {
      if (sqlStateOf(err) === "23505") throw new RawRefusal("promo_code_already_applied");
      throw err;
    });
  });
}

export async function addUser(
  db: RawDb,
  user: { id: string; city: string; name: string; address: string; creditCard: string },
): Promise<void> {
  await db.one(SQL.insertUser, [user.id, user.city, user.name, user.address, user.creditCard]);
}

export async function addVehicle(
  db: RawDb,
  v: { id: string; city: string; ownerId: string; type: string; location: string; ext: object; now: Date },
): Promise<void> {
  await db.tx(false, async (q) => {
    const owner = (await q(SQL.findUser, [v.city, v.ownerId])).rows[0];
    if (!owner || owner.deactivated_at) throw new RawRefusal("not_found");
    await q(SQL.insertVehicle, [v.id, v.city, v.type, v.ownerId, v.now, "available", v.location, v.ext]);
    if (!owner.is_owner) await q(SQL.setOwner, [true, v.city, v.ownerId]);
  });
}
