import { sql } from "drizzle-orm";
import type { PgTable } from "drizzle-orm/pg-core";
import type { Database } from "../db/database.ts";
import type { Tx } from "../db/transaction.ts";

/** One multi-row INSERT. Rows already there (same key) are left as they are, so a load can resume. */
export async function insertRows<T extends PgTable>(
  tx: Tx,
  table: T,
  rows: T["$inferInsert"][],
): Promise<number> {
  if (rows.length === 0) return 0;
  // RETURNING a constant counts the rows inserted without sending them back.
  const inserted = await tx
    .insert(table)
    .values(rows)
    .onConflictDoNothing()
    .returning({ one: sql<number>`1` });
  return inserted.length;
}

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

/**
 * Drops tables (and whatever depends on them), each statement on its own as CockroachDB prefers
 * for schema changes. Names come from our migrations, never from users; they are checked anyway.
 */
export async function dropTables(database: Database, names: readonly string[]): Promise<void> {
  for (const name of names) {
    if (!IDENTIFIER.test(name)) throw new Error(`Refusing to drop "${name}": not a plain table name`);
    await database.exec(`DROP TABLE IF EXISTS ${name} CASCADE`);
  }
}

/** Row counts of the given tables (a summary after a load, a check in tests). */
export async function countRows(
  database: Database,
  names: readonly string[],
): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const name of names) {
    if (!IDENTIFIER.test(name)) throw new Error(`Refusing to count "${name}": not a plain table name`);
    const { rows } = await database.query<{ n: string | number }>(`SELECT count(*) AS n FROM ${name}`);
    counts[name] = Number(rows[0]?.n ?? 0);
  }
  return counts;
}
