// The fare rule (docs/decisions/004-fare-rule.md). Money is integer cents until it is printed:
// floating point never touches an amount.
import type { VehicleType } from "../vehicles/vehicle.table.ts";

export const UNLOCK_FEE_CENTS = 100;
export const PER_MINUTE_CENTS: Record<VehicleType, number> = { skateboard: 10, bike: 15, scooter: 25 };
/** A day's riding costs at most this: the reference data's revenue never exceeds 100.00. */
export const FARE_CAP_CENTS = 10_000;

/** Parses a `percent_discount` value such as "10%"; null when it is not a percentage from 0 to 100. */
export function parsePercent(value: unknown): number | null {
  const m = typeof value === "string" ? /^\s*(\d{1,3})\s*%\s*$/.exec(value) : null;
  const pct = m ? Number(m[1]) : NaN;
  return pct >= 0 && pct <= 100 ? pct : null;
}

export interface Fare {
  /** Before any discount. */
  grossCents: number;
  discountPercent: number;
  /** What the rider pays: gross less the discount, rounded half up to the cent. */
  cents: number;
}

/**
 * Unlock fee plus a per-minute rate for every started minute, capped; then the rider's best
 * percent discount. An unknown vehicle type is charged at the scooter rate.
 */
export function computeFare(
  type: VehicleType | null,
  startedAt: Date,
  endedAt: Date,
  discountPercent = 0,
): Fare {
  // valueOf, not getTime: a ride started at -infinity (OutOfRangeTime) is infinitely long and
  // pays the cap; one from infinity to infinity (NaN) is zero seconds long.
  const ms = endedAt.valueOf() - startedAt.valueOf();
  const seconds = ms > 0 ? Math.floor(ms / 1000) : 0;
  const minutes = Math.ceil(seconds / 60);
  const rate = PER_MINUTE_CENTS[type ?? "scooter"] ?? PER_MINUTE_CENTS.scooter;
  const grossCents = Math.min(FARE_CAP_CENTS, UNLOCK_FEE_CENTS + minutes * rate);
  const pct = Math.min(100, Math.max(0, Math.trunc(discountPercent)));
  const discount = Math.floor((grossCents * pct + 50) / 100);
  return { grossCents, discountPercent: pct, cents: grossCents - discount };
}

export function centsToDecimal(cents: number): string {
  const sign = cents < 0 ? "-" : "";
  const abs = Math.abs(cents);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, "0")}`;
}
