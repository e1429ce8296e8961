import { withMigrationLock } from "../db/migration-lock.ts";
import { runTransaction } from "../db/transaction.ts";
import type { MovrContext } from "../shared/context.ts";
import { listUsersOfCity } from "../users/user.repository.ts";
import { loadData, type LoadResult } from "./load.service.ts";

/** Sizes of the data `npm start` fills an empty embedded database with: ten of each per city. */
export const DEMO_SIZES = { users: 10, vehicles: 10, rides: 30, histories: 10, promoCodes: 10 } as const;

/**
 * Fills the database with demo data unless it already has users; resolves to what was loaded, or
 * null when there were users. Processes that start at once on an empty server database (cluster
 * workers, replicas) take turns under the migration lock: one fills, the others then find its
 * users. Without it both saw no users, both loaded, and one failed on 23505 and stopped the
 * server. The embedded database has one owner process and one connection, so no lock there.
 */
export async function ensureDemoData(ctx: MovrContext): Promise<LoadResult | null> {
  if (ctx.database.kind === "embedded") return fillIfEmpty(ctx);
  return withMigrationLock(ctx.database, () => fillIfEmpty(ctx));
}

async function fillIfEmpty(ctx: MovrContext): Promise<LoadResult | null> {
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
