// Loads generated data in batches of multi-row INSERTs, each batch its own retried transaction:
// small enough for CockroachDB's transaction limits, large enough to be fast.
import { runTransaction } from "../db/transaction.ts";
import { promoCodes } from "../promo-codes/promo-code.table.ts";
import { rides, vehicleLocationHistories } from "../rides/ride.table.ts";
import type { MovrContext } from "../shared/context.ts";
import { requireCity } from "../shared/validation.ts";
import { users } from "../users/user.table.ts";
import { vehicles } from "../vehicles/vehicle.table.ts";
import { generate, type GenerateOptions } from "./generate.ts";
import { insertRows } from "./load.repository.ts";

export const LOAD_TABLES = [
  "users",
  "vehicles",
  "rides",
  "vehicle_location_histories",
  "promo_codes",
] as const;
export type LoadTable = (typeof LOAD_TABLES)[number];

export interface LoadProgress {
  table: LoadTable;
  done: number;
  total: number;
}

export interface LoadResult {
  inserted: Record<LoadTable, number>;
  rows: number;
}

export async function loadData(
  ctx: MovrContext,
  options: GenerateOptions & { batchSize?: number },
  onProgress: (p: LoadProgress) => void = () => undefined,
): Promise<LoadResult> {
  options.cities.forEach((c) => requireCity(ctx.cities, c));
  const data = generate(options);
  const batchSize = options.batchSize ?? 500;
  const inserted = Object.fromEntries(LOAD_TABLES.map((t) => [t, 0])) as Record<LoadTable, number>;
  const plan: [LoadTable, Parameters<typeof insertRows>[1], object[]][] = [
    ["users", users, data.users],
    ["vehicles", vehicles, data.vehicles],
    ["rides", rides, data.rides],
    ["vehicle_location_histories", vehicleLocationHistories, data.histories],
    ["promo_codes", promoCodes, data.promoCodes],
  ];
  for (const [name, table, rows] of plan) {
    for (let i = 0; i < rows.length; i += batchSize) {
      const batch = rows.slice(i, i + batchSize);
      inserted[name] += await runTransaction(ctx.database, (tx) => insertRows(tx, table, batch as never[]));
      onProgress({ table: name, done: Math.min(i + batchSize, rows.length), total: rows.length });
    }
  }
  return { inserted, rows: Object.values(inserted).reduce((a, b) => a + b, 0) };
}
