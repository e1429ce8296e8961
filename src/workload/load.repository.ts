import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { getTableColumns, getTableName, sql } from "drizzle-orm";
import type pg from "pg";
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

/** A value in COPY's text format: \N for NULL; backslash, tab, newline and return escaped. */
function copyText(value: string | null): string {
  if (value === null) return "\\N";
  return value.replace(/[\\\t\n\r]/g, (c) => ({ "\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r" })[c]!);
}

/**
 * One `COPY t (cols) FROM STDIN` of many rows on a pooled connection, on its own (an implicit
 * transaction: all rows or none, on PostgreSQL and CockroachDB alike); the fastest bulk path
 * both accept. Values go through their column's driver mapping and are written as text, as
 * insertRows sends them, so the stored rows are the same. Unlike insertRows a row already there
 * fails the whole COPY (unique violation): for tables that start empty. Returns rows copied.
 */
export async function copyRows<T extends PgTable>(
  pool: pg.Pool,
  table: T,
  rows: T["$inferInsert"][],
): Promise<number> {
  if (rows.length === 0) return 0;
  const { from: copyFrom } = await import("pg-copy-streams");
  const records = rows as Record<string, unknown>[];
  const columns = Object.entries(getTableColumns(table)).filter(([key]) =>
    records.some((r) => r[key] !== undefined),
  );
  const lines: string[] = [];
  for (const r of records) {
    const fields: string[] = [];
    for (const [key, column] of columns) {
      const value = r[key];
      fields.push(
        copyText(value === undefined || value === null ? null : String(column.mapToDriverValue(value))),
      );
    }
    lines.push(`${fields.join("\t")}\n`);
  }
  const names = columns.map(([, c]) => `"${c.name}"`).join(", ");
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    const stream = client.query(copyFrom(`COPY ${getTableName(table)} (${names}) FROM STDIN`));
    await pipeline(Readable.from([lines.join("")]), stream);
    return Number(stream.rowCount ?? rows.length);
  } catch (err) {
    broken = err as Error;
    throw err;
  } finally {
    // A COPY cut off midway leaves the connection in an unknown state: destroy it.
    client.release(broken);
  }
}

/** Whether `table` has no rows (one indexed probe). */
export async function isEmpty(database: Database, table: PgTable): Promise<boolean> {
  const { rows } = await database.query(`SELECT 1 FROM ${getTableName(table)} LIMIT 1`);
  return rows.length === 0;
}

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

/**
 * Collects the planner's statistics of `tables` now: `ANALYZE t`, one statement per table (on
 * CockroachDB an alias of `CREATE STATISTICS`, which takes one table and no transaction block).
 * After a bulk load PostgreSQL has none until autovacuum comes round (PGlite never runs
 * autovacuum), and the generic plan of ending a ride then reads every active ride of the city
 * (ADR 019). Names come from our code, never from users; they are checked anyway.
 */
export async function analyzeTables(database: Database, tables: readonly PgTable[]): Promise<void> {
  for (const table of tables) {
    const name = getTableName(table);
    if (!IDENTIFIER.test(name)) throw new Error(`Refusing to analyze "${name}": not a plain table name`);
    await database.exec(`ANALYZE ${name}`);
  }
}

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

/** An active ride a load is about to insert: its key, its vehicle and its rider. */
export interface ActiveRideKey {
  city: string;
  id: string;
  vehicleCity: string;
  vehicleId: string;
  riderId: string;
}

/** A vehicle a load is about to insert: its key and its owner. */
export interface VehicleKey {
  city: string;
  id: string;
  ownerId: string;
}

const CHECK_BATCH = 5000;

/**
 * How many rows a load generated would contradict rows already in the database, where
 * `INSERT ... ON CONFLICT DO NOTHING` would not simply leave an equal row alone:
 * - an active ride not there yet whose vehicle or rider already has an active ride (the partial
 *   unique indexes of migration 0002: the ride would be skipped and its location points orphaned),
 *   or whose vehicle is there with a status other than `in_use` (migration 0003's rule);
 * - an active ride whose key is there for another vehicle or rider (its new vehicle would be
 *   `in_use` without it);
 * - a new vehicle whose owner is there and not flagged `is_owner`.
 * Checked 5,000 rows per statement, one array parameter per column.
 */
export async function countLoadClashes(
  database: Database,
  planned: { activeRides: readonly ActiveRideKey[]; vehicles: readonly VehicleKey[] },
): Promise<number> {
  let clashes = 0;
  const count = async (sql: string, params: unknown[]) => {
    const { rows } = await database.query<{ n: string | number }>(sql, params);
    clashes += Number(rows[0]?.n ?? 0);
  };
  for (let start = 0; start < planned.activeRides.length; start += CHECK_BATCH) {
    const batch = planned.activeRides.slice(start, start + CHECK_BATCH);
    await count(
      `SELECT count(*) AS n
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[])
              AS g(city, id, vehicle_city, vehicle_id, rider_id)
        WHERE CASE WHEN EXISTS (SELECT 1 FROM rides r WHERE r.city = g.city AND r.id = g.id::uuid)
              THEN NOT EXISTS (SELECT 1 FROM rides r
                                WHERE r.city = g.city AND r.id = g.id::uuid AND r.vehicle_city = g.vehicle_city
                                  AND r.vehicle_id = g.vehicle_id::uuid AND r.rider_id = g.rider_id::uuid)
              ELSE EXISTS (SELECT 1 FROM rides r
                            WHERE r.vehicle_city = g.vehicle_city AND r.vehicle_id = g.vehicle_id::uuid
                              AND r.end_time IS NULL)
                OR EXISTS (SELECT 1 FROM rides r
                            WHERE r.city = g.city AND r.rider_id = g.rider_id::uuid AND r.end_time IS NULL)
                OR EXISTS (SELECT 1 FROM vehicles v
                            WHERE v.city = g.vehicle_city AND v.id = g.vehicle_id::uuid AND v.status <> 'in_use')
              END`,
      [
        batch.map((r) => r.city),
        batch.map((r) => r.id),
        batch.map((r) => r.vehicleCity),
        batch.map((r) => r.vehicleId),
        batch.map((r) => r.riderId),
      ],
    );
  }
  for (let start = 0; start < planned.vehicles.length; start += CHECK_BATCH) {
    const batch = planned.vehicles.slice(start, start + CHECK_BATCH);
    await count(
      `SELECT count(*) AS n
         FROM unnest($1::text[], $2::text[], $3::text[]) AS g(city, id, owner_id)
        WHERE NOT EXISTS (SELECT 1 FROM vehicles v WHERE v.city = g.city AND v.id = g.id::uuid)
          AND EXISTS (SELECT 1 FROM users u WHERE u.city = g.city AND u.id = g.owner_id::uuid AND NOT u.is_owner)`,
      [batch.map((v) => v.city), batch.map((v) => v.id), batch.map((v) => v.ownerId)],
    );
  }
  return clashes;
}
