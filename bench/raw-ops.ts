// The baselines' operations: what MovR's services do, written by hand over bare `pg` (raw-sql.ts),
// issuing MovR's own statements (the texts are Drizzle's, as test/sql/catalogue.txt lists them)
// with the fewest round trips: a single-statement read or write runs on its own, never inside
// BEGIN/COMMIT; a pick (a random user, vehicle or code) is one read. Used by the HTTP baseline
// server and the raw `movr run` mix.
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
  startRide: `with "rider" as (select "id" from "users" where ("users"."city" = $1 and "users"."id" = $2 and "users"."deactivated_at" is null)), "claimed" as (update "vehicles" set "status" = $3 where ("vehicles"."city" = $4 and "vehicles"."id" = $5 and "vehicles"."status" = $6 and EXISTS (SELECT 1 FROM "rider")) returning "current_location"), "ride" as (insert into "rides" (${RIDE_COLS}) SELECT $7::uuid, $8, $9, $10::uuid, $11::uuid, "claimed"."current_location", NULL, $12::timestamp, NULL, NULL FROM "claimed" returning ${RIDE_COLS}), "counted" as (update "user_promo_codes" set "usage_count" = coalesce("user_promo_codes"."usage_count", 0) + 1 where ("user_promo_codes"."city" = $13 and "user_promo_codes"."user_id" = $14 and EXISTS (SELECT 1 FROM "ride") and exists (select "code" from "promo_codes" where ("promo_codes"."code" = "user_promo_codes"."code" and ("promo_codes"."expiration_time" is null or "promo_codes"."expiration_time" > $15))))) select ${RIDE_COLS} from "ride"`,
  rideToEnd: `select "rides"."id", "rides"."city", "rides"."vehicle_city", "rides"."rider_id", "rides"."vehicle_id", "rides"."start_address", "rides"."end_address", "rides"."start_time", "rides"."end_time", "rides"."revenue", "vehicles"."type", ( SELECT json_agg("promo_codes"."rules") FROM "user_promo_codes" INNER JOIN "promo_codes" ON "promo_codes"."code" = "user_promo_codes"."code" WHERE "user_promo_codes"."city" = "rides"."city" AND "user_promo_codes"."user_id" = "rides"."rider_id" AND ("promo_codes"."expiration_time" IS NULL OR "promo_codes"."expiration_time" > $1)) from "rides" left join "vehicles" on ("vehicles"."city" = "rides"."vehicle_city" and "vehicles"."id" = "rides"."vehicle_id") where ("rides"."city" = $2 and "rides"."id" = $3)`,
  finishRide: `with "ended" as (update "rides" set "end_address" = $1, "end_time" = GREATEST($2::timestamp, COALESCE("rides"."start_time", $3::timestamp)), "revenue" = $4::numeric where ("rides"."city" = $5 and "rides"."id" = $6 and "rides"."end_time" is null) returning ${RIDE_COLS}), "freed" as (update "vehicles" set "status" = $7, "current_location" = $8 where ("vehicles"."city" = $9 and "vehicles"."id" = $10 and "vehicles"."status" = $11 and EXISTS (SELECT 1 FROM "ended"))) select ${RIDE_COLS} from "ended"`,
  riderRideToEnd: `select "rides"."id", "rides"."city", "rides"."vehicle_city", "rides"."rider_id", "rides"."vehicle_id", "rides"."start_address", "rides"."end_address", "rides"."start_time", "rides"."end_time", "rides"."revenue", "vehicles"."type", ( SELECT json_agg("promo_codes"."rules") FROM "user_promo_codes" INNER JOIN "promo_codes" ON "promo_codes"."code" = "user_promo_codes"."code" WHERE "user_promo_codes"."city" = "rides"."city" AND "user_promo_codes"."user_id" = "rides"."rider_id" AND ("promo_codes"."expiration_time" IS NULL OR "promo_codes"."expiration_time" > $1)) from "rides" left join "vehicles" on ("vehicles"."city" = "rides"."vehicle_city" and "vehicles"."id" = "rides"."vehicle_id") where ("rides"."city" = $2 and "rides"."rider_id" = $3 and "rides"."id" = $4 and "rides"."end_time" is null)`,
  riderFinishRide: `with "ended" as (update "rides" set "end_address" = $1, "end_time" = GREATEST($2::timestamp, COALESCE("rides"."start_time", $3::timestamp)), "revenue" = $4::numeric where ("rides"."city" = $5 and "rides"."rider_id" = $6 and "rides"."id" = $7 and "rides"."end_time" is null) returning ${RIDE_COLS}), "freed" as (update "vehicles" set "status" = $8, "current_location" = $9 where ("vehicles"."city" = $10 and "vehicles"."id" = $11 and "vehicles"."status" = $12 and EXISTS (SELECT 1 FROM "ended"))) select ${RIDE_COLS} from "ended"`,
  activeRides: `select ${RIDE_COLS} from "rides" where ("rides"."city" = $1 and "rides"."end_time" is null) order by "rides"."start_time" asc nulls first, "rides"."id" asc limit $2`,
  logLocation: `with "ride" as (select "city", "rider_id", "end_time" from "rides" where ("rides"."city" = $1 and "rides"."id" = $2)), "logged" as (insert into "vehicle_location_histories" ("city", "ride_id", "timestamp", "lat", "long") SELECT $3, $4::uuid, $5::timestamp, $6::float8, $7::float8 FROM "ride" WHERE "ride"."end_time" IS NULL AND ($8::uuid IS NULL OR ("ride"."rider_id" = $9::uuid AND "ride"."city" = $10)) returning "ride_id") select "city", "rider_id", "end_time", EXISTS (SELECT 1 FROM "logged") as "logged" from "ride"`,
  insertPromoCode: `insert into "promo_codes" (${PROMO_COLS}) values ($1, $2, $3, $4, $5) returning ${PROMO_COLS}`,
  pickUser: `(select "id", 0 as "rank" from "users" where (("users"."city" = $1 and "users"."deactivated_at" is null) and "users"."id" > $2) order by "users"."id" asc limit $3) union all (select "id", 1 as "rank" from "users" where ("users"."city" = $4 and "users"."deactivated_at" is null) order by "users"."id" asc limit $5) order by "rank" limit $6`,
  pickVehicle: `(select "id", 0 as "rank" from "vehicles" where (("vehicles"."city" = $1 and "vehicles"."status" = $2) and "vehicles"."id" > $3) order by "vehicles"."id" asc limit $4) union all (select "id", 1 as "rank" from "vehicles" where ("vehicles"."city" = $5 and "vehicles"."status" = $6) order by "vehicles"."id" asc limit $7) order by "rank" limit $8`,
  pickCode: `(select "code", 0 as "rank" from "promo_codes" where "promo_codes"."code" > $1 order by "promo_codes"."code" asc limit $2) union all (select "code", 1 as "rank" from "promo_codes" order by "promo_codes"."code" asc limit $3) order by "rank" limit $4`,
  findPromoCode: `select ${PROMO_COLS}, (SELECT count(*) FROM "user_promo_codes" AS applied WHERE applied.code = "promo_codes".code) from "promo_codes" where "promo_codes"."code" = $1`,
  insertUserPromoCode: `insert into "user_promo_codes" ("city", "user_id", "code", "timestamp", "usage_count") values ($1, $2, $3, $4, $5)`,
  insertUser: `insert into "users" (${USER_COLS}) values ($1, $2, $3, $4, $5, $6, $7, $8, default, default) returning ${USER_COLS}`,
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

/** A unique violation is the refusal `code`; anything else passes unchanged. */
const refuseDuplicate = (code: string) => (err: unknown) => {
  throw sqlStateOf(err) === "23505" ? new RawRefusal(code) : err;
};

/**
 * startRide: one statement (the rider's home city, the claim, the ride, the codes' use count);
 * when it started nothing, two reads tell why (each on its own: a diagnosis needs no transaction).
 */
export async function startRide(
  db: RawDb,
  ride: { id: string; city: string; riderId: string; vehicleId: string; now: Date },
): Promise<Row> {
  const { id, city, riderId, vehicleId } = ride;
  const now = ride.now.toISOString();
  const started = await db
    .one(SQL.startRide, [
      city,
      riderId,
      "in_use",
      city,
      vehicleId,
      "available",
      id,
      city,
      city,
      riderId,
      vehicleId,
      now,
      city,
      riderId,
      now,
    ])
    .catch(refuseDuplicate("already_riding"));
  if (started.rows[0]) return started.rows[0];
  const rider = (await db.one(SQL.findUser, [city, riderId])).rows[0];
  if (!rider || rider.deactivated_at) throw new RawRefusal("invalid_request");
  const vehicle = (await db.one(SQL.findVehicle, [city, vehicleId])).rows[0];
  throw new RawRefusal(!vehicle || vehicle.status === "removed" ? "not_found" : "vehicle_unavailable");
}

/**
 * endRide: BEGIN, the ride with its vehicle's type and the rider's valid promo rules (one read),
 * the fare, then the end and the vehicle back in one statement, COMMIT. With `riderId`, as MovR
 * does (ADR 019): read and written as that rider's active ride (rides_one_active_per_rider), and
 * read by its key only when that found nothing, to tell why.
 */
export async function endRide(
  db: RawDb,
  end: { city: string; rideId: string; location: string; now: Date; riderId?: string },
): Promise<Row> {
  const { city, rideId, location, now } = end;
  return db.tx(false, async (q) => {
    const { riderId } = end;
    const at = now.toISOString();
    const ride =
      (riderId === undefined
        ? undefined
        : (await q(SQL.riderRideToEnd, [at, city, riderId, rideId])).rows[0]) ??
      (await q(SQL.rideToEnd, [at, city, rideId])).rows[0];
    if (!ride) throw new RawRefusal("not_found");
    if (riderId !== undefined && ride.rider_id !== riderId) throw new RawRefusal("forbidden");
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
    const fareText = centsToDecimal(fare.cents);
    const key = riderId === undefined ? [city, rideId] : [city, riderId, rideId];
    const freed = ["available", location, city, ride.vehicle_id, "in_use"];
    const ended = (
      await q(riderId === undefined ? SQL.finishRide : SQL.riderFinishRide, [
        location,
        stamp,
        stamp,
        fareText,
        ...key,
        ...freed,
      ])
    ).rows[0];
    if (!ended) throw new RawRefusal("ride_already_ended");
    return ended;
  });
}

/** The first key after a random pivot, else the first key: one read (a UNION ALL of both). */
const pick = async (db: RawDb, text: string, values: unknown[]) =>
  (await db.one(text, values)).rows[0]?.id as string | undefined;

export const pickUser = (db: RawDb, city: string, pivot: string) =>
  pick(db, SQL.pickUser, [city, pivot, 1, city, 1, 1]);

export const pickAvailableVehicle = (db: RawDb, city: string, pivot: string) =>
  pick(db, SQL.pickVehicle, [city, "available", pivot, 1, city, "available", 1, 1]);

export const pickPromoCode = async (db: RawDb, pivot: string) =>
  (await db.one(SQL.pickCode, [pivot, 1, 1, 1])).rows[0]?.code as string | undefined;

export async function activeRides(db: RawDb, city: string, limit: number): Promise<Row[]> {
  return (await db.one(SQL.activeRides, [city, limit])).rows;
}

/** logLocation by the system: one statement, the point going in only while the ride is active. */
export async function logLocation(
  db: RawDb,
  point: { city: string; rideId: string; at: Date; lat: number; long: number },
): Promise<void> {
  const { city, rideId } = point;
  const found = (
    await db
      .one(SQL.logLocation, [
        city,
        rideId,
        city,
        rideId,
        point.at.toISOString(),
        point.lat,
        point.long,
        null,
        null,
        null,
      ])
      .catch(refuseDuplicate("location_already_logged"))
  ).rows[0];
  if (!found) throw new RawRefusal("not_found");
  if (!found.logged) throw new RawRefusal("ride_already_ended");
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
    await q(SQL.insertUserPromoCode, [city, userId, code, now, 0]).catch(
      refuseDuplicate("promo_code_already_applied"),
    );
  });
}

export async function addUser(
  db: RawDb,
  user: { id: string; city: string; name: string; address: string; creditCard: string },
): Promise<void> {
  await db.one(SQL.insertUser, [
    user.id,
    user.city,
    user.name,
    user.address,
    user.creditCard,
    null,
    null,
    null,
  ]);
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
