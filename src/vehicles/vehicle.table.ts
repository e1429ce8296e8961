import { foreignKey, jsonb, pgTable, primaryKey, uuid, varchar } from "drizzle-orm/pg-core";
import { timestamp } from "../db/timestamp.column.ts";
import { users } from "../users/user.table.ts";

export const VEHICLE_TYPES = ["bike", "scooter", "skateboard"] as const;
export type VehicleType = (typeof VEHICLE_TYPES)[number];
export const VEHICLE_STATUSES = ["available", "in_use", "lost", "removed"] as const;
export type VehicleStatus = (typeof VEHICLE_STATUSES)[number];
export const VEHICLE_COLORS = ["red", "yellow", "blue", "green", "black"] as const;

export interface VehicleExt {
  color?: string;
  brand?: string;
}

export const vehicles = pgTable(
  "vehicles",
  {
    id: uuid("id").notNull(),
    city: varchar("city").notNull(),
    type: varchar("type").$type<VehicleType>(),
    ownerId: uuid("owner_id"),
    creationTime: timestamp("creation_time"),
    status: varchar("status").$type<VehicleStatus>(),
    currentLocation: varchar("current_location"),
    ext: jsonb("ext").$type<VehicleExt>(),
  },
  (t) => [
    primaryKey({ name: "vehicles_pkey", columns: [t.city, t.id] }),
    foreignKey({
      name: "fk_city_ref_users",
      columns: [t.city, t.ownerId],
      foreignColumns: [users.city, users.id],
    }),
  ],
);

export type VehicleRow = typeof vehicles.$inferSelect;
