// Statements built once: a hot path's query is built by Drizzle the first time a Drizzle instance
// runs it, prepared under a name derived from its text, and kept for that instance. See
// docs/decisions/016-prepared-statements.md.
import { createHash } from "node:crypto";
import { is, Param, Placeholder } from "drizzle-orm";
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

/**
 * Drizzle's `fillPlaceholders(params, values)` for one statement's parameters, worked out once:
 * which are placeholders (by name, through the column's encoder when inside a `Param`) and which
 * are fixed values. Drizzle's own asks `is()` of every parameter on every call. Throws, as
 * Drizzle does, when `values` has no value for a placeholder.
 */
export function placeholderFiller(params: unknown[]): (values: Record<string, unknown>) => unknown[] {
  const slots = params.map(
    (p): { name: string; encode?: (value: unknown) => unknown } | { value: unknown } => {
      if (is(p, Placeholder)) return { name: p.name };
      if (is(p, Param) && is(p.value, Placeholder)) {
        const { encoder } = p;
        return { name: p.value.name, encode: (value) => encoder.mapToDriverValue(value) };
      }
      return { value: p };
    },
  );
  return (values) =>
    slots.map((slot) => {
      if ("value" in slot) return slot.value;
      if (!(slot.name in values)) throw new Error(`No value for placeholder "${slot.name}" was provided`);
      return slot.encode ? slot.encode(values[slot.name]) : values[slot.name];
    });
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
 * statement by name through the driver (driver-rows.ts), its parameters filled by a
 * placeholderFiller, and reads each row with a reader made from `selection`, both made when the
 * statement was built: rows equal to what Drizzle's `.execute()` returns
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
    | {
        name: string;
        text: string;
        fill: (values: Record<string, unknown>) => unknown[];
        read: (values: unknown[]) => R;
      }
    | undefined;
  return async (db, values) => {
    if (statement === undefined) {
      const { sql: text, params } = build(db, selection).toSQL();
      statement = {
        name: statementName(label, text),
        text,
        fill: placeholderFiller(params),
        read: rowReader<R>(selection),
      };
    }
    const { name, text, fill, read } = statement;
    const rows = await driverRun(db)(name, text, fill(values));
    return rows.map(read);
  };
}
