// How many connections a PostgreSQL server lets this user open at once: a command whose
// --concurrency needs more would see the connections past it refused (53300, "too many clients")
// and count them as outages instead of running at the concurrency asked for.
import type { Database } from "./database.ts";

/** The server's bound on this user's connections, and the setting that makes it. */
export interface ConnectionLimit {
  connections: number;
  /** The setting that bounds it, for a message: "max_connections 100 less 3 reserved for superusers". */
  why: string;
}

interface Row {
  max_connections: number;
  reserved: number;
  superuser: boolean;
  role_limit: number;
  database_limit: number;
}

/**
 * PostgreSQL's static bounds for the current user in the current database (max_connections less
 * the reserved slots, the role's and the database's CONNECTION LIMIT; superusers are bound by
 * max_connections alone). Connections other clients hold are not counted: they come and go.
 */
export async function findConnectionLimit(database: Database): Promise<ConnectionLimit> {
  const { rows } = await database.query<Row>(
    `SELECT current_setting('max_connections')::int AS max_connections,
            current_setting('superuser_reserved_connections')::int
              + coalesce(nullif(current_setting('reserved_connections', true), ''), '0')::int AS reserved,
            r.rolsuper AS superuser, r.rolconnlimit AS role_limit, d.datconnlimit AS database_limit
       FROM pg_roles r, pg_database d
      WHERE r.rolname = current_user AND d.datname = current_database()`,
  );
  const row = rows[0];
  if (!row) return { connections: Number.MAX_SAFE_INTEGER, why: "no limit found" };
  const max = Number(row.max_connections);
  if (row.superuser) return { connections: max, why: `max_connections ${max}` };
  const reserved = Number(row.reserved);
  let limit: ConnectionLimit = {
    connections: max - reserved,
    why: `max_connections ${max} less ${reserved} reserved`,
  };
  const roleLimit = Number(row.role_limit);
  if (roleLimit >= 0 && roleLimit < limit.connections)
    limit = { connections: roleLimit, why: `the role's CONNECTION LIMIT ${roleLimit}` };
  const databaseLimit = Number(row.database_limit);
  if (databaseLimit >= 0 && databaseLimit < limit.connections)
    limit = { connections: databaseLimit, why: `the database's CONNECTION LIMIT ${databaseLimit}` };
  return limit;
}
