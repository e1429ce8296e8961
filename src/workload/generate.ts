// Deterministic MovR data: the same options, seed and `now` give the same rows. Unlike the
// reference generators, every `in_use` vehicle has the active ride that explains it, and each
// table gets exactly the number of rows asked for, spread evenly over the cities.
import { centsToDecimal } from "../rides/ride.fare.ts";
import { VEHICLE_COLORS, VEHICLE_TYPES, type VehicleStatus } from "../vehicles/vehicle.table.ts";
import { Rng } from "./random.ts";
import { TIMELINE_DAYS } from "./timeline.ts";
import { pushAll, TakeList } from "../shared/arrays.ts";

export interface GenerateOptions {
  cities: readonly string[];
  users: number;
  vehicles: number;
  rides: number;
  histories: number;
  promoCodes: number;
  seed: number;
  /** The generated timeline ends here; rides start within the 30 days before. */
  now: Date;
}

const FIRST = [
  "Ada",
  "Grace",
  "Alan",
  "Edsger",
  "Barbara",
  "Donald",
  "Frances",
  "Ken",
  "Radia",
  "Niklaus",
  "Margaret",
  "Tim",
];
const LAST = [
  "Lovelace",
  "Hopper",
  "Turing",
  "Dijkstra",
  "Liskov",
  "Knuth",
  "Allen",
  "Thompson",
  "Perlman",
  "Wirth",
  "Hamilton",
  "Berners-Lee",
];
const STREETS = ["Main St", "Oak Ave", "Pine St", "Maple Dr", "Cedar Ln", "Elm St", "Harbor Way", "Park Pl"];
const BRANDS = ["Merida", "Fuji", "Cervelo", "Pinarello", "Santa Cruz", "Kona", "Schwinn"];
/** Generated promo codes are PREFIX_nnnnnn (n = index, six digits). */
export const PROMO_PREFIXES = ["SAVE", "RIDE", "MOVR", "SPRING", "CITY"] as const;

/**
 * A pivot for the workload's `code > pivot ORDER BY code LIMIT 1` pick: shaped like the
 * generated codes, so picks spread over them (a random UUID would sort before or after them all).
 */
export function promoCodePivot(rng: Rng): string {
  return `${rng.pick(PROMO_PREFIXES)}_${String(rng.int(0, 999)).padStart(6, "0")}`;
}

/** Spreads `total` over `parts` as evenly as possible (the first ones get the remainder). */
export function spread(total: number, parts: number): number[] {
  return Array.from({ length: parts }, (_, i) => Math.floor(total / parts) + (i < total % parts ? 1 : 0));
}

export interface Generated {
  users: { id: string; city: string; name: string; address: string; creditCard: string; isOwner: boolean }[];
  vehicles: {
    id: string;
    city: string;
    type: (typeof VEHICLE_TYPES)[number];
    ownerId: string;
    creationTime: Date;
    status: VehicleStatus;
    currentLocation: string;
    ext: { color: string; brand?: string };
  }[];
  rides: {
    id: string;
    city: string;
    vehicleCity: string;
    riderId: string;
    vehicleId: string;
    startAddress: string;
    endAddress: string | null;
    startTime: Date;
    endTime: Date | null;
    revenue: string | null;
  }[];
  histories: { city: string; rideId: string; timestamp: Date; lat: number; long: number }[];
  promoCodes: {
    code: string;
    description: string;
    creationTime: Date;
    expirationTime: Date;
    rules: { type: string; value: string };
  }[];
}

export function generate(o: GenerateOptions): Generated {
  const rng = new Rng(o.seed);
  const address = () => `${rng.int(1, 9999)} ${rng.pick(STREETS)}`;
  const nowMs = o.now.getTime();
  const out: Generated = { users: [], vehicles: [], rides: [], histories: [], promoCodes: [] };
  const userCounts = spread(o.users, o.cities.length);
  const vehicleCounts = spread(o.vehicles, o.cities.length);
  const rideCounts = spread(o.rides, o.cities.length);

  const historyCounts = spread(o.histories, o.cities.length);

  o.cities.forEach((city, ci) => {
    const cityUsers = Array.from({ length: userCounts[ci]! }, () => ({
      id: rng.uuid(),
      city,
      name: `${rng.pick(FIRST)} ${rng.pick(LAST)}`,
      address: address(),
      creditCard: String(rng.int(1e9, 9.99e9)),
      isOwner: false,
    }));
    pushAll(out.users, cityUsers);
    if (cityUsers.length === 0) return;
    const cityVehicles: Generated["vehicles"] = [];
    const cityRides: Generated["rides"] = [];
    // Active rides count towards the city's rides: the table gets exactly what was asked for.
    const rideBudget = rideCounts[ci]!;
    const idleRiders = new TakeList(cityUsers);
    for (let i = 0; i < vehicleCounts[ci]!; i++) {
      const owner = rng.pick(cityUsers);
      owner.isOwner = true;
      const type = rng.pick(VEHICLE_TYPES);
      const roll = rng.next();
      let status: VehicleStatus = roll < 0.4 ? "available" : roll < 0.95 ? "in_use" : "lost";
      // In use means in a ride: only while a rider is free to be riding it, and rides are left.
      if (status === "in_use" && (idleRiders.length === 0 || cityRides.length >= rideBudget)) {
        status = "available";
      }
      const vehicle = {
        id: rng.uuid(),
        city,
        type,
        ownerId: owner.id,
        creationTime: new Date(nowMs - rng.int(31, TIMELINE_DAYS.before) * 86_400_000),
        status,
        currentLocation: address(),
        ext: { color: rng.pick(VEHICLE_COLORS), ...(type === "bike" ? { brand: rng.pick(BRANDS) } : {}) },
      };
      cityVehicles.push(vehicle);
      if (status === "in_use") {
        const rider = idleRiders.take(rng.int(0, idleRiders.length - 1));
        cityRides.push({
          id: rng.uuid(),
          city,
          vehicleCity: city,
          riderId: rider.id,
          vehicleId: vehicle.id,
          startAddress: address(),
          endAddress: null,
          startTime: new Date(nowMs - rng.int(60, 3600) * 1000),
          endTime: null,
          revenue: null,
        });
      }
    }
    pushAll(out.vehicles, cityVehicles);
    if (cityVehicles.length === 0) return;
    while (cityRides.length < rideBudget) {
      const start = nowMs - rng.int(2 * 3600, 30 * 86_400) * 1000;
      cityRides.push({
        id: rng.uuid(),
        city,
        vehicleCity: city,
        riderId: rng.pick(cityUsers).id,
        vehicleId: rng.pick(cityVehicles).id,
        startAddress: address(),
        endAddress: address(),
        startTime: new Date(start),
        endTime: new Date(start + rng.int(60, 3600) * 1000),
        revenue: centsToDecimal(rng.int(0, 10_000)),
      });
    }
    pushAll(out.rides, cityRides);
    if (cityRides.length === 0) return;
    for (let i = 0; i < historyCounts[ci]!; i++) {
      const ride = cityRides[i % cityRides.length]!;
      out.histories.push({
        city,
        rideId: ride.id,
        // Spaced a second apart per ride, so the (city, ride_id, timestamp) key never repeats.
        timestamp: new Date(ride.startTime.getTime() + Math.floor(i / cityRides.length) * 1000),
        lat: rng.int(-90_000, 90_000) / 1000,
        long: rng.int(-180_000, 180_000) / 1000,
      });
    }
  });

  for (let i = 0; i < o.promoCodes; i++) {
    const created = nowMs - rng.int(1, 30) * 86_400_000;
    out.promoCodes.push({
      code: `${rng.pick(PROMO_PREFIXES)}_${String(i).padStart(6, "0")}`,
      description: `${rng.pick(["Welcome", "Weekend", "Commuter", "Holiday"])} discount`,
      creationTime: new Date(created),
      // Mostly valid for a while yet; a few already expired, as in real data.
      expirationTime: new Date(nowMs + rng.int(-10, TIMELINE_DAYS.after) * 86_400_000),
      rules: { type: "percent_discount", value: `${rng.pick([5, 10, 15, 20, 25])}%` },
    });
  }
  return out;
}
