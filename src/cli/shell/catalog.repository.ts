// SHOW TABLES and SHOW CREATE TABLE for PostgreSQL and PGlite, which have neither: built from
// information_schema and pg_catalog (CockroachDB answers both natively).
import type { ShellConnection, ShellResult } from "./connection.ts";

export async function showTables(conn: ShellConnection): Promise<ShellResult> {
  const rows = await conn.select(
    `SELECT table_schema AS schema_name, table_name,
            CASE table_type WHEN 'BASE TABLE' THEN 'table' WHEN 'VIEW' THEN 'view' ELSE lower(table_type) END AS type
       FROM information_schema.tables
      WHERE table_schema NOT IN ('pg_catalog', 'information_schema')
        AND table_schema = ANY (current_schemas(false))
      ORDER BY table_schema, table_name`,
  );
  return {
    fields: ["schema_name", "table_name", "type"],
    rows: rows.map((r) => [r.schema_name ?? null, r.table_name ?? null, r.type ?? null]),
    affected: null,
  };
}

/** PostgreSQL's long type names, shortened the way our migrations (and CockroachDB) write them. */
export function shortType(pgType: string): string {
  const t = pgType.toLowerCase();
  const m = /^(character varying|character|numeric|timestamp|time|bit varying)(\(([^)]*)\))?(.*)$/.exec(t);
  const args = m?.[3] ? `(${m[3]})` : "";
  const rest = m?.[4]?.trim() ?? "";
  if (m?.[1] === "character varying") return `VARCHAR${args}`;
  if (m?.[1] === "character") return `CHAR${args}`;
  if (m?.[1] === "numeric") return `DECIMAL${args}`;
  if (m?.[1] === "timestamp") return rest === "with time zone" ? `TIMESTAMPTZ${args}` : `TIMESTAMP${args}`;
  if (m?.[1] === "time") return rest === "with time zone" ? `TIMETZ${args}` : `TIME${args}`;
  const simple: Record<string, string> = {
    "double precision": "FLOAT8",
    real: "FLOAT4",
    integer: "INT4",
    bigint: "INT8",
    smallint: "INT2",
    boolean: "BOOL",
    text: "TEXT",
    uuid: "UUID",
    jsonb: "JSONB",
    json: "JSON",
    bytea: "BYTES",
    date: "DATE",
    interval: "INTERVAL",
  };
  return simple[t] ?? pgType.toUpperCase();
}

function ident(name: string): string {
  return /^[a-z_][a-z0-9_]*$/.test(name) ? name : `"${name.replaceAll('"', '""')}"`;
}

/** The DDL of one table: columns, constraints (primary key, unique, foreign keys, checks), indexes. */
export async function showCreateTable(conn: ShellConnection, name: string): Promise<ShellResult> {
  const [table] = await conn.select(
    `SELECT c.oid::int8::text AS oid, n.nspname AS schema, c.relname AS name
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.oid = to_regclass($1) AND c.relkind IN ('r', 'p')`,
    [name],
  );
  if (!table?.oid) throw new Error(`relation "${name}" does not exist`);
  const oid = table.oid;
  const columns = await conn.select(
    `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type,
            a.attnotnull::text AS not_null, pg_get_expr(d.adbin, d.adrelid) AS expr,
            a.attgenerated::text AS generated
       FROM pg_attribute a
       LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
      WHERE a.attrelid = $1::oid AND a.attnum > 0 AND NOT a.attisdropped
      ORDER BY a.attnum`,
    [oid],
  );
  const constraints = await conn.select(
    `SELECT conname AS name, pg_get_constraintdef(oid) AS def
       FROM pg_constraint
      WHERE conrelid = $1::oid AND contype IN ('p', 'u', 'f', 'c', 'x')
      ORDER BY CASE contype WHEN 'p' THEN 0 WHEN 'u' THEN 1 WHEN 'f' THEN 2 WHEN 'c' THEN 3 ELSE 4 END, conname`,
    [oid],
  );
  const indexes = await conn.select(
    `SELECT pg_get_indexdef(i.indexrelid) AS def
       FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
      WHERE i.indrelid = $1::oid
        AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid AND k.conrelid = i.indrelid)
      ORDER BY ic.relname`,
    [oid],
  );
  const lines = columns.map((c) => {
    let line = `${ident(c.name ?? "")} ${shortType(c.type ?? "")}`;
    const generated = c.generated === "s";
    if (generated && c.expr) line += ` GENERATED ALWAYS AS (${c.expr}) STORED`;
    line += c.not_null === "true" ? " NOT NULL" : " NULL";
    if (!generated && c.expr) line += ` DEFAULT ${c.expr}`;
    return line;
  });
  for (const k of constraints) lines.push(`CONSTRAINT ${ident(k.name ?? "")} ${k.def}`);
  const qualified = `${ident(table.schema ?? "public")}.${ident(table.name ?? name)}`;
  const ddl = [
    `CREATE TABLE ${qualified} (\n${lines.map((l) => `    ${l}`).join(",\n")}\n);`,
    ...indexes.map((i) => `${i.def};`),
  ].join("\n");
  return { fields: ["table_name", "create_statement"], rows: [[qualified, ddl]], affected: null };
}
