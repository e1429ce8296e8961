// Turning service values into the text a page shows. Times are shown in UTC, so the same ride
// reads the same on every instance.
import type { Ride } from "../../rides/ride.service.ts";
import type { Vehicle } from "../../vehicles/vehicle.service.ts";
import { isoString } from "../api/serialize.ts";
import type { Money } from "./page.money.ts";

/**
 * `2026-05-12 00:06 UTC`; a year outside 0–9999 in ISO 8601's expanded form
 * (`-000043-03-15 00:00 UTC`); `infinity` and `-infinity` as the database prints them (ADR 022).
 */
export function formatTime(date: Date | null): string {
  if (!date) return "—";
  const iso = isoString(date);
  const t = iso.indexOf("T");
  return t < 0 ? iso : `${iso.slice(0, t)} ${iso.slice(t + 1, t + 6)} UTC`;
}

export function formatDuration(seconds: number | null): string {
  if (seconds === null) return "—";
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  if (h > 0) return `${h} h ${m} min`;
  if (m > 0) return `${m} min ${s} s`;
  return `${s} s`;
}

const STATUS_LABELS: Record<NonNullable<Vehicle["status"]>, string> = {
  available: "Available",
  in_use: "In use",
  lost: "Lost",
  removed: "Removed",
};

/** The label of a status; one this version does not know (a newer one's) as its words: `on_hold` → "On hold". */
export function statusLabel(status: Vehicle["status"]): string {
  if (!status) return "Unknown";
  const label = (STATUS_LABELS as Record<string, string | undefined>)[status];
  if (label !== undefined) return label;
  const words = status.replaceAll("_", " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** "new york" → "New York"; a two-letter word is an abbreviation: "washington dc" → "Washington DC". */
export function titleCase(text: string): string {
  return text.replace(/\p{L}+/gu, (w) =>
    w.length === 2 ? w.toUpperCase() : w.charAt(0).toUpperCase() + w.slice(1),
  );
}

/** "Red Kona bike": what a rider calls a vehicle. */
export function vehicleName(v: Pick<Vehicle, "color" | "brand" | "type">): string {
  const words = [v.color, v.brand, v.type ?? "vehicle"].filter((w): w is string => Boolean(w));
  const text = words.join(" ");
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export interface RideRow {
  id: string;
  active: boolean;
  from: string;
  to: string;
  startedAt: string;
  duration: string;
  fare: string;
}

/** A ride as the pages list it; the fare in the ride city's currency, for this reader. */
export function rideRow(ride: Ride, money: Money): RideRow {
  return {
    id: ride.id,
    active: ride.endedAt === null,
    from: ride.startLocation ?? "—",
    to: ride.endLocation ?? "—",
    startedAt: formatTime(ride.startedAt),
    duration: ride.endedAt ? formatDuration(ride.durationSeconds) : "riding",
    fare: ride.endedAt ? money(ride.revenue, ride.city) : "—",
  };
}
