import type { PgTable } from "drizzle-orm/pg-core";
import type { Tx } from "../db/transaction.ts";

/** One multi-row INSERT. Rows already there (same key) are left as they are, so a load can resume. */
export async function insertRows<T extends PgTable>(
  tx: Tx,
  table: T,
  rows: T["$inferInsert"][],
): Promise<number> {
  if (rows.length === 0) return 0;
  const inserted = await tx.insert(table).values(rows).onConflictDoNothing().returning();
  return inserted.length;
}
