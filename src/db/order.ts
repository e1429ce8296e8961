// ORDER BY on a nullable column, with the place of NULLs spelled out. PostgreSQL sorts NULLs as
// larger than any value (last ascending, first descending), CockroachDB as smaller (first
// ascending, last descending): without NULLS FIRST/LAST the same query pages differently.
// test/sql/catalogue.test.ts refuses an ORDER BY on a nullable column without it.
import { sql, type SQL } from "drizzle-orm";
import type { AnyPgColumn } from "drizzle-orm/pg-core";

/** Ascending, NULLs first: an unknown time counts as the oldest. */
export const ascNullsFirst = (column: AnyPgColumn): SQL => sql`${column} asc nulls first`;

/** Descending, NULLs last: newest first, unknown times at the end. */
export const descNullsLast = (column: AnyPgColumn): SQL => sql`${column} desc nulls last`;
