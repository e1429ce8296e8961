// Statements built once: a hot path's query is built by Drizzle the first time a Drizzle instance
// runs it, prepared under a name derived from its text, and kept for that instance. See
// docs/decisions/016-prepared-statements.md.
import { createHash } from "node:crypto";
import { fillPlaceholders } from "drizzle-orm";
import type { Db } from "./database.ts";
import { driverRun, rowReader } from "./driver-rows.ts";

/** A Drizzle query builder that can be prepared. */
interface Preparable<P> {
  toSQL(): { sql: string };
  prepare(name: string): P;
}

/**
 * The server-side name of a statement: the label, then a digest of the SQL text, so two texts
 * never share a name on a connection (node-postgres refuses that) and the name stays within
 * PostgreSQL's 63 bytes.
 */
export function statementName(label: string, text: string): string {
  const digest = createHash("sha256").update(text).digest("hex").slice(0, 16);
  return `movr_${label.slice(0, 36)}_${digest}`;
}

/**
 * `build`'s query, prepared once per Drizzle instance. A prepared query is bound to the instance
 * (the pool, a pooled connection, or PGlite's transaction handle) that prepared it, so each
 * instance has its own; the database handle keeps those instances stable (see openDatabase).
 * Run it with `.execute({ name: value })`: values of `sql.placeholder(name)` in a condition go to
 * the driver as they are (a Date as an ISO string), those in `values()`/`set()` through the
 * column's own encoding.
 */
export function preparedQuery<P>(label: string, build: (db: Db) => Preparable<P>): (db: Db) => P {
  const cache = new WeakMap<Db, P>();
  return (db) => {
    let query = cache.get(db);
    if (query === undefined) {
      const built = build(db);
      query = built.prepare(statementName(label, String(built.toSQL().sql)));
      cache.set(db, query);
    }
    return query;
  };
}

/** A Drizzle select whose SQL text and parameters can be taken, and whose row type is known. */
interface Readable<R> {
  toSQL(): { sql: string; params: unknown[] };
  _: { result: R[] };
}

/** A hot read on a Drizzle instance: one named statement, its rows decoded. */
export type PreparedRead<R> = (db: Db, values: Record<string, unknown>) => Promise<R[]>;

/**
 * A hot read past Drizzle's row mapping: `build(db, selection)` (a `db.select(selection)` with
 * `sql.placeholder` values) is built once, for its text and parameter order; each call sends the
 * statement by name through the driver (driver-rows.ts) and reads each row with a reader made
 * from `selection` when the statement was built, rows equal to what Drizzle's `.execute()` returns
 * (test/db/prepared-read.test.ts). For reads of columns, SQL expressions and whole tables joined with
 * inner joins (a left-joined table would need Drizzle's all-null rule). See
 * docs/decisions/020-hot-reads.md.
 */
export function preparedRead<S extends Record<string, unknown>, R>(
  label: string,
  selection: S,
  build: (db: Db, selection: S) => Readable<R>,
): PreparedRead<R> {
  let statement:
    { name: string; text: string; params: unknown[]; read: (values: unknown[]) => R } | undefined;
  return async (db, values) => {
    if (statement === undefined) {
      const { sql: text, params } = build(db, selection).toSQL();
      statement = { name: statementName(label, text), text, params, read: rowReader<R>(selection) };
    }
    const { name, text, params, read } = statement;
    const rows = await driverRun(db)(name, text, fillPlaceholders(params, values));
    return rows.map(read);
  };
}
