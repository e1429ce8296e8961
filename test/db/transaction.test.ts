// runTransaction: retried only on serialization failures, with bounded backoff, then a distinct error.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../src/db/database.ts";
import {
  backoffMs,
  FOLLOWER_READ_SQL,
  runTransaction,
  translateError,
  withRetries,
  type RetryPolicy,
} from "../../src/db/transaction.ts";
import { DomainError, RetriesExhaustedError } from "../../src/shared/errors.ts";
import { insertUser } from "../../src/users/user.repository.ts";
import { getUsersOfCity } from "../../src/users/user.service.ts";
import { dropServerDatabases, openMigrated, testContext, TARGETS } from "../support/databases.ts";

/** Shaped like a Drizzle error wrapping a driver error, as the real ones are. */
const serializationFailure = () =>
  Object.assign(new Error("Failed query: ..."), {
    cause: Object.assign(new Error("could not serialize access"), { code: "40001" }),
  });

function policy(overrides: Partial<RetryPolicy> = {}): RetryPolicy & { sleeps: number[] } {
  const sleeps: number[] = [];
  return {
    maxAttempts: 5,
    baseDelayMs: 10,
    maxDelayMs: 100,
    random: () => 0.999,
    sleep: async (ms: number) => {
      sleeps.push(ms);
    },
    sleeps,
    ...overrides,
  };
}

describe("withRetries", () => {
  it("re-runs on 40001 and 40P01 until success, counting retries", async () => {
    const p = policy();
    const stats = { committed: 0, retries: 0, exhausted: 0 };
    const seen: number[] = [];
    const result = await withRetries(
      async (n) => {
        seen.push(n);
        if (n === 1) throw serializationFailure();
        if (n === 2) throw Object.assign(new Error("deadlock detected"), { code: "40P01" });
        return "done";
      },
      p,
      stats,
    );
    expect(result).toBe("done");
    expect(seen).toEqual([1, 2, 3]);
    expect(stats).toEqual({ committed: 1, retries: 2, exhausted: 0 });
    expect(p.sleeps).toHaveLength(2);
  });

  it("never retries other errors", async () => {
    const p = policy();
    let attempts = 0;
    const boom = Object.assign(new Error("duplicate key"), { code: "23505" });
    await expect(
      withRetries(async () => {
        attempts++;
        throw boom;
      }, p),
    ).rejects.toBe(boom);
    expect(attempts).toBe(1);
    expect(p.sleeps).toEqual([]);
  });

  it("gives up after maxAttempts with a distinct error", async () => {
    const p = policy({ maxAttempts: 4 });
    const stats = { committed: 0, retries: 0, exhausted: 0 };
    let attempts = 0;
    const err = await withRetries(
      async () => {
        attempts++;
        throw serializationFailure();
      },
      p,
      stats,
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RetriesExhaustedError);
    expect((err as RetriesExhaustedError).attempts).toBe(4);
    expect((err as RetriesExhaustedError).code).toBe("unavailable");
    expect(attempts).toBe(4);
    expect(stats).toEqual({ committed: 0, retries: 3, exhausted: 1 });
  });

  it("backs off exponentially with full jitter, under the cap", async () => {
    const p = policy({ maxAttempts: 8 });
    await withRetries(async (n) => {
      if (n < 8) throw serializationFailure();
    }, p);
    // random() = 0.999: each wait is just under its ceiling 10, 20, 40, 80, then the cap 100.
    expect(p.sleeps).toEqual([9, 19, 39, 79, 99, 99, 99]);
    for (let attempt = 1; attempt < 12; attempt++) {
      const low = backoffMs(attempt, { baseDelayMs: 10, maxDelayMs: 100, random: () => 0 });
      const high = backoffMs(attempt, { baseDelayMs: 10, maxDelayMs: 100, random: () => 0.999999 });
      expect(low).toBe(0);
      expect(high).toBeLessThan(Math.min(100, 10 * 2 ** (attempt - 1)));
      expect(high).toBeGreaterThanOrEqual(0);
    }
  });
});

afterAll(dropServerDatabases);

describe.each(TARGETS)("runTransaction on $name", (target) => {
  let database: Database;
  beforeAll(async () => {
    database = await openMigrated(target);
  });
  afterAll(async () => database?.close());

  it("rolls back each failed attempt and re-runs the whole callback", async () => {
    const ids = [randomUUID(), randomUUID(), randomUUID()];
    let attempt = 0;
    const before = database.stats.retries;
    await runTransaction(
      database,
      async (tx) => {
        // A different row each attempt: if a failed attempt's write survived, we would see it.
        await insertUser(tx, { id: ids[attempt]!, city: "rome", name: `attempt ${attempt + 1}` });
        attempt++;
        if (attempt < 3) throw serializationFailure();
      },
      { policy: { sleep: async () => undefined } },
    );
    expect(attempt).toBe(3);
    expect(database.stats.retries - before).toBe(2);
    const names = (await getUsersOfCity(testContext(database), "rome", 100)).map((u) => u.name);
    expect(names).toEqual(["attempt 3"]);
  });

  it("turns a unique violation into a domain conflict without retrying", async () => {
    let attempts = 0;
    const username = `u_${randomUUID().slice(0, 8)}`;
    await runTransaction(database, (tx) =>
      insertUser(tx, { id: randomUUID(), city: "paris", name: "A", username }),
    );
    const err = await runTransaction(database, async (tx) => {
      attempts++;
      await insertUser(tx, { id: randomUUID(), city: "paris", name: "B", username });
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DomainError);
    expect((err as DomainError).code).toBe("username_taken");
    expect(attempts).toBe(1);
  });

  it("follower reads run READ ONLY even when the caller did not say so (CockroachDB refuses AS OF SYSTEM TIME in READ WRITE)", async () => {
    const modes: boolean[] = [];
    const statements: string[] = [];
    const tx = {
      execute: async (q: { queryChunks?: { value?: string[] }[] }) => {
        statements.push(q.queryChunks?.map((c) => c.value?.join("") ?? "").join("") ?? "");
      },
    };
    const crdb: Database = {
      ...database,
      dialect: "cockroachdb",
      transaction: async (fn, mode) => {
        modes.push(mode.readOnly);
        return fn(tx as never);
      },
    };
    expect(await runTransaction(crdb, async () => 7, { followerReads: true })).toBe(7);
    expect(modes).toEqual([true]);
    expect(statements).toEqual([FOLLOWER_READ_SQL]);
  });

  it("maps a unique violation on a key named `primary` (older CockroachDB) by the key's columns", () => {
    const crdbError = (constraint: string, detail: string) =>
      Object.assign(new Error("Failed query: insert ..."), {
        cause: Object.assign(new Error(`duplicate key value violates unique constraint "${constraint}"`), {
          code: "23505",
          constraint,
          detail,
        }),
      });
    const cases: [string, string][] = [
      ["Key (city, user_id, code)=('paris', 'a', 'X') already exists.", "promo_code_already_applied"],
      ["Key (code)=('X') already exists.", "promo_code_exists"],
      ['Key (region, city, ride_id, "timestamp")=(...) already exists.', "location_already_logged"],
      ["Key (city, vehicle_id)=('paris', 'b') already exists.", "vehicle_unavailable"],
      ["Key (city, rider_id)=('paris', 'c') already exists.", "already_riding"],
      ["Key (username)=('ann') already exists.", "username_taken"],
    ];
    for (const [detail, code] of cases) {
      expect((translateError(crdbError("primary", detail)) as DomainError).code, detail).toBe(code);
    }
    // Unknown keys stay driver errors.
    expect(
      translateError(crdbError("primary", "Key (city, id)=('paris', 'd') already exists.")),
    ).not.toBeInstanceOf(DomainError);
  });

  it("refuses follower reads outside CockroachDB", async () => {
    const err = await runTransaction(database, async () => 1, { followerReads: true }).catch(
      (e: unknown) => e,
    );
    expect((err as DomainError).code).toBe("unsupported");
    expect((err as DomainError).message).toMatch(/CockroachDB/);
  });
});
