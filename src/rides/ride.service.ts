import { randomUUID } from "node:crypto";
import { runTransaction } from "../db/transaction.ts";
import type { MovrContext } from "../shared/context.ts";
import { decodeCursor, keysetPage, requireTimestampKey } from "../shared/cursor.ts";
import { conflict, DomainError, notFound } from "../shared/errors.ts";
import {
  LIMITS,
  requireCity,
  requireCoordinate,
  requireIntInRange,
  requireText,
  requireUuid,
} from "../shared/validation.ts";
import { findUser } from "../users/user.repository.ts";
import { findVehicle } from "../vehicles/vehicle.repository.ts";
import { centsToDecimal, computeFare, parsePercent } from "./ride.fare.ts";
import {
  findActiveRideOfRider,
  findRide,
  findRideToEnd,
  finishRide,
  logRideLocation,
  startRideRow,
  listActiveRides as listActiveRideRows,
  listLocations,
  listRidesOfRider,
  type RideKey,
} from "./ride.repository.ts";
import type { RideRow } from "./ride.table.ts";
import { maxOf } from "../shared/arrays.ts";

export interface Ride {
  id: string;
  city: string;
  vehicleId: string | null;
  riderId: string | null;
  startLocation: string | null;
  endLocation: string | null;
  startedAt: Date | null;
  endedAt: Date | null;
  durationSeconds: number | null;
  /** Decimal string with two places, exact. */
  revenue: string | null;
}

export interface PathPoint {
  lat: number | null;
  long: number | null;
  at: Date;
}

export function toRide(row: RideRow): Ride {
  // NaN when either end is infinity (OutOfRangeTime): a ride without a duration, as one undated.
  const ms = row.startTime && row.endTime ? row.endTime.getTime() - row.startTime.getTime() : Number.NaN;
  const duration = Number.isFinite(ms) ? Math.floor(ms / 1000) : null;
  return {
    id: row.id,
    city: row.city,
    vehicleId: row.vehicleId,
    riderId: row.riderId,
    startLocation: row.startAddress,
    endLocation: row.endAddress,
    startedAt: row.startTime,
    endedAt: row.endTime,
    durationSeconds: duration,
    revenue: row.revenue,
  };
}

/** Who acts: a rider (checked against the ride) or the system (the workload tool). */
export type Actor = { riderCity: string; riderId: string } | "system";

function requireRider(actor: Actor, ride: Pick<RideRow, "riderId" | "city">): void {
  if (actor !== "system" && (ride.riderId !== actor.riderId || ride.city !== actor.riderCity)) {
    throw new DomainError("forbidden", "Only the rider of a ride can do that.");
  }
}

/**
 * Starts a ride: the vehicle must be available and the rider must have no active ride. Both
 * rules are enforced by the database (a conditional UPDATE and a partial unique index), so
 * concurrent starts cannot both win. Reading as little as possible matters too: PostgreSQL's
 * SERIALIZABLE tracks reads, and every read another ride's write touches is a possible 40001.
 */
export async function startRide(
  ctx: MovrContext,
  input: { city: string; vehicleId: string; riderId: string; id?: string },
): Promise<Ride> {
  const city = requireCity(ctx.cities, input.city);
  const vehicleId = requireUuid("vehicleId", input.vehicleId);
  const riderId = requireUuid("riderId", input.riderId);
  const id = input.id ? requireUuid("id", input.id) : randomUUID();
  const now = ctx.clock();
  // One statement (see startRideRow), so no BEGIN/COMMIT: it runs as an implicit SERIALIZABLE
  // transaction. Only when it changed nothing do two reads tell why.
  const row = await runTransaction(
    ctx.database,
    (tx) => startRideRow(tx, { id, city, riderId, vehicleId, startTime: now }),
    { singleStatement: true },
  );
  if (!row) {
    const [rider, vehicle] = await runTransaction(
      ctx.database,
      async (tx) => [await findUser(tx, city, riderId), await findVehicle(tx, city, vehicleId)] as const,
      { readOnly: true },
    );
    if (!rider || rider.deactivatedAt) {
      throw new DomainError("invalid_request", "Riders can ride only vehicles in their home city.", [
        { field: "city", problem: "is not the rider's home city" },
      ]);
    }
    if (!vehicle || vehicle.status === "removed") throw notFound("That vehicle");
    throw conflict("vehicle_unavailable", "That vehicle is not available right now; pick another one.");
  }
  return toRide(row);
}

/**
 * Ends a ride: records where and when, charges the fare (less the rider's best valid percent
 * discount), and leaves the vehicle available where the ride ended (unless its owner removed it).
 */
export async function endRide(
  ctx: MovrContext,
  input: { city: string; rideId: string; location: string; actor: Actor },
): Promise<Ride> {
  const city = requireCity(ctx.cities, input.city);
  const rideId = requireUuid("rideId", input.rideId);
  const location = requireText("location", input.location, LIMITS.address);
  const now = ctx.clock();
  // A rider's own active ride is read and written through the rider's key, which another ride's
  // end never writes (far fewer 40001s, see findRideToEnd). Found so or not, the key tells why.
  const riderId =
    input.actor !== "system" && input.actor.riderCity === city ? input.actor.riderId : undefined;
  const row = await runTransaction(ctx.database, async (tx) => {
    const found =
      (riderId !== undefined ? await findRideToEnd(tx, city, rideId, now, riderId) : undefined) ??
      (await findRideToEnd(tx, city, rideId, now));
    if (!found) throw notFound("That ride");
    const { ride, vehicleType, promoRules } = found;
    requireRider(input.actor, ride);
    if (ride.endTime) throw conflict("ride_already_ended", "That ride has already ended.");
    const best = maxOf(
      promoRules.filter((r) => r?.type === "percent_discount").map((r) => parsePercent(r.value) ?? 0),
      0,
    );
    const startedAt = ride.startTime ?? now;
    const endTime = now < startedAt ? startedAt : now;
    const fare = computeFare(vehicleType, startedAt, endTime, best);
    const ended = await finishRide(
      tx,
      { city, id: rideId, vehicleId: ride.vehicleId, riderId },
      { endAddress: location, endTime, revenue: centsToDecimal(fare.cents) },
    );
    if (!ended) throw conflict("ride_already_ended", "That ride has already ended.");
    return ended;
  });
  return toRide(row);
}

export async function logLocation(
  ctx: MovrContext,
  input: { city: string; rideId: string; lat: number; long: number; actor: Actor; at?: Date },
): Promise<void> {
  const city = requireCity(ctx.cities, input.city);
  const rideId = requireUuid("rideId", input.rideId);
  const point = {
    city,
    rideId,
    lat: requireCoordinate("lat", input.lat),
    long: requireCoordinate("long", input.long),
    timestamp: input.at ?? ctx.clock(),
  };
  const actor = input.actor === "system" ? null : { city: input.actor.riderCity, id: input.actor.riderId };
  // One statement: the point goes in only into an active ride of this actor's.
  const found = await runTransaction(ctx.database, (tx) => logRideLocation(tx, point, actor), {
    singleStatement: true,
  });
  if (!found) throw notFound("That ride");
  if (found.logged) return;
  requireRider(input.actor, found);
  if (found.endTime) throw conflict("ride_already_ended", "That ride has already ended.");
  throw new Error("A location of an active ride was not logged");
}

export async function getRide(
  ctx: MovrContext,
  input: { city: string; rideId: string; actor: Actor },
): Promise<{ ride: Ride; path: PathPoint[] }> {
  const city = requireCity(ctx.cities, input.city);
  const rideId = requireUuid("rideId", input.rideId);
  return runTransaction(
    ctx.database,
    async (tx) => {
      const ride = await findRide(tx, city, rideId);
      // A ride is private: to anyone but its rider it does not exist.
      if (!ride || (input.actor !== "system" && ride.riderId !== input.actor.riderId))
        throw notFound("That ride");
      const points = await listLocations(tx, city, rideId);
      return { ride: toRide(ride), path: points.map((p) => ({ lat: p.lat, long: p.long, at: p.timestamp })) };
    },
    { readOnly: true },
  );
}

export interface RidePage {
  rides: Ride[];
  next: string | null;
}

export async function listMyRides(
  ctx: MovrContext,
  input: { riderCity: string; riderId: string; limit?: number; after?: string },
): Promise<RidePage> {
  const city = requireCity(ctx.cities, input.riderCity);
  const riderId = requireUuid("riderId", input.riderId);
  const limit = requireIntInRange("limit", input.limit ?? 25, 1, 100);
  let after: RideKey | undefined;
  if (input.after) {
    // An undated ride's start key is "" (undated rides sort last).
    const [startKey, id] = decodeCursor(input.after, [
      (p) => (p === "" ? null : requireTimestampKey("after", p)),
      (p) => requireUuid("after", p),
    ]);
    after = { startKey, id };
  }
  const rows = await runTransaction(
    ctx.database,
    (tx) => listRidesOfRider(tx, city, riderId, limit + 1, after),
    {
      readOnly: true,
      singleStatement: true,
    },
  );
  // The key as the database printed it: its microseconds come back exactly.
  const { page, next } = keysetPage(rows, limit, (last) => [last.key.startKey ?? "", last.key.id]);
  return { rides: page.map((r) => toRide(r.ride)), next };
}

export async function getActiveRide(
  ctx: MovrContext,
  riderCity: string,
  riderId: string,
): Promise<Ride | null> {
  requireCity(ctx.cities, riderCity);
  requireUuid("riderId", riderId);
  const row = await runTransaction(ctx.database, (tx) => findActiveRideOfRider(tx, riderCity, riderId), {
    readOnly: true,
    singleStatement: true,
  });
  return row ? toRide(row) : null;
}

/** A city's active rides, oldest first (the workload ends the oldest). */
export async function listActiveRides(ctx: MovrContext, city: string, limit = 10): Promise<Ride[]> {
  requireCity(ctx.cities, city);
  requireIntInRange("limit", limit, 1, 1000);
  const rows = await runTransaction(ctx.database, (tx) => listActiveRideRows(tx, city, limit), {
    readOnly: true,
    singleStatement: true,
  });
  return rows.map(toRide);
}
