// Turning service values into the text a page shows. Times are shown in UTC, so the same ride
// reads the same on every instance.
import type { Ride } from "../../rides/ride.service.ts";
import type { Vehicle } from "../../vehicles/vehicle.service.ts";
import type { Money } from "./page.money.ts";

export function formatTime(date: Date | null): string {
  if (!date) return "—";
  return `${date.toISOString().slice(0, 16).replace("T", " ")} UTC`;
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

export function statusLabel(status: Vehicle["status"]): string {
  return status ? STATUS_LABELS[status] : "Unknown";
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
