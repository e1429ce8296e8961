import { and, asc, desc, eq, exists, getTableColumns, gt, isNull, lt, or, sql } from "drizzle-orm";
import { ascNullsFirst, descNullsLast } from "../db/order.ts";
import type { Db } from "../db/database.ts";
import { preparedRead } from "../db/prepared.ts";
import type { Tx } from "../db/transaction.ts";
import { promoCodes, userPromoCodes, type PromoRules } from "../promo-codes/promo-code.table.ts";
import { users } from "../users/user.table.ts";
import { vehicles, type VehicleType } from "../vehicles/vehicle.table.ts";
import { rides, vehicleLocationHistories, type LocationRow, type RideRow } from "./ride.table.ts";

const P = sql.placeholder;

/**
 * The columns the ride writes return (`returning()`: every column of rides, in order), by which
 * their rows are read past Drizzle's mapping (ADR 020). The statements select the CTE's own
 * fields: Drizzle refuses the table's columns on a CTE.
 */
const RIDE_COLUMNS = getTableColumns(rides);

const startRideStatement = preparedRead("start_ride", RIDE_COLUMNS, (db) => {
  const rider = db.$with("rider").as(
    db
      .select({ id: users.id })
      .from(users)
      .where(and(eq(users.city, P("city")), eq(users.id, P("riderId")), isNull(users.deactivatedAt))),
  );
  const claimed = db.$with("claimed").as(
    db
      .update(vehicles)
      .set({ status: "in_use" })
      .where(
        and(
          eq(vehicles.city, P("city")),
          eq(vehicles.id, P("vehicleId")),
          eq(vehicles.status, "available"),
          sql`EXISTS (SELECT 1 FROM ${rider})`,
        ),
      )
      .returning({ currentLocation: vehicles.currentLocation }),
  );
  const ride = db.$with("ride").as(
    db
      .insert(rides)
      .select(
        sql`SELECT ${P("id")}::uuid, ${P("city")}, ${P("city")}, ${P("riderId")}::uuid, ${P("vehicleId")}::uuid,
          ${claimed.currentLocation}, NULL, ${P("startTime")}::timestamp, NULL, NULL FROM ${claimed}`,
      )
      .returning(),
  );
  // The rider's codes still valid at the start count one more use.
  const counted = db.$with("counted").as(
    db
      .update(userPromoCodes)
      .set({ usageCount: sql`coalesce(${userPromoCodes.usageCount}, 0) + 1` })
      .where(
        and(
          eq(userPromoCodes.city, P("city")),
          eq(userPromoCodes.userId, P("riderId")),
          sql`EXISTS (SELECT 1 FROM ${ride})`,
          exists(
            db
              .select({ code: promoCodes.code })
              .from(promoCodes)
              .where(
                and(
                  eq(promoCodes.code, userPromoCodes.code),
                  or(isNull(promoCodes.expirationTime), gt(promoCodes.expirationTime, P("startTime"))),
                ),
              ),
          ),
        ),
      ),
  );
  return db.with(rider, claimed, ride, counted).select().from(ride);
});

/**
 * Starts a ride in one statement: the rider must be an active user of the city, the vehicle is
 * claimed only from `available` (a conditional UPDATE), the ride is inserted from the claim (a
 * second active ride of the rider fails on rides_one_active_per_rider), and the rider's valid
 * promo codes count one more use. Undefined when nothing was claimed (no such rider or vehicle,
 * or the vehicle was not available): the statement then changed nothing.
 */
export async function startRideRow(
  tx: Tx,
  row: { id: string; city: string; riderId: string; vehicleId: string; startTime: Date },
): Promise<RideRow | undefined> {
  const [started] = await startRideStatement(tx, {
    id: row.id,
    city: row.city,
    riderId: row.riderId,
    vehicleId: row.vehicleId,
    startTime: row.startTime.toISOString(),
  });
  return started;
}

export async function findRide(tx: Tx, city: string, id: string): Promise<RideRow | undefined> {
  const [row] = await tx
    .select()
    .from(rides)
    .where(and(eq(rides.city, city), eq(rides.id, id)));
  return row;
}

export interface RideToEnd {
  ride: RideRow;
  vehicleType: VehicleType | null;
  /** Rules of the rider's promo codes still valid at `now`. */
  promoRules: PromoRules[];
}

/** What ending a ride reads: the ride, its vehicle's type, the rider's promo rules valid at `now`. */
const RIDE_TO_END = {
  ride: rides,
  vehicleType: vehicles.type,
  promoRules: sql<PromoRules[] | null>`(
        SELECT json_agg(${promoCodes.rules}) FROM ${userPromoCodes}
        INNER JOIN ${promoCodes} ON ${promoCodes.code} = ${userPromoCodes.code}
        WHERE ${userPromoCodes.city} = ${rides.city} AND ${userPromoCodes.userId} = ${rides.riderId}
          AND (${promoCodes.expirationTime} IS NULL OR ${promoCodes.expirationTime} > ${P("now")}))`,
};

/**
 * The ride to end by its key, or (`byRider`) only while it is the active ride of the given rider.
 * The second finds it through rides_one_active_per_rider, whose page no other ride's end writes:
 * see findRideToEnd. Rows skip Drizzle's mapping (ADR 020): the vehicle's left join gives one
 * column, not a table that Drizzle would turn to null.
 */
function rideToEndRead(label: string, byRider: boolean) {
  return preparedRead(label, RIDE_TO_END, (db, selection) =>
    db
      .select(selection)
      .from(rides)
      .leftJoin(vehicles, and(eq(vehicles.city, rides.vehicleCity), eq(vehicles.id, rides.vehicleId)))
      .where(rideToEndKey(byRider)),
  );
}

/** `city` and `id`; with `byRider`, also `riderId` and not ended (the partial unique index's rows). */
function rideToEndKey(byRider: boolean, active = byRider) {
  return and(
    eq(rides.city, P("city")),
    byRider ? eq(rides.riderId, P("riderId")) : undefined,
    eq(rides.id, P("id")),
    active ? isNull(rides.endTime) : undefined,
  );
}

const rideToEnd = rideToEndRead("ride_to_end", false);
const riderRideToEnd = rideToEndRead("rider_ride_to_end", true);

/**
 * Everything ending a ride needs, in one round trip: the ride, its vehicle's type, and the
 * rider's valid promo rules. Fewer round trips keep the transaction short, and a short
 * transaction is less likely to meet a concurrent one (40001), on PostgreSQL and CockroachDB.
 *
 * With `riderId`: only while the ride is that rider's active ride (else undefined), read through
 * the partial unique index rides_one_active_per_rider rather than the primary key. PostgreSQL's
 * SERIALIZABLE locks what an index scan reads by the index page: every ride's end writes a new
 * entry into a page of rides_pkey (setting end_time is never a HOT update, the partial indexes
 * name it), so two ends whose rides share a primary-key page each read what the other writes and
 * one fails with 40001. Ends write nothing into the partial index's pages (an ended ride is not in
 * it). See docs/decisions/019-ending-a-ride-by-the-riders-active-ride.md.
 */
export async function findRideToEnd(
  tx: Tx,
  city: string,
  id: string,
  now: Date,
  riderId?: string,
): Promise<RideToEnd | undefined> {
  const at = now.toISOString();
  const [row] =
    riderId === undefined
      ? await rideToEnd(tx, { city, id, now: at })
      : await riderRideToEnd(tx, { city, id, riderId, now: at });
  return row && { ride: row.ride, vehicleType: row.vehicleType, promoRules: row.promoRules ?? [] };
}

export async function findActiveRideOfRider(
  tx: Tx,
  city: string,
  riderId: string,
): Promise<RideRow | undefined> {
  const [row] = await tx
    .select()
    .from(rides)
    .where(and(eq(rides.city, city), eq(rides.riderId, riderId), isNull(rides.endTime)));
  return row;
}

export async function findActiveRideOfVehicle(
  tx: Tx,
  city: string,
  vehicleId: string,
): Promise<RideRow | undefined> {
  const [row] = await tx
    .select()
    .from(rides)
    // By `city` (equal to vehicle_city by check_vehicle_city_city): the index
    // rides_one_active_per_city_vehicle, in the row's own region (migrations/0004).
    .where(and(eq(rides.city, city), eq(rides.vehicleId, vehicleId), isNull(rides.endTime)));
  return row;
}

function endRideQuery(db: Db, byRider: boolean) {
  const endTime = sql`${P("endTime")}::timestamp`;
  const ended = db.$with("ended").as(
    db
      .update(rides)
      .set({
        endAddress: sql`${P("endAddress")}`,
        revenue: sql`${P("revenue")}::numeric`,
        endTime: sql`GREATEST(${endTime}, COALESCE(${rides.startTime}, ${endTime}))`,
      })
      .where(rideToEndKey(byRider, true))
      .returning(),
  );
  // The ride's vehicle is available again, where the ride ended (unless its owner removed it).
  const freed = db.$with("freed").as(
    db
      .update(vehicles)
      .set({ status: "available", currentLocation: sql`${P("endAddress")}` })
      .where(
        and(
          eq(vehicles.city, P("city")),
          eq(vehicles.id, P("vehicleId")),
          eq(vehicles.status, "in_use"),
          sql`EXISTS (SELECT 1 FROM ${ended})`,
        ),
      ),
  );
  return db.with(ended, freed).select().from(ended);
}

const endRideStatement = preparedRead("end_ride", RIDE_COLUMNS, (db) => endRideQuery(db, false));
const riderEndRideStatement = preparedRead("rider_end_ride", RIDE_COLUMNS, (db) => endRideQuery(db, true));

/**
 * Marks the ride ended and makes its vehicle available where the ride ended, in one statement;
 * undefined when the ride had already ended (or does not exist), and then nothing changed. The
 * end is never before the stored start (the end-after-start CHECK): GREATEST with start_time, in
 * SQL, because the stored start may have microseconds, or come from a clock ahead of this one.
 * With `riderId`, only while it is that rider's active ride, found as findRideToEnd does.
 */
export async function finishRide(
  tx: Tx,
  ride: { city: string; id: string; vehicleId: string | null; riderId?: string },
  end: { endAddress: string; endTime: Date; revenue: string },
): Promise<RideRow | undefined> {
  const values = {
    city: ride.city,
    id: ride.id,
    vehicleId: ride.vehicleId,
    endAddress: end.endAddress,
    endTime: end.endTime.toISOString(),
    revenue: end.revenue,
  };
  const [row] =
    ride.riderId === undefined
      ? await endRideStatement(tx, values)
      : await riderEndRideStatement(tx, { ...values, riderId: ride.riderId });
  return row;
}

/** Where a page of a rider's rides starts: after this (start_time, id), newest first. */
export interface RideKey {
  /** start_time as the database prints it (`timestamp::text`, microseconds kept); null when unset. */
  startKey: string | null;
  id: string;
}

/**
 * A rider's rides, newest first (undated last), each with its keyset key. The key carries
 * start_time as text, not as a JavaScript Date: a Date keeps milliseconds, and rides written by
 * other clients (SQL now(), cockroach workload) have microseconds, so a Date key would skip rides.
 */
export async function listRidesOfRider(
  tx: Tx,
  city: string,
  riderId: string,
  limit: number,
  after?: RideKey,
): Promise<{ ride: RideRow; key: RideKey }[]> {
  const start = after?.startKey == null ? undefined : sql`${after.startKey}::timestamp`;
  const rows = await tx
    .select({ ride: rides, startKey: sql<string | null>`${rides.startTime}::text` })
    .from(rides)
    .where(
      and(
        eq(rides.city, city),
        eq(rides.riderId, riderId),
        after === undefined
          ? undefined
          : start === undefined
            ? and(isNull(rides.startTime), lt(rides.id, after.id))
            : or(
                lt(rides.startTime, start),
                and(eq(rides.startTime, start), lt(rides.id, after.id)),
                isNull(rides.startTime), // NULLS LAST: after every dated ride
              ),
      ),
    )
    .orderBy(descNullsLast(rides.startTime), desc(rides.id))
    .limit(limit);
  return rows.map((r) => ({ ride: r.ride, key: { startKey: r.startKey, id: r.ride.id } }));
}

// One of `movr run`'s reads: rows decoded once, past Drizzle's row mapping (ADR 020).
const activeRidesStatement = preparedRead("active_rides", RIDE_COLUMNS, (db, columns) =>
  db
    .select(columns)
    .from(rides)
    .where(and(eq(rides.city, P("city")), isNull(rides.endTime)))
    .orderBy(ascNullsFirst(rides.startTime), asc(rides.id))
    .limit(P("limit")),
);

/** A city's active rides, oldest first (undated first). */
export async function listActiveRides(tx: Tx, city: string, limit: number): Promise<RideRow[]> {
  return activeRidesStatement(tx, { city, limit });
}

/**
 * What logging a location selects, in its order, for its reader: the ride's city, rider and end
 * (the CTE's fields, read as these columns are) and `logged`, the statement's EXISTS (an
 * expression with no decoder: the driver's boolean). Rows skip Drizzle's mapping (ADR 020), as
 * the ride writes' do.
 */
const LOCATION_LOGGED = {
  city: rides.city,
  riderId: rides.riderId,
  endTime: rides.endTime,
  logged: sql<boolean>`logged`,
};

const logLocationStatement = preparedRead("log_location", LOCATION_LOGGED, (db) => {
  const ride = db.$with("ride").as(
    db
      .select({ city: rides.city, riderId: rides.riderId, endTime: rides.endTime })
      .from(rides)
      .where(and(eq(rides.city, P("city")), eq(rides.id, P("rideId")))),
  );
  // Only into a ride that has not ended, and only by its rider (no rider given: the system).
  const logged = db.$with("logged").as(
    db
      .insert(vehicleLocationHistories)
      .select(
        sql`SELECT ${P("city")}, ${P("rideId")}::uuid, ${P("at")}::timestamp, ${P("lat")}::float8, ${P("long")}::float8
          FROM ${ride} WHERE ${ride.endTime} IS NULL
          AND (${P("actorId")}::uuid IS NULL OR (${ride.riderId} = ${P("actorId")}::uuid AND ${ride.city} = ${P("actorCity")}))`,
      )
      .returning({ rideId: vehicleLocationHistories.rideId }),
  );
  return db
    .with(ride, logged)
    .select({
      city: ride.city,
      riderId: ride.riderId,
      endTime: ride.endTime,
      logged: sql<boolean>`EXISTS (SELECT 1 FROM ${logged})`.as("logged"),
    })
    .from(ride);
});

/** What logging a location found: the ride (its rider and end) and whether the point went in. */
export interface LocationLogged {
  city: string;
  riderId: string | null;
  endTime: Date | null;
  logged: boolean;
}

/**
 * Logs a point of a ride in one statement: only while the ride has not ended, and only when
 * `actor` is its rider (null: the system). Undefined when there is no such ride; otherwise what
 * the ride was, so the caller can tell why nothing went in.
 */
export async function logRideLocation(
  tx: Tx,
  point: LocationRow,
  actor: { city: string; id: string } | null,
): Promise<LocationLogged | undefined> {
  const [row] = await logLocationStatement(tx, {
    city: point.city,
    rideId: point.rideId,
    at: point.timestamp.toISOString(),
    lat: point.lat,
    long: point.long,
    actorId: actor?.id ?? null,
    actorCity: actor?.city ?? null,
  });
  return row;
}

export async function listLocations(tx: Tx, city: string, rideId: string): Promise<LocationRow[]> {
  return tx
    .select()
    .from(vehicleLocationHistories)
    .where(and(eq(vehicleLocationHistories.city, city), eq(vehicleLocationHistories.rideId, rideId)))
    .orderBy(asc(vehicleLocationHistories.timestamp))
    .limit(10_000);
}
