// Statements built once: a hot path's query is built by Drizzle the first time a Drizzle instance
// runs it, prepared under a name derived from its text, and kept for that instance. See
// docs/decisions/016-prepared-statements.md.
import { createHash } from "node:crypto";
import type { Db } from "./database.ts";

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
