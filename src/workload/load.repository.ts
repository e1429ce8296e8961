import { getTableColumns, sql } from "drizzle-orm";
import type { PgTable } from "drizzle-orm/pg-core";
import type { Database } from "../db/database.ts";
import type { Tx } from "../db/transaction.ts";

/**
 * One bulk INSERT of many rows: `INSERT INTO t (cols) SELECT ... FROM unnest($1::text[], ...)`,
 * one array parameter per column however many rows (a VALUES list of 500 rows would be 5,000
 * parameters, and building it costs more than the database takes to insert it). Each value
 * goes through its column's own driver mapping, then is cast back from text to the column's
 * type, so the stored rows are those the typed Drizzle insert would store. Rows already there
 * (same key) are left as they are, so a load can resume. Works on PostgreSQL, PGlite and
 * CockroachDB (multi-argument unnest). A column no row sets is left to its default; a row that
 * leaves out a column others set gets NULL there.
 */
export async function insertRows<T extends PgTable>(
  tx: Tx,
  table: T,
  rows: T["$inferInsert"][],
): Promise<number> {
  if (rows.length === 0) return 0;
  const records = rows as Record<string, unknown>[];
  const columns = Object.entries(getTableColumns(table)).filter(([key]) =>
    records.some((r) => r[key] !== undefined),
  );
  const arrays = columns.map(([key, column]) =>
    records.map((r) => {
      const value = r[key];
      return value === undefined || value === null ? null : String(column.mapToDriverValue(value));
    }),
  );
  const names = sql.join(
    columns.map(([, c]) => sql.identifier(c.name)),
    sql`, `,
  );
  const casts = sql.raw(columns.map(([, c], i) => `c${i}::${c.getSQLType()}`).join(", "));
  const params = sql.join(
    arrays.map((a) => sql`${sql.param(a)}::text[]`),
    sql`, `,
  );
  const alias = sql.raw(`t(${columns.map((_, i) => `c${i}`).join(", ")})`);
  const result = await tx.execute(
    sql`INSERT INTO ${table} (${names}) SELECT ${casts} FROM unnest(${params}) AS ${alias} ON CONFLICT DO NOTHING RETURNING 1`,
  );
  return (result as unknown as { rows: unknown[] }).rows.length;
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
