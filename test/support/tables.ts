// Every Drizzle table of the schema, for tests that compare them with the migrated database.
import type { PgTable } from "drizzle-orm/pg-core";
import { sessions } from "../../src/auth/session.table.ts";
import { promoCodes, userPromoCodes } from "../../src/promo-codes/promo-code.table.ts";
import { rides, vehicleLocationHistories } from "../../src/rides/ride.table.ts";
import { users } from "../../src/users/user.table.ts";
import { vehicles } from "../../src/vehicles/vehicle.table.ts";

export const DRIZZLE_TABLES: readonly PgTable[] = [
  users,
  vehicles,
  rides,
  vehicleLocationHistories,
  promoCodes,
  userPromoCodes,
  sessions,
];
