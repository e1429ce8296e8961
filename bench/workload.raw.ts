// The `movr run` baseline, as a process of its own (so its CPU is its own, as `movr run`'s is):
// the reference mix (same cities, read share, write choices) over raw-ops.ts, with `concurrency`
// workers on as many connections, for `seconds`. Prints a line on stderr when the workers start
// (the bench's CPU window opens there, as on `movr run`'s "Running the movr workload" line), then
// `movr run --display-format json`'s "total" and "result" lines.
//
//   node dist/bench/workload.raw.js <url> <seconds> <concurrency> <read percent> <warm-up seconds>
import { randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import { REFERENCE_CITIES } from "../src/cities/region.config.ts";
import { promoCodePivot } from "../src/workload/generate.ts";
import { Rng } from "../src/workload/random.ts";
import { WorkloadStats } from "../src/workload/stats.ts";
import { OPERATIONS, pickWrite, type OperationName } from "../src/workload/workload.ts";
import { VEHICLE_COLORS, VEHICLE_TYPES } from "../src/vehicles/vehicle.table.ts";
import * as raw from "./raw-ops.ts";
import { openPool, RawDb } from "./raw-sql.ts";

const address = (rng: Rng) => `${rng.int(1, 9999)} Main St`;

const OPS: Record<OperationName, (db: RawDb, city: string, rng: Rng) => Promise<void>> = {
  async readVehicles(db, city) {
    await raw.listVehicles(db, city, 25);
  },
  async updateActiveRides(db, city, rng) {
    for (const ride of await raw.activeRides(db, city, 10)) {
      const point = {
        city,
        rideId: ride.id as string,
        at: new Date(),
        lat: rng.int(-90_000, 90_000) / 1000,
        long: rng.int(-180_000, 180_000) / 1000,
      };
      await raw.logLocation(db, point).catch((err: unknown) => {
        if (!(err instanceof raw.RawRefusal)) throw err;
      });
    }
  },
  async createPromoCode(db, _city, rng) {
    const now = new Date();
    await raw.createPromoCode(db, {
      code: `PROMO_${randomUUID().replaceAll("-", "").slice(0, 16).toUpperCase()}`,
      description: "Workload promotion",
      now,
      expiresAt: new Date(now.getTime() + 30 * 86_400_000),
      percent: rng.pick([5, 10, 15, 20, 25]),
    });
  },
  async applyPromoCode(db, city, rng) {
    const userId = await raw.pickUser(db, city, randomUUID());
    if (!userId) throw new raw.RawRefusal("no_user");
    const code = await raw.pickPromoCode(db, promoCodePivot(rng));
    if (!code) throw new raw.RawRefusal("no_promo_code");
    await raw.applyPromoCode(db, { city, userId, code, now: new Date() });
  },
  async addUser(db, city, rng) {
    await raw.addUser(db, {
      id: randomUUID(),
      city,
      name: "Alex Smith",
      address: address(rng),
      creditCard: String(rng.int(1e9, 9.99e9)),
    });
  },
  async addVehicle(db, city, rng) {
    const ownerId = await raw.pickUser(db, city, randomUUID());
    if (!ownerId) throw new raw.RawRefusal("no_user");
    const type = rng.pick(VEHICLE_TYPES);
    const ext = { color: rng.pick(VEHICLE_COLORS), ...(type === "bike" ? { brand: "Workload Cycles" } : {}) };
    await raw.addVehicle(db, {
      id: randomUUID(),
      city,
      ownerId,
      type,
      location: address(rng),
      ext,
      now: new Date(),
    });
  },
  async startRide(db, city) {
    const riderId = await raw.pickUser(db, city, randomUUID());
    if (!riderId) throw new raw.RawRefusal("no_user");
    const vehicleId = await raw.pickAvailableVehicle(db, city, randomUUID());
    if (!vehicleId) throw new raw.RawRefusal("no_vehicle_available");
    await raw.startRide(db, { id: randomUUID(), city, riderId, vehicleId, now: new Date() });
  },
  async endRide(db, city, rng) {
    const [oldest] = await raw.activeRides(db, city, 1);
    if (!oldest) throw new raw.RawRefusal("no_active_ride");
    await raw.endRide(db, { city, rideId: oldest.id as string, location: address(rng), now: new Date() });
  },
};

export interface RawWorkload {
  stats: WorkloadStats;
  db: RawDb;
  elapsedS: number;
}

/**
 * The mix for `seconds` with `concurrency` workers; `onStart` runs once the connections are open,
 * `onWarm` (if given) `warmSeconds` after that, with the operations done so far.
 */
export async function runRawWorkload(
  url: string,
  o: { seconds: number; concurrency: number; readPercent: number },
  onStart: () => void = () => undefined,
  warm?: { seconds: number; onWarm: (ok: number, elapsedS: number) => void },
): Promise<RawWorkload> {
  const pool = openPool(url, o.concurrency);
  const db = new RawDb(pool);
  const stats = new WorkloadStats(OPERATIONS);
  try {
    // Every connection opened before the window, as `movr run`'s preflight opens one.
    await Promise.all(Array.from({ length: o.concurrency }, () => pool.query("select 1")));
    const perform = async (op: OperationName, city: string, rng: Rng) => {
      const t0 = performance.now();
      try {
        await OPS[op](db, city, rng);
        stats.op(op).recordOk(performance.now() - t0);
      } catch (err) {
        if (err instanceof raw.RawRefusal) stats.op(op).recordConflict(err.message);
        else {
          stats.op(op).recordError(undefined);
          stats.recordErrorState((err as { code?: string }).code ?? "other");
        }
      }
    };
    onStart();
    const started = performance.now();
    const okSoFar = () => OPERATIONS.reduce((sum, op) => sum + stats.op(op).ok, 0);
    const warmTimer = warm
      ? setTimeout(() => warm.onWarm(okSoFar(), (performance.now() - started) / 1000), warm.seconds * 1000)
      : undefined;
    const stopAt = started + o.seconds * 1000;
    const worker = async (index: number) => {
      const rng = new Rng(1_000_003 + index + 1);
      while (performance.now() < stopAt) {
        const city = rng.pick(REFERENCE_CITIES);
        if (rng.next() * 100 < o.readPercent) {
          await perform("readVehicles", city, rng);
          continue;
        }
        await perform("updateActiveRides", city, rng);
        await perform(pickWrite(rng), city, rng);
      }
    };
    await Promise.all(Array.from({ length: o.concurrency }, (_, i) => worker(i)));
    clearTimeout(warmTimer);
    return { stats, db, elapsedS: (performance.now() - started) / 1000 };
  } finally {
    await pool.end();
  }
}

async function main(
  url: string,
  seconds: number,
  concurrency: number,
  readPercent: number,
  warmSeconds: number,
): Promise<void> {
  const line = (o: object) => process.stdout.write(`${JSON.stringify(o)}\n`);
  const { stats, db, elapsedS } = await runRawWorkload(
    url,
    { seconds, concurrency, readPercent },
    () => process.stderr.write(`Running the raw workload: ${concurrency} workers, ${readPercent}% reads.\n`),
    { seconds: warmSeconds, onWarm: (ok, elapsed) => line({ type: "warm", ok, elapsed }) },
  );
  const t = stats.total();
  line({
    type: "total",
    elapsed: elapsedS,
    ok: t.ok,
    errors: t.errors,
    conflicts: t.conflicts,
    opsPerSec: t.ok / elapsedS,
    p50Ms: t.p50Ms,
    p99Ms: t.p99Ms,
  });
  line({ type: "result", transactions: { retries: db.retries, exhausted: db.exhausted } });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [url, seconds, concurrency, readPercent, warmSeconds] = process.argv.slice(2);
  main(url!, Number(seconds), Number(concurrency), Number(readPercent), Number(warmSeconds)).catch(
    (err: unknown) => {
      process.stderr.write(`raw workload: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
