import { randomUUID } from "node:crypto";
import { runTransaction } from "../db/transaction.ts";
import { findActiveRideOfVehicle } from "../rides/ride.repository.ts";
import type { MovrContext } from "../shared/context.ts";
import { decodeCursor, keysetPage } from "../shared/cursor.ts";
import { conflict, DomainError, notFound } from "../shared/errors.ts";
import {
  LIMITS,
  optionalText,
  requireCity,
  requireIntInRange,
  requireOneOf,
  requireText,
  requireUuid,
} from "../shared/validation.ts";
import { findUser, refreshOwnerFlag, setOwnerFlag } from "../users/user.repository.ts";
import {
  changeVehicleStatus,
  findVehicle,
  insertVehicle,
  listVehicles as listVehicleRows,
  listVehiclesOfOwner,
  pickAvailableVehicleId,
} from "./vehicle.repository.ts";
import {
  VEHICLE_COLORS,
  VEHICLE_STATUSES,
  VEHICLE_TYPES,
  type VehicleRow,
  type VehicleStatus,
  type VehicleType,
} from "./vehicle.table.ts";

/** What a vehicle form may offer, so callers need not reach into the table module for the lists. */
export const VEHICLE_CHOICES = {
  types: VEHICLE_TYPES,
  statuses: VEHICLE_STATUSES,
  colors: VEHICLE_COLORS,
} as const;

export interface Vehicle {
  id: string;
  city: string;
  type: VehicleType | null;
  ownerId: string | null;
  status: VehicleStatus | null;
  location: string | null;
  color: string | null;
  brand: string | null;
  createdAt: Date | null;
}

const textOf = (value: unknown): string | null => (typeof value === "string" ? value : null);

/**
 * A vehicle row as the service gives it. `type` and `status` pass as stored, also a value this
 * version does not know (a newer one's, or NULL); see docs/decisions/022-values-we-never-write.md.
 */
export function toVehicle(row: VehicleRow): Vehicle {
  return {
    id: row.id,
    city: row.city,
    type: row.type,
    ownerId: row.ownerId,
    status: row.status,
    location: row.currentLocation,
    // ext is JSONB anyone may have written: only a string is a colour or a brand (ADR 022).
    color: textOf(row.ext?.color),
    brand: textOf(row.ext?.brand),
    createdAt: row.creationTime,
  };
}

export interface NewVehicle {
  ownerCity: string;
  ownerId: string;
  type: string;
  location: string;
  color: string;
  brand?: string | null;
  status?: VehicleStatus;
  id?: string;
}

/** Adds a vehicle in its owner's home city and marks the owner as an owner. */
export async function addVehicle(ctx: MovrContext, input: NewVehicle): Promise<Vehicle> {
  const city = requireCity(ctx.cities, input.ownerCity);
  const ownerId = requireUuid("ownerId", input.ownerId);
  const brand = optionalText("brand", input.brand, LIMITS.brand);
  const row = {
    id: input.id ? requireUuid("id", input.id) : randomUUID(),
    city,
    ownerId,
    type: requireOneOf("type", input.type, VEHICLE_TYPES),
    status: input.status ?? ("available" as const),
    currentLocation: requireText("location", input.location, LIMITS.address),
    ext: { color: requireOneOf("color", input.color, VEHICLE_COLORS), ...(brand ? { brand } : {}) },
    creationTime: ctx.clock(),
  };
  const inserted = await runTransaction(ctx.database, async (tx) => {
    const owner = await findUser(tx, city, ownerId);
    if (!owner || owner.deactivatedAt) throw notFound("That owner");
    const vehicle = await insertVehicle(tx, row);
    if (!owner.isOwner) await setOwnerFlag(tx, city, ownerId, true);
    return vehicle;
  });
  return toVehicle(inserted);
}

export async function getVehicle(ctx: MovrContext, city: string, id: string): Promise<Vehicle> {
  requireCity(ctx.cities, city);
  requireUuid("vehicleId", id);
  const row = await runTransaction(ctx.database, (tx) => findVehicle(tx, city, id), {
    readOnly: true,
    singleStatement: true,
  });
  if (!row) throw notFound("That vehicle");
  return toVehicle(row);
}

export interface VehicleQuery {
  city: string;
  status?: string | undefined;
  type?: string | undefined;
  limit?: number | undefined;
  after?: string | undefined;
  followerReads?: boolean | undefined;
}

export interface VehiclePage {
  vehicles: Vehicle[];
  /** Pass back as `after` for the next page; null on the last page. */
  next: string | null;
}

export async function listVehicles(ctx: MovrContext, q: VehicleQuery): Promise<VehiclePage> {
  const city = requireCity(ctx.cities, q.city);
  const limit = requireIntInRange("limit", q.limit ?? 25, 1, 100);
  const status = q.status ? requireOneOf("status", q.status, VEHICLE_STATUSES) : undefined;
  const type = q.type ? requireOneOf("type", q.type, VEHICLE_TYPES) : undefined;
  const afterId = q.after ? decodeCursor(q.after, [(p) => requireUuid("after", p)])[0] : undefined;
  // One row more than asked tells whether there is a next page without a second query.
  const rows = await runTransaction(
    ctx.database,
    (tx) => listVehicleRows(tx, { city, status, type, afterId, limit: limit + 1 }),
    { readOnly: true, singleStatement: true, followerReads: q.followerReads ?? false },
  );
  const { page, next } = keysetPage(rows, limit, (last) => [last.id]);
  return { vehicles: page.map(toVehicle), next };
}

export async function listOwnerVehicles(
  ctx: MovrContext,
  ownerCity: string,
  ownerId: string,
): Promise<Vehicle[]> {
  requireCity(ctx.cities, ownerCity);
  requireUuid("ownerId", ownerId);
  const rows = await runTransaction(ctx.database, (tx) => listVehiclesOfOwner(tx, ownerCity, ownerId), {
    readOnly: true,
    singleStatement: true,
  });
  return rows.map(toVehicle);
}

/**
 * Takes a vehicle off the platform (status `removed`). Only its owner may, and not while it is
 * in a ride. Clears the owner flag when it was the owner's last vehicle.
 */
export async function removeVehicle(
  ctx: MovrContext,
  input: { city: string; vehicleId: string; requesterCity: string; requesterId: string },
): Promise<void> {
  const city = requireCity(ctx.cities, input.city);
  const id = requireUuid("vehicleId", input.vehicleId);
  await runTransaction(ctx.database, async (tx) => {
    const vehicle = await findVehicle(tx, city, id);
    if (!vehicle || vehicle.status === "removed") throw notFound("That vehicle");
    if (vehicle.ownerId !== input.requesterId || vehicle.city !== input.requesterCity) {
      throw new DomainError("forbidden", "Only the owner of a vehicle can remove it.");
    }
    if (vehicle.status === "in_use" || (await findActiveRideOfVehicle(tx, city, id))) {
      throw conflict("vehicle_in_use", "That vehicle is in a ride; remove it after the ride ends.");
    }
    await changeVehicleStatus(tx, city, id, vehicle.status ?? "available", "removed");
    await refreshOwnerFlag(tx, city, input.requesterId);
  });
}

export async function pickAvailableVehicle(
  ctx: MovrContext,
  city: string,
  pivot = randomUUID(),
): Promise<string | undefined> {
  return runTransaction(ctx.database, (tx) => pickAvailableVehicleId(tx, city, pivot), {
    readOnly: true,
    singleStatement: true,
  });
}
