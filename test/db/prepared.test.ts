// Prepared statements (src/db/prepared.ts): built once per Drizzle instance, inside transactions
// too, named by their text so two texts never share a name on a connection, and on PostgreSQL
// kept server-side under that name.
import { and, eq, fillPlaceholders, isNull, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/node-postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database, Db } from "../../src/db/database.ts";
import { placeholderFiller, preparedQuery, statementName } from "../../src/db/prepared.ts";
import { rides } from "../../src/rides/ride.table.ts";
import { runTransaction } from "../../src/db/transaction.ts";
import { dropServerDatabases, openMigrated, TARGETS } from "../support/databases.ts";

afterAll(dropServerDatabases);

it("names a statement by its text: the same text the same name, another text another, within 63 bytes", () => {
  const a = statementName("list", "select 1");
  expect(statementName("list", "select 1")).toBe(a);
  expect(statementName("list", "select 2")).not.toBe(a);
  expect(statementName("x".repeat(200), "select 1").length).toBeLessThanOrEqual(63);
  expect(a).toMatch(/^movr_list_[0-9a-f]{16}$/);
});

it("fills a statement's placeholders as Drizzle's fillPlaceholders does, encoders and fixed values included", () => {
  const P = sql.placeholder;
  // Placeholders in values() (each a Param: the column's encoder), in conditions, and fixed values.
  const db = drizzle.mock();
  const { params } = db
    .insert(rides)
    .values({ id: P("id"), city: P("city"), vehicleCity: "rome", startTime: P("endTime"), revenue: "1.00" })
    .onConflictDoUpdate({
      target: [rides.city, rides.id],
      set: { endAddress: "x" },
      where: and(eq(rides.city, P("city")), isNull(rides.endAddress), eq(rides.riderId, "r")),
    })
    .toSQL();
  const values = { city: "rome", id: "i", endTime: new Date("2026-06-01T10:05:00.5Z") };
  const fill = placeholderFiller(params);
  expect(fill(values)).toEqual(fillPlaceholders(params, values));
  expect(fill(values)).toContain("2026-06-01T10:05:00.500Z");
  expect(fill({ ...values, city: "paris" })[fill(values).indexOf("rome")]).toBe("paris");
  expect(() => fill({ city: "rome", id: "i" })).toThrow('No value for placeholder "endTime" was provided');
});

describe.each(TARGETS)("prepared statements on $name", (target) => {
  let database: Database;
  beforeAll(async () => {
    database = await openMigrated(target);
  });
  afterAll(async () => {
    await database?.close();
  });

  /** A prepared `SELECT $n + k` that counts how often Drizzle built it. */
  function counted(label: string, k: number) {
    const built: Db[] = [];
    const query = preparedQuery(label, (db) => {
      built.push(db);
      return db
        .select({ n: sql<number>`${sql.placeholder("n")}::int + ${sql.raw(String(k))}` })
        .from(sql`(SELECT 1) AS one`);
    });
    return { query, built };
  }

  const backendPid = async (tx: Db) =>
    ((await tx.execute(sql`SELECT pg_backend_pid() AS pid`)) as unknown as { rows: { pid: number }[] })
      .rows[0]!.pid;

  it("builds a statement once per Drizzle instance, on its own and in transactions", async () => {
    const { query, built } = counted("plus", 1);
    for (let i = 0; i < 3; i++) {
      const [row] = await runTransaction(database, (tx) => query(tx).execute({ n: i }), {
        singleStatement: true,
      });
      expect(row?.n).toBe(i + 1);
    }
    expect(built).toHaveLength(1);
    // Each transaction runs on a connection's own Drizzle instance: PGlite has one, a pool one per
    // connection it opened.
    const pids = new Set<number>();
    for (let i = 0; i < 4; i++) {
      const [row] = await runTransaction(database, async (tx) => {
        pids.add(await backendPid(tx));
        return query(tx).execute({ n: 10 });
      });
      expect(row?.n).toBe(11);
    }
    expect(built).toHaveLength(1 + pids.size);
    if (target.name === "pglite") expect(pids.size).toBe(1);
  });

  it("two texts under one label run side by side on one connection", async () => {
    const one = counted("same_label", 1).query;
    const two = counted("same_label", 2).query;
    const rows = await runTransaction(database, async (tx) => [
      (await one(tx).execute({ n: 1 }))[0]?.n,
      (await two(tx).execute({ n: 1 }))[0]?.n,
      (await one(tx).execute({ n: 5 }))[0]?.n,
    ]);
    expect(rows).toEqual([2, 3, 6]);
  });

  // Only a server keeps named statements (PGlite ignores the names); defined, not skipped, elsewhere.
  if (target.name === "postgres")
    it("keeps the statement on the server under its name", async () => {
      const { query } = counted("kept", 3);
      const names = await runTransaction(database, async (tx) => {
        await query(tx).execute({ n: 1 });
        const r = (await tx.execute(sql`SELECT name FROM pg_prepared_statements`)) as unknown as {
          rows: { name: string }[];
        };
        return r.rows.map((row) => row.name);
      });
      expect(names.filter((n) => n.startsWith("movr_kept_"))).toHaveLength(1);
    });
});
