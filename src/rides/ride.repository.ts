import { and, asc, desc, eq, isNull, lt, or, sql } from "drizzle-orm";
import { ascNullsFirst, descNullsLast } from "../db/order.ts";
import type { Tx } from "../db/transaction.ts";
import { promoCodes, userPromoCodes, type PromoRules } from "../promo-codes/promo-code.table.ts";
import { vehicles, type VehicleType } from "../vehicles/vehicle.table.ts";
import { rides, vehicleLocationHistories, type LocationRow, type RideRow } from "./ride.table.ts";

export async function insertRide(tx: Tx, row: typeof rides.$inferInsert): Promise<RideRow> {
  const [inserted] = await tx.insert(rides).values(row).returning();
  return inserted!;
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

/**
 * Everything ending a ride needs, in one round trip: the ride, its vehicle's type, and the
 * rider's valid promo rules. Fewer round trips keep the transaction short, and a short
 * transaction is less likely to meet a concurrent one (40001), on PostgreSQL and CockroachDB.
 */
export async function findRideToEnd(
  tx: Tx,
  city: string,
  id: string,
  now: Date,
): Promise<RideToEnd | undefined> {
  const [row] = await tx
    .select({
      ride: rides,
      vehicleType: vehicles.type,
      promoRules: sql<PromoRules[] | null>`(
        SELECT json_agg(${promoCodes.rules}) FROM ${userPromoCodes}
        INNER JOIN ${promoCodes} ON ${promoCodes.code} = ${userPromoCodes.code}
        WHERE ${userPromoCodes.city} = ${rides.city} AND ${userPromoCodes.userId} = ${rides.riderId}
          AND (${promoCodes.expirationTime} IS NULL OR ${promoCodes.expirationTime} > ${now.toISOString()}))`,
    })
    .from(rides)
    .leftJoin(vehicles, and(eq(vehicles.city, rides.vehicleCity), eq(vehicles.id, rides.vehicleId)))
    .where(and(eq(rides.city, city), eq(rides.id, id)));
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

/**
 * Marks the ride ended; undefined when it had already ended (or does not exist). The end is
 * never before the stored start (the end-after-start CHECK): GREATEST with start_time, in SQL,
 * because the stored start may have microseconds, or come from a clock ahead of this one.
 */
export async function finishRide(
  tx: Tx,
  city: string,
  id: string,
  end: { endAddress: string; endTime: Date; revenue: string },
): Promise<RideRow | undefined> {
  const endTime = sql`${end.endTime.toISOString()}::timestamp`;
  const [row] = await tx
    .update(rides)
    .set({
      endAddress: end.endAddress,
      revenue: end.revenue,
      endTime: sql`GREATEST(${endTime}, COALESCE(${rides.startTime}, ${endTime}))`,
    })
    .where(and(eq(rides.city, city), eq(rides.id, id), isNull(rides.endTime)))
    .returning();
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

/** A city's active rides, oldest first (undated first). */
export async function listActiveRides(tx: Tx, city: string, limit: number): Promise<RideRow[]> {
  return tx
    .select()
    .from(rides)
    .where(and(eq(rides.city, city), isNull(rides.endTime)))
    .orderBy(ascNullsFirst(rides.startTime), asc(rides.id))
    .limit(limit);
}

export async function insertLocation(tx: Tx, row: LocationRow): Promise<void> {
  await tx.insert(vehicleLocationHistories).values(row);
}

export async function listLocations(tx: Tx, city: string, rideId: string): Promise<LocationRow[]> {
  return tx
    .select()
    .from(vehicleLocationHistories)
    .where(and(eq(vehicleLocationHistories.city, city), eq(vehicleLocationHistories.rideId, rideId)))
    .orderBy(asc(vehicleLocationHistories.timestamp))
    .limit(10_000);
}
