// Every "the database cannot answer now" condition is one of a few kinds, told apart by SQLSTATE
// (or the driver's errno), and runTransaction turns it into a 503-bound DatabaseUnavailableError.
// The SQLSTATEs are raised for real, by a trigger, on PGlite and the server.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../src/db/database.ts";
import { unavailabilityOf } from "../../src/db/sql-errors.ts";
import { runTransaction, withRetries } from "../../src/db/transaction.ts";
import { DatabaseUnavailableError } from "../../src/shared/errors.ts";
import { insertUser } from "../../src/users/user.repository.ts";
import { dropServerDatabases, openMigrated, TARGETS } from "../support/databases.ts";
import { installFaults, OUTAGE_STATES, type Faults } from "../support/faults.ts";

afterAll(dropServerDatabases);

const userRow = () => ({
  id: randomUUID(),
  city: "boston",
  name: "Olga Outage",
  address: null,
  creditCard: null,
  username: `o${randomUUID().slice(0, 8)}`,
  email: "o@example.com",
  passwordHash: null,
});

describe("unavailabilityOf, without a database", () => {
  it("knows the driver's connection errors, the pool's timeout and Drizzle's wrapping", () => {
    const wrap = (cause: unknown) => Object.assign(new Error("Failed query: select 1\nparams: "), { cause });
    expect(unavailabilityOf(wrap(Object.assign(new Error("connect"), { code: "ECONNREFUSED" })))).toBe(
      "connection",
    );
    const refusedDualStack = new AggregateError([Object.assign(new Error(""), { code: "ECONNREFUSED" })], "");
    expect(unavailabilityOf(refusedDualStack)).toBe("connection");
    expect(unavailabilityOf(wrap(new Error("Connection terminated unexpectedly")))).toBe("connection");
    expect(unavailabilityOf(new Error("timeout exceeded when trying to connect"))).toBe("pool_timeout");
    // Node's errors for a write on a socket that already closed (a statement racing the server's end).
    for (const code of ["ERR_STREAM_DESTROYED", "ERR_STREAM_WRITE_AFTER_END", "ERR_SOCKET_CLOSED"]) {
      expect(unavailabilityOf(wrap(Object.assign(new Error("write after end"), { code }))), code).toBe(
        "connection",
      );
    }
    expect(unavailabilityOf(wrap(Object.assign(new Error("x"), { code: "23505" })))).toBeUndefined();
    expect(unavailabilityOf(wrap(Object.assign(new Error("x"), { code: "40001" })))).toBeUndefined();
    expect(unavailabilityOf(new TypeError("undefined is not a function"))).toBeUndefined();
  });
});

describe.each(TARGETS)("outages raised by the database on $name", (target) => {
  let database: Database;
  let faults: Faults;

  beforeAll(async () => {
    database = await openMigrated(target);
    faults = await installFaults(database);
  });
  afterAll(async () => {
    await database?.close();
  });

  const insert = () => runTransaction(database, (tx) => insertUser(tx, userRow()));

  for (const [kind, states] of Object.entries(OUTAGE_STATES)) {
    it(`${kind}: ${states.join(", ")} become DatabaseUnavailableError("${kind}")`, async () => {
      for (const state of states) {
        await faults.set(state);
        const err = await insert().catch((e: unknown) => e);
        expect(err, state).toBeInstanceOf(DatabaseUnavailableError);
        expect((err as DatabaseUnavailableError).kind, state).toBe(kind);
        expect((err as DatabaseUnavailableError).retryAfterSeconds).toBeGreaterThan(0);
      }
      await faults.set(undefined);
      await insert();
    });
  }

  it("40003 (result is ambiguous) is tried once, never again, and says the outcome is unknown", async () => {
    await faults.set("40003");
    let attempts = 0;
    const err = await runTransaction(database, async (tx) => {
      attempts++;
      return insertUser(tx, userRow());
    }).catch((e: unknown) => e);
    await faults.set(undefined);
    expect(attempts).toBe(1);
    expect((err as DatabaseUnavailableError).message).toMatch(/outcome is unknown/);
  });

  it("other errors stay what they are: a NOT NULL violation is no outage", async () => {
    await faults.set("23502");
    const err = await insert().catch((e: unknown) => e);
    await faults.set(undefined);
    expect(err).not.toBeInstanceOf(DatabaseUnavailableError);
    expect(unavailabilityOf(err)).toBeUndefined();
  });
});

it("withRetries never re-runs an outage (40003, 57P03, lost connection)", async () => {
  for (const code of ["40003", "57P03", "ECONNRESET"]) {
    let attempts = 0;
    await withRetries(
      async () => {
        attempts++;
        throw Object.assign(new Error("x"), { code });
      },
      { maxAttempts: 5, baseDelayMs: 1, maxDelayMs: 1, sleep: async () => undefined, random: () => 0 },
    ).catch(() => undefined);
    expect(attempts, code).toBe(1);
  }
});
