import {
  doublePrecision,
  foreignKey,
  numeric,
  pgTable,
  primaryKey,
  uuid,
  varchar,
} from "drizzle-orm/pg-core";
import { timestamp } from "../db/timestamp.column.ts";
import { users } from "../users/user.table.ts";
import { vehicles } from "../vehicles/vehicle.table.ts";

export const rides = pgTable(
  "rides",
  {
    id: uuid("id").notNull(),
    city: varchar("city").notNull(),
    vehicleCity: varchar("vehicle_city"),
    riderId: uuid("rider_id"),
    vehicleId: uuid("vehicle_id"),
    startAddress: varchar("start_address"),
    endAddress: varchar("end_address"),
    startTime: timestamp("start_time"),
    endTime: timestamp("end_time"),
    // DECIMAL comes back as a string: money stays exact.
    revenue: numeric("revenue", { precision: 10, scale: 2 }),
  },
  (t) => [
    primaryKey({ name: "rides_pkey", columns: [t.city, t.id] }),
    foreignKey({
      name: "fk_city_ref_users",
      columns: [t.city, t.riderId],
      foreignColumns: [users.city, users.id],
    }),
    foreignKey({
      name: "fk_vehicle_city_ref_vehicles",
      columns: [t.vehicleCity, t.vehicleId],
      foreignColumns: [vehicles.city, vehicles.id],
    }),
  ],
);

export type RideRow = typeof rides.$inferSelect;

export const vehicleLocationHistories = pgTable(
  "vehicle_location_histories",
  {
    city: varchar("city").notNull(),
    rideId: uuid("ride_id").notNull(),
    timestamp: timestamp("timestamp").notNull(),
    lat: doublePrecision("lat"),
    long: doublePrecision("long"),
  },
  (t) => [
    primaryKey({ name: "vehicle_location_histories_pkey", columns: [t.city, t.rideId, t.timestamp] }),
    foreignKey({
      name: "fk_city_ref_rides",
      columns: [t.city, t.rideId],
      foreignColumns: [rides.city, rides.id],
    }),
  ],
);

export type LocationRow = typeof vehicleLocationHistories.$inferSelect;
