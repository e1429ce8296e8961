// Connection-pool settings per dialect. Anything configured (DB_POOL_*) wins; the rest follows
// the engine's guidance.
//
// CockroachDB (https://www.cockroachlabs.com/docs/stable/connection-pooling): a fixed-size pool
// (min = max), connections recycled after 5-30 minutes so a cluster's nodes rebalance, each
// lifetime with jitter (~10%) so a pool opened in one burst does not reconnect in one burst, and an
// idle timeout equal to the lifetime, so a lull does not close connections a burst then reopens
// (TLS and authentication again). PostgreSQL keeps the pool small when idle.
import type { PoolConfig } from "../config.ts";
import type { Dialect } from "./database.ts";

export interface PoolSettings {
  min: number;
  idleTimeoutMillis: number;
  /** Seconds a new connection may live: drawn once per connection (jitter), 0 for unlimited. */
  lifetimeSeconds: () => number;
}

/** CockroachDB: 10 minutes, inside the 5-30 minutes its guidance gives. */
export const COCKROACH_LIFETIME_SECONDS = 600;
export const LIFETIME_JITTER = 0.1;
export const POSTGRES_IDLE_TIMEOUT_MS = 30_000;
export const POSTGRES_LIFETIME_SECONDS = 1800;

/** `random` in [0, 1): injected in tests. */
export function poolSettingsFor(
  dialect: Dialect,
  pool: Pick<PoolConfig, "max" | "min" | "idleTimeoutMs" | "maxLifetimeSeconds">,
  random: () => number = () => Math.random(),
): PoolSettings {
  if (dialect === "postgres") {
    const lifetime = pool.maxLifetimeSeconds ?? POSTGRES_LIFETIME_SECONDS;
    return {
      min: pool.min ?? 0,
      idleTimeoutMillis: pool.idleTimeoutMs ?? POSTGRES_IDLE_TIMEOUT_MS,
      lifetimeSeconds: () => lifetime,
    };
  }
  const lifetime = pool.maxLifetimeSeconds ?? COCKROACH_LIFETIME_SECONDS;
  return {
    min: Math.min(pool.min ?? pool.max, pool.max),
    idleTimeoutMillis: pool.idleTimeoutMs ?? lifetime * 1000,
    lifetimeSeconds: () =>
      lifetime === 0 ? 0 : Math.max(1, Math.round(lifetime * (1 + LIFETIME_JITTER * (2 * random() - 1)))),
  };
}
