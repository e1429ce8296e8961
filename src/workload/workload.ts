// The reference workload (`cockroach workload run movr` and the Python generator), on the data
// API: every operation is a service call, so it runs the same retried transactions as the web
// application. Workers loop until the signal aborts; outcomes go to WorkloadStats.
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { pause } from "../shared/timers.ts";
import { performance } from "node:perf_hooks";
import type { Database } from "../db/database.ts";
import { sqlState, unavailabilityOf, type UnavailabilityKind } from "../db/sql-errors.ts";
import { applyPromoCode, createPromoCode, pickPromoCode } from "../promo-codes/promo-code.service.ts";
import { endRide, listActiveRides, logLocation, startRide } from "../rides/ride.service.ts";
import type { MovrContext } from "../shared/context.ts";
import { DomainError, type ErrorCode } from "../shared/errors.ts";
import { addUser, pickUser } from "../users/user.service.ts";
import { addVehicle, listVehicles, pickAvailableVehicle } from "../vehicles/vehicle.service.ts";
import { VEHICLE_COLORS, VEHICLE_TYPES } from "../vehicles/vehicle.table.ts";
import { promoCodePivot } from "./generate.ts";
import { Rng } from "./random.ts";
import type { WorkloadStats } from "./stats.ts";

/** Operation names as `cockroach workload run movr` reports them. */
export const OPERATIONS = [
  "readVehicles",
  "updateActiveRides",
  "createPromoCode",
  "applyPromoCode",
  "addUser",
  "addVehicle",
  "startRide",
  "endRide",
] as const;
export type OperationName = (typeof OPERATIONS)[number];

export interface WorkloadOptions {
  /** Cities the workers pick from. */
  cities: readonly string[];
  /** Share of loop iterations that are reads, 0 to 100. */
  readPercent: number;
  /** Reads as of follower_read_timestamp() (CockroachDB only; runTransaction refuses elsewhere). */
  followerReads: boolean;
  concurrency: number;
  /** Operations per second over all workers; 0 for no limit. */
  maxRate: number;
  /** Keep going after unexpected errors. Outages (see Outcome) never stop a run. */
  tolerateErrors: boolean;
  seed: number;
}

/** An expected outcome that did no work: nothing to pick, or a conflict the database refused. */
class Skip extends Error {
  constructor(readonly code: string) {
    super(code);
  }
}

/** Domain errors that are expected under concurrency: counted as conflicts, not errors. */
const EXPECTED: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  "vehicle_unavailable",
  "already_riding",
  "ride_already_ended",
  "username_taken",
  "promo_code_already_applied",
  "promo_code_expired",
  "vehicle_in_use",
  "promo_code_exists",
  "location_already_logged",
  "not_found",
]);

export type Outcome =
  | { kind: "conflict"; code: string }
  | {
      kind: "error";
      state: string;
      /**
       * The database could not answer (src/db/sql-errors.ts unavailabilityOf: connection refused
       * or lost, 57P01/02/03, 08xxx, 3D000, pool acquire timeout, statement timeout, 53xxx,
       * 40003): the run counts it and goes on, whatever --tolerate-errors says.
       */
      outage: UnavailabilityKind | undefined;
      /** Same as `outage !== undefined`: the operation's outcome may be unknown. */
      connection: boolean;
      message: string;
    };

export function classify(err: unknown): Outcome {
  if (err instanceof Skip) return { kind: "conflict", code: err.code };
  if (err instanceof DomainError && EXPECTED.has(err.code)) return { kind: "conflict", code: err.code };
  // Tables missing mid-run (no_schema, 42P01) stay fatal: the operator is there to run
  // "movr load" (run.report.ts says so), and no retry brings them back.
  const kind = unavailabilityOf(err);
  const outage = kind === "no_schema" ? undefined : kind;
  const state = sqlState(err) ?? errorCode(err) ?? (outage === undefined ? "other" : outage);
  const message = err instanceof Error ? err.message : String(err);
  return { kind: "error", state, outage, connection: outage !== undefined, message };
}

/** A driver's error code (ECONNRESET, ...) anywhere down the cause chain. */
function errorCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e && typeof e === "object" && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && /^E[A-Z]+$/.test(code)) return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

class RateLimiter {
  private next = 0;
  constructor(private readonly perSecond: number) {}
  /** Waits for this caller's slot: slots are 1/rate apart over all workers. */
  async take(signal: AbortSignal): Promise<void> {
    const now = performance.now();
    const at = Math.max(now, this.next);
    this.next = at + 1000 / this.perSecond;
    // Spacing grows with workers / rate: a very low --max-rate can ask for more than a timer holds.
    if (at > now) await pause(at - now, signal);
  }
}

const STREETS = ["Main St", "Broadway", "Market St", "Canal St", "High St", "Station Rd"];
const NAMES = ["Alex", "Sam", "Robin", "Jordan", "Casey", "Taylor", "Morgan", "Jamie"];
const SURNAMES = ["Smith", "Garcia", "Müller", "Rossi", "Dubois", "de Vries", "Kim", "Nguyen"];

interface Worker {
  ctx: MovrContext;
  o: WorkloadOptions;
  rng: Rng;
  stats: WorkloadStats;
}

const address = (rng: Rng) => `${rng.int(1, 9999)} ${rng.pick(STREETS)}`;

async function readVehicles(w: Worker, city: string): Promise<void> {
  await listVehicles(w.ctx, { city, limit: 25, followerReads: w.o.followerReads });
}

/** Logs a location point for up to ten of the city's active rides. */
async function updateActiveRides(w: Worker, city: string): Promise<void> {
  const active = await listActiveRides(w.ctx, city, 10);
  for (const ride of active) {
    try {
      await logLocation(w.ctx, {
        city,
        rideId: ride.id,
        lat: w.rng.int(-90_000, 90_000) / 1000,
        long: w.rng.int(-180_000, 180_000) / 1000,
        actor: "system",
      });
      w.stats.locationsLogged++;
    } catch (err) {
      // The ride ended meanwhile, or another worker logged it this very millisecond.
      if (classify(err).kind === "conflict") continue;
      throw err;
    }
  }
}

async function createPromo(w: Worker): Promise<void> {
  await createPromoCode(w.ctx, {
    code: `PROMO_${randomUUID().replaceAll("-", "").slice(0, 16).toUpperCase()}`,
    description: "Workload promotion",
    discountPercent: w.rng.pick([5, 10, 15, 20, 25]),
    expiresAt: new Date(w.ctx.clock().getTime() + 30 * 86_400_000),
  });
}

async function applyPromo(w: Worker, city: string): Promise<void> {
  const userId = await pickUser(w.ctx, city);
  if (!userId) throw new Skip("no_user");
  const code = await pickPromoCode(w.ctx, promoCodePivot(w.rng));
  if (!code) throw new Skip("no_promo_code");
  await applyPromoCode(w.ctx, { city, userId, code });
}

async function newUser(w: Worker, city: string): Promise<void> {
  await addUser(w.ctx, {
    id: randomUUID(),
    city,
    name: `${w.rng.pick(NAMES)} ${w.rng.pick(SURNAMES)}`,
    address: address(w.rng),
    creditCard: String(w.rng.int(1e9, 9.99e9)),
  });
}

async function newVehicle(w: Worker, city: string): Promise<void> {
  const ownerId = await pickUser(w.ctx, city);
  if (!ownerId) throw new Skip("no_user");
  const type = w.rng.pick(VEHICLE_TYPES);
  await addVehicle(w.ctx, {
    ownerCity: city,
    ownerId,
    type,
    location: address(w.rng),
    color: w.rng.pick(VEHICLE_COLORS),
    brand: type === "bike" ? "Workload Cycles" : null,
  });
}

async function beginRide(w: Worker, city: string): Promise<void> {
  const riderId = await pickUser(w.ctx, city);
  if (!riderId) throw new Skip("no_user");
  const vehicleId = await pickAvailableVehicle(w.ctx, city);
  if (!vehicleId) throw new Skip("no_vehicle_available");
  await startRide(w.ctx, { city, vehicleId, riderId, id: randomUUID() });
}

async function finishOldestRide(w: Worker, city: string): Promise<void> {
  const [oldest] = await listActiveRides(w.ctx, city, 1);
  if (!oldest) throw new Skip("no_active_ride");
  await endRide(w.ctx, { city, rideId: oldest.id, location: address(w.rng), actor: "system" });
}

export type WriteOperation =
  "createPromoCode" | "applyPromoCode" | "addUser" | "addVehicle" | "startRide" | "endRide";

/** The write tick's choices, each tested in turn with its own probability (the reference mix). */
export const WRITE_MIX: readonly (readonly [WriteOperation, number])[] = [
  ["createPromoCode", 0.03],
  ["applyPromoCode", 0.1],
  ["addUser", 0.3],
  ["addVehicle", 0.1],
  ["startRide", 0.5],
];

/** The first operation whose test passes; otherwise end the oldest active ride. */
export function pickWrite(rng: Rng): WriteOperation {
  for (const [op, probability] of WRITE_MIX) if (rng.next() < probability) return op;
  return "endRide";
}

/**
 * Counts idle pooled connections the server closed (pg_terminate_backend, a restart): the pool
 * drops and replaces them, and `onIdleLost` is told. Connections lost during an operation are
 * counted by the operation's error. (The database handle destroys a connection that broke in a
 * transaction and keeps its `error` event from killing the process.) Returns the unsubscribe.
 */
export function watchIdleConnections(
  database: Database,
  onIdleLost: () => void = () => undefined,
): () => void {
  const pool = database.pool;
  if (!pool) return () => undefined;
  pool.on("error", onIdleLost);
  return () => {
    pool.off("error", onIdleLost);
  };
}

export interface FatalError {
  op: OperationName;
  error: unknown;
}

/**
 * Runs `o.concurrency` workers until `signal` aborts. Each loop iteration picks a city, then
 * reads (with probability readPercent) or does a write tick. The first unexpected error is
 * passed to `onFatal` unless errors are tolerated; the caller decides to abort.
 */
export async function runWorkers(
  ctx: MovrContext,
  o: WorkloadOptions,
  stats: WorkloadStats,
  signal: AbortSignal,
  onFatal: (fatal: FatalError) => void,
): Promise<void> {
  const limiter = o.maxRate > 0 ? new RateLimiter(o.maxRate) : undefined;

  const perform = async (w: Worker, op: OperationName, fn: () => Promise<void>): Promise<void> => {
    if (signal.aborted) return;
    if (limiter) {
      await limiter.take(signal);
      if (signal.aborted) return;
    }
    const started = performance.now();
    try {
      await fn();
      stats.op(op).recordOk(performance.now() - started);
    } catch (err) {
      const outcome = classify(err);
      if (outcome.kind === "conflict") {
        stats.op(op).recordConflict(outcome.code);
        return;
      }
      stats.op(op).recordError(outcome.outage, outcome.state);
      stats.recordErrorState(outcome.state);
      if (outcome.outage) {
        // An outage is the database's, not the workload's: never fatal. The pool replaces broken
        // connections; a pause keeps a server that is down (or restarting) from being hammered.
        await sleep(100, undefined, { signal }).catch(() => undefined);
      } else if (!o.tolerateErrors) {
        onFatal({ op, error: err });
      }
    }
  };

  const tick = async (w: Worker): Promise<void> => {
    const city = w.rng.pick(o.cities);
    if (w.rng.next() * 100 < o.readPercent) {
      await perform(w, "readVehicles", () => readVehicles(w, city));
      return;
    }
    await perform(w, "updateActiveRides", () => updateActiveRides(w, city));
    const op = pickWrite(w.rng);
    const run: Record<WriteOperation, () => Promise<void>> = {
      createPromoCode: () => createPromo(w),
      applyPromoCode: () => applyPromo(w, city),
      addUser: () => newUser(w, city),
      addVehicle: () => newVehicle(w, city),
      startRide: () => beginRide(w, city),
      endRide: () => finishOldestRide(w, city),
    };
    await perform(w, op, run[op]);
  };

  const embedded = ctx.database.kind === "embedded";
  const worker = async (index: number) => {
    const w: Worker = { ctx, o, rng: new Rng(o.seed * 1_000_003 + index + 1), stats };
    while (!signal.aborted) {
      await tick(w);
      // PGlite answers without touching the event loop (promises over synchronous WASM): yield,
      // or the timers that print each second and end the run would never fire. A server's
      // answers arrive as I/O events, which yield already.
      if (embedded) await new Promise<void>((resolve) => setImmediate(resolve));
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, (_, i) => worker(i)));
}
