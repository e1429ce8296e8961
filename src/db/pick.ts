// The reference workload's random pick (`… WHERE key > random ORDER BY key LIMIT 1`, and from
// the start when nothing follows the pivot) as one statement: a round trip instead of a
// transaction of two reads.
import { and, asc, gt, sql, type SQL } from "drizzle-orm";
import { unionAll, type AnyPgColumn, type PgTable } from "drizzle-orm/pg-core";
import type { Db } from "./database.ts";

/**
 * The first `key` of `table` (rows matching `where`) after `pivot`, else the first of all: both
 * one-row branches of a UNION ALL, then the one ranked first. Ranked, not left to the order of
 * the branches, which neither PostgreSQL nor CockroachDB promises.
 */
export function firstAfterPivot(
  db: Db,
  table: PgTable,
  key: AnyPgColumn,
  where: SQL | undefined,
  pivot: SQL.Aliased | SQL | ReturnType<typeof sql.placeholder>,
) {
  const branch = (rank: number, after: SQL | undefined) =>
    db
      .select({ key, rank: sql<number>`${sql.raw(String(rank))}`.as("rank") })
      .from(table)
      .where(and(where, after))
      .orderBy(asc(key))
      .limit(1);
  return unionAll(branch(0, gt(key, pivot)), branch(1, undefined))
    .orderBy(sql`"rank"`)
    .limit(1);
}
