// Service objects to the contract's JSON: dates as ISO-8601 UTC strings, money as decimal
// strings with its currency next to it, and only the fields the contract names (never `active`,
// a hash or a card number).
import type { FastifySerializerCompiler } from "fastify";
import type { AppliedPromoCode, PromoCode } from "../../promo-codes/promo-code.service.ts";
import type { PathPoint, Ride } from "../../rides/ride.service.ts";
import type { User } from "../../users/user.service.ts";
import type { Vehicle } from "../../vehicles/vehicle.service.ts";

const twoDigits = (n: number): string => (n < 10 ? `0${n}` : String(n));

/**
 * `d.toISOString()`, built from the date's UTC fields: the same string at well under half the
 * cost (V8's toISOString is ~0.45 µs, paid for every row of a page). Years outside 1000–9999 go
 * to toISOString itself: BC and years past 9999 in ISO 8601's expanded form
 * (`-000043-03-15T00:00:00.000Z`), an OutOfRangeTime as its text (`infinity`, `-infinity`; ADR
 * 022). An invalid Date no reader makes throws RangeError.
 */
export function isoString(d: Date): string {
  const year = d.getUTCFullYear();
  if (!(year >= 1000 && year <= 9999)) return d.toISOString();
  const ms = d.getUTCMilliseconds();
  return `${year}-${twoDigits(d.getUTCMonth() + 1)}-${twoDigits(d.getUTCDate())}T${twoDigits(d.getUTCHours())}:${twoDigits(d.getUTCMinutes())}:${twoDigits(d.getUTCSeconds())}.${ms < 10 ? "00" : ms < 100 ? "0" : ""}${ms}Z`;
}

const iso = (d: Date | null): string | null => (d ? isoString(d) : null);

export interface UserJson {
  id: string;
  city: string;
  name: string | null;
  username: string | null;
  email: string | null;
  isOwner: boolean;
}

export function userJson(u: User): UserJson {
  return { id: u.id, city: u.city, name: u.name, username: u.username, email: u.email, isOwner: u.isOwner };
}

export function vehicleJson(v: Vehicle) {
  return {
    id: v.id,
    city: v.city,
    type: v.type,
    ownerId: v.ownerId,
    status: v.status,
    location: v.location,
    color: v.color,
    brand: v.brand,
    createdAt: iso(v.createdAt),
  };
}

/** A ride; `currency` (ISO 4217, the ride city's) says what `revenue` is counted in. */
export function rideJson(r: Ride, currency: string) {
  return {
    id: r.id,
    city: r.city,
    vehicleId: r.vehicleId,
    riderId: r.riderId,
    startLocation: r.startLocation,
    endLocation: r.endLocation,
    startedAt: iso(r.startedAt),
    endedAt: iso(r.endedAt),
    durationSeconds: r.durationSeconds,
    revenue: r.revenue,
    currency,
  };
}

/** JSON has no NaN or Infinity (DOUBLE PRECISION has): such a coordinate is null, as one not logged. */
const coordinate = (n: number | null): number | null => (n !== null && Number.isFinite(n) ? n : null);

export function pathPointJson(p: PathPoint) {
  return { lat: coordinate(p.lat), long: coordinate(p.long), at: isoString(p.at) };
}

export function promoCodeJson(p: PromoCode) {
  return {
    code: p.code,
    description: p.description,
    discountPercent: p.discountPercent,
    createdAt: iso(p.createdAt),
    expiresAt: iso(p.expiresAt),
  };
}

export function appliedPromoCodeJson(p: AppliedPromoCode) {
  return { ...promoCodeJson(p), appliedAt: iso(p.appliedAt), usageCount: p.usageCount };
}

/** The response schemas answered by `nativeJson`, by `METHOD url status`: what test/web/native-json.test.ts checks. */
export const NATIVE_JSON_SCHEMAS = new Map<string, unknown>();

/**
 * A route's `serializerCompiler` for hot routes (the reads, starting and ending a ride) whose every
 * answer is made by this module's functions (and errors by the app's error handler): V8's
 * JSON.stringify instead of the schema's fast-json-stringify, whose string escaping in JavaScript
 * was the largest cost of GET a city's vehicles after the row mapping (ADR 020). The bytes are the same only because those functions
 * build exactly the schema's properties, in its order, with values of its types:
 * fast-json-stringify would drop an extra field, JSON.stringify writes it. Every route that uses it
 * must be exercised by test/web/native-json.test.ts, which compares the bytes.
 */
export const nativeJson: FastifySerializerCompiler<unknown> = ({ schema, method, url, httpStatus }) => {
  NATIVE_JSON_SCHEMAS.set(`${method} ${url} ${httpStatus}`, schema);
  return JSON.stringify;
};
