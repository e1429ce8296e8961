// One session for the shell: a single connection (so BEGIN, SET and temporary tables carry over
// from one statement to the next), with every value as the server's text.
import type { PGlite } from "@electric-sql/pglite";
import net from "node:net";
import pg from "pg";
import { TimedClient } from "../../db/connect-timeout.ts";
import { parseServerUrl } from "../../db/database.ts";
import type { Dialect } from "../../db/database.ts";
import { copiesFromClient, COPY_FROM_CLIENT_REFUSING_SQL } from "../../db/embedded-copy.ts";

export interface ShellResult {
  fields: string[];
  rows: (string | null)[][];
  /** Rows inserted, updated or deleted, when the statement says. */
  affected: number | null;
}

export interface ShellConnection {
  readonly dialect: Dialect;
  readonly description: string;
  /** Runs one statement (simple protocol where the engine allows), values as text. */
  run(sql: string): Promise<ShellResult>;
  /** A parameterized catalog query, rows as objects of text. */
  select(sql: string, params?: unknown[]): Promise<Record<string, string | null>[]>;
  /**
   * Asks the server to cancel the statement running now (Ctrl-C in the shell); the statement
   * then fails with 57014. Undefined where no statement can be cancelled (embedded PGlite runs
   * in this process and cannot be interrupted).
   */
  cancel?(): Promise<void>;
  close(): Promise<void>;
}

const asText = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

/** A shell session over the PostgreSQL wire protocol: a server, CockroachDB, or `movr demo`'s socket. */
export async function openPgShell(url: string, description?: string): Promise<ShellConnection> {
  const parsed = parseServerUrl(url);
  const client = new TimedClient({
    connectionString: parsed.connectionString,
    ssl: parsed.ssl,
    ...(parsed.sslnegotiation ? { sslnegotiation: parsed.sslnegotiation } : {}),
    ...(parsed.connectTimeoutMs ? { connectionTimeoutMillis: parsed.connectTimeoutMs } : {}),
    // parseServerUrl takes ?options= out of the connection string: the URL's own go back here.
    ...(parsed.urlOptions ? { options: parsed.urlOptions } : {}),
    application_name: "movr sql",
    // The server's text for every type: timestamps, numerics and JSON print as the server wrote them.
    types: { getTypeParser: () => (value: string) => value },
  } as pg.ClientConfig);
  // What ended the session, when the server or the network did (a FATAL such as 57P01 while
  // idle arrives here, not on a query): every later statement fails with it, not with the
  // driver's "Client has encountered a connection error and is not queryable".
  let lost: unknown;
  client.on("error", (err) => {
    lost ??= err;
  });
  const alive = (): void => {
    if (lost !== undefined) throw lost;
  };
  await client.connect();
  const version =
    (await client.query<[string]>({ text: "SELECT version()", rowMode: "array" })).rows[0]?.[0] ?? "";
  const dialect: Dialect =
    parsed.forcedCockroach || /cockroachdb/i.test(version) ? "cockroachdb" : "postgres";
  return {
    dialect,
    description:
      description ?? `${dialect === "cockroachdb" ? "CockroachDB" : "PostgreSQL"} at ${parsed.host}`,
    async run(sql) {
      alive();
      const r = await client.query<(string | null)[]>({ text: sql, rowMode: "array" });
      return {
        fields: (r.fields ?? []).map((f) => f.name),
        rows: r.rows,
        affected: r.fields?.length ? null : (r.rowCount ?? null),
      };
    },
    async select(sql, params = []) {
      alive();
      const r = await client.query(sql, params);
      return r.rows.map((row: Record<string, unknown>) =>
        Object.fromEntries(Object.entries(row).map(([k, v]) => [k, asText(v)])),
      );
    },
    cancel: () => sendCancelRequest(client),
    close: () => client.end(),
  };
}

/**
 * The wire protocol's CancelRequest, on a new connection to the session's server: length 16,
 * code 80877102, then the backend's process ID and secret key from its BackendKeyData message
 * (PostgreSQL documentation, "Frontend/Backend Protocol", 55.2.8 Canceling Requests in Progress
 * and 55.7 Message Formats). PostgreSQL and CockroachDB both honour it; the server answers by
 * closing the connection. Resolves once the request is sent; never rejects.
 */
function sendCancelRequest(client: pg.Client): Promise<void> {
  const { processID, secretKey } = client as unknown as {
    processID: number | null;
    secretKey: number | null;
  };
  if (processID === null || secretKey === null) return Promise.resolve();
  const message = Buffer.alloc(16);
  message.writeInt32BE(16, 0);
  message.writeInt32BE(80877102, 4);
  message.writeInt32BE(processID, 8);
  message.writeInt32BE(secretKey, 12);
  return new Promise((resolve) => {
    const socket = net.connect(client.port, client.host, () => socket.end(message));
    socket.setTimeout(5000, () => socket.destroy());
    socket.on("error", () => resolve());
    socket.on("close", () => resolve());
  });
}

/** A shell session on an embedded PGlite (single connection by nature). */
export async function openPgliteShell(db: PGlite, description: string): Promise<ShellConnection> {
  // Every type the database knows is read as text; types made later fall back to text anyway.
  const oids = await db.query<{ oid: number }>("SELECT oid::int AS oid FROM pg_type");
  const parsers = Object.fromEntries(oids.rows.map((r) => [r.oid, (value: string) => value]));
  return {
    dialect: "postgres",
    description,
    async run(sql) {
      // A COPY from the client would stop PGlite (and this process) for good: it fails instead.
      const text = copiesFromClient(sql) ? COPY_FROM_CLIENT_REFUSING_SQL : sql;
      const results = await db.exec(text, { rowMode: "array", parsers });
      const r = results[results.length - 1];
      const fields = (r?.fields ?? []).map((f) => f.name);
      return {
        fields,
        rows: (r?.rows ?? []) as unknown as (string | null)[][],
        affected: fields.length ? null : (r?.affectedRows ?? null),
      };
    },
    async select(sql, params = []) {
      const r = await db.query<Record<string, unknown>>(sql, params, { parsers });
      return r.rows.map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, asText(v)])));
    },
    close: async () => undefined,
  };
}
