// CockroachDB's errors without CockroachDB: a constraint trigger deferred to COMMIT raises the
// SQLSTATE and message CockroachDB would (test/support/faults.ts), through runTransaction and the
// services, on PGlite and the server. 40001 "restart transaction" at COMMIT is retried and
// counted; 40003 "result is ambiguous" is not retried; 57P01 "server is shutting down" is an
// outage, and the connection it came on is replaced.
import { randomUUID } from "node:crypto";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../src/db/database.ts";
import { runTransaction } from "../../src/db/transaction.ts";
import { DatabaseUnavailableError } from "../../src/shared/errors.ts";
import { insertUser } from "../../src/users/user.repository.ts";
import { addUser } from "../../src/users/user.service.ts";
import { dropServerDatabases, openMigrated, testContext, TARGETS } from "../support/databases.ts";
import { COCKROACH_ERRORS, installCommitFaults, type CommitFaults } from "../support/faults.ts";

afterAll(dropServerDatabases);

const userRow = (id = randomUUID()) => ({ id, city: "boston", name: "Carla Commit" });

describe.each(TARGETS)("CockroachDB's errors at COMMIT on $name", (target) => {
  let database: Database;
  let faults: CommitFaults;
  const observed: string[] = [];

  beforeAll(async () => {
    // One pooled connection on the server: a replaced connection shows as a new backend.
    database = await openMigrated(target, {
      poolMax: 1,
      txObserver: {
        committed: (n) => observed.push(`committed after ${n}`),
        retried: (s) => observed.push(`retried ${s}`),
        gaveUp: (s) => observed.push(`gave up ${s}`),
      },
    });
    faults = await installCommitFaults(database, ["users"]);
  });
  afterAll(async () => database?.close());

  const usersWithId = async (id: string) =>
    Number(
      (await database.query<{ n: string | number }>("SELECT count(*) AS n FROM users WHERE id = $1", [id]))
        .rows[0]!.n,
    );
  const backend = () =>
    runTransaction(database, async (tx) => {
      const r = (await tx.execute(sql`SELECT pg_backend_pid() AS pid`)) as unknown as {
        rows: { pid: number }[];
      };
      return r.rows[0]!.pid;
    });

  it("40001 restart transaction at COMMIT: the whole transaction is re-run once, commits, and the retry is counted", async () => {
    await faults.arm(COCKROACH_ERRORS.retry, 1);
    const id = randomUUID();
    const before = { ...database.stats };
    observed.length = 0;
    let attempts = 0;
    let callbacksFinished = 0;
    const result = await runTransaction(database, async (tx) => {
      attempts++;
      const row = await insertUser(tx, userRow(id));
      callbacksFinished++;
      return row;
    });
    expect(result.id).toBe(id);
    // Both attempts ran every statement: the first failed after them, at COMMIT.
    expect(attempts).toBe(2);
    expect(callbacksFinished).toBe(2);
    expect(await faults.checked()).toBe(2);
    expect(database.stats.retries - before.retries).toBe(1);
    expect(database.stats.committed - before.committed).toBe(1);
    expect(observed).toEqual(["retried 40001", "committed after 2"]);
    expect(await usersWithId(id)).toBe(1);
  });

  it("40001 at the COMMIT of a statement on its own (addUser): retried, committed once", async () => {
    await faults.arm(COCKROACH_ERRORS.retry, 2);
    const before = database.stats.retries;
    const user = await addUser(testContext(database), { city: "boston", name: "Solo Sam" });
    expect(database.stats.retries - before).toBe(2);
    expect(await faults.checked()).toBe(3);
    expect(await usersWithId(user.id)).toBe(1);
  });

  it("40003 result is ambiguous at COMMIT: tried once, never again, an outage whose outcome is unknown", async () => {
    await faults.arm(COCKROACH_ERRORS.ambiguous, 1);
    const before = database.stats.retries;
    let attempts = 0;
    const id = randomUUID();
    const err = await runTransaction(database, async (tx) => {
      attempts++;
      return insertUser(tx, userRow(id));
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatabaseUnavailableError);
    expect((err as DatabaseUnavailableError).kind).toBe("ambiguous");
    expect((err as Error).message).toMatch(/outcome is unknown/);
    expect((err as Error).message).not.toMatch(/rpc error|ambiguous:/);
    expect(attempts).toBe(1);
    expect(database.stats.retries).toBe(before);
    expect(await faults.checked()).toBe(1);
    // The trigger's error rolled it back here; on CockroachDB it might have committed.
    expect(await usersWithId(id)).toBe(0);
    await runTransaction(database, (tx) => insertUser(tx, userRow()));
  });

  it("57P01 server is shutting down: an outage, not retried; the next transaction runs on a new connection", async () => {
    const first = await backend();
    expect(await backend()).toBe(first);
    for (const implicit of [false, true]) {
      const pid = await backend();
      await faults.arm(COCKROACH_ERRORS.shutdown, 1);
      let attempts = 0;
      const err = await runTransaction(
        database,
        async (tx) => {
          attempts++;
          return insertUser(tx, userRow());
        },
        { singleStatement: implicit },
      ).catch((e: unknown) => e);
      expect(err, `implicit: ${implicit}`).toBeInstanceOf(DatabaseUnavailableError);
      // At an explicit COMMIT on a server, whether it committed is unknown (the server may close
      // the connection before answering); a statement on its own says so as it is: shutdown.
      const kind = (err as DatabaseUnavailableError).kind;
      expect(kind).toBe(target.name === "postgres" && !implicit ? "ambiguous" : "shutdown");
      expect(attempts).toBe(1);
      const after = await backend();
      if (target.name === "postgres") expect(after, `implicit: ${implicit}`).not.toBe(pid);
      await runTransaction(database, (tx) => insertUser(tx, userRow()));
    }
  });
});
