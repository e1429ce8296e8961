// The bench's databases on the PostgreSQL server: each made fresh and dropped at the end.
import pg from "pg";

export const DEFAULT_BENCH_URL = "postgresql://postgres@127.0.0.1:5432/postgres";

/**
 * `base` made unique to this run: two benches at once on one server (other worktrees, say) must
 * not drop each other's databases.
 */
export const benchDatabaseName = (base: string): string => `${base}_${process.pid}`;

/** MOVR_BENCH_DATABASE_URL, or the local server's postgres database. */
export const adminUrlFromEnv = (): string => process.env.MOVR_BENCH_DATABASE_URL || DEFAULT_BENCH_URL;

/** `fn` on a connection of its own to `url`, closed after. */
export async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.end();
  }
}

/** A new, empty database `name` (dropped first if there); returns its URL. */
export async function freshDatabase(adminUrl: string, name: string): Promise<string> {
  await withClient(adminUrl, async (admin) => {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${name}`);
  });
  return databaseUrl(adminUrl, name);
}

function databaseUrl(adminUrl: string, name: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** A new database `name`, a copy of `template` (which no session may be using); returns its URL. */
export async function copyDatabase(adminUrl: string, template: string, name: string): Promise<string> {
  await withClient(adminUrl, async (admin) => {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${name} TEMPLATE ${template}`);
  });
  return databaseUrl(adminUrl, name);
}

export async function dropDatabases(adminUrl: string, names: string[]): Promise<void> {
  await withClient(adminUrl, async (admin) => {
    for (const name of names) await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  });
}

/** The server's version line (SELECT version()). */
export async function serverVersion(adminUrl: string): Promise<string> {
  return withClient(adminUrl, async (admin) =>
    String((await admin.query("SELECT version() AS v")).rows[0]?.v ?? "?"),
  );
}
