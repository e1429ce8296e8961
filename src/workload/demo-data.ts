import { runTransaction } from "../db/transaction.ts";
import type { MovrContext } from "../shared/context.ts";
import { listUsersOfCity } from "../users/user.repository.ts";
import { loadData, type LoadResult } from "./load.service.ts";

/** Sizes of the data `npm start` fills an empty embedded database with: ten of each per city. */
export const DEMO_SIZES = { users: 10, vehicles: 10, rides: 30, histories: 10, promoCodes: 10 } as const;

/** Fills the database with demo data unless it already has users. */
export async function ensureDemoData(ctx: MovrContext): Promise<LoadResult | null> {
  const any = await runTransaction(
    ctx.database,
    async (tx) => {
      for (const city of ctx.cities) if ((await listUsersOfCity(tx, city, 1)).length > 0) return true;
      return false;
    },
    { readOnly: true },
  );
  if (any) return null;
  const n = ctx.cities.length;
  return loadData(ctx, {
    cities: ctx.cities,
    users: DEMO_SIZES.users * n,
    vehicles: DEMO_SIZES.vehicles * n,
    rides: DEMO_SIZES.rides * n,
    histories: DEMO_SIZES.histories * n,
    promoCodes: DEMO_SIZES.promoCodes * n,
    seed: 42,
    now: ctx.clock(),
  });
}
