// Drizzle wraps driver errors (DrizzleQueryError); the SQLSTATE sits on a cause further down.
import { CONNECT_TIMEOUT, ConnectTimeoutError } from "./connect-timeout.error.ts";

export function sqlState(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e && typeof e === "object" && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    // Five characters, but not an errno name of five (EPERM, EROFS, EPIPE, EBUSY): no SQLSTATE
    // class starts with E.
    if (typeof code === "string" && /^[0-9A-DF-Z][0-9A-Z]{4}$/.test(code)) return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

export function constraintName(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e && typeof e === "object" && depth < 5; depth++) {
    const c = (e as { constraint?: unknown }).constraint;
    if (typeof c === "string") return c;
    // CockroachDB does not always fill `constraint`; its message names it.
    const m = /constraint "([^"]+)"/.exec(String((e as { message?: unknown }).message ?? ""));
    if (m?.[1]) return m[1];
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

export const UNIQUE_VIOLATION = "23505";
export const CHECK_VIOLATION = "23514";

/** Serialization failure (PostgreSQL and CockroachDB's "restart transaction") and deadlock. */
export function isRetryable(err: unknown): boolean {
  const state = sqlState(err);
  return state === "40001" || state === "40P01";
}

const CONNECTION_ERRNOS = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EAI_AGAIN",
  // Node's own codes for a write on a socket that has already closed: a statement sent on a
  // connection the server ended between two statements, before the driver heard of the end.
  "ERR_STREAM_DESTROYED",
  "ERR_STREAM_WRITE_AFTER_END",
  "ERR_SOCKET_CLOSED",
]);

/** node-postgres's own words for a connection that ended or never came up. */
const CONNECTION_MESSAGE =
  /Connection terminated|connection ended|Client has encountered a connection error|Client was closed and is not queryable|Cannot use a pool after calling end|PGlite is closed/i;

/** The connection broke (server restarted, backend terminated, network gone). */
export function isConnectionError(err: unknown): boolean {
  const kind = unavailabilityOf(err);
  return kind === "connection" || kind === "shutdown";
}

/**
 * Why the database cannot answer now, when it cannot:
 * - `connection`: refused, reset or lost; SQLSTATE class 08; the driver's own "connection terminated";
 *   any error the server sent with severity FATAL or PANIC, which ends the session whatever its
 *   SQLSTATE (55000 "database is not currently accepting connections", 28000/28P01 a role that may
 *   no longer log in, 25P03 idle_in_transaction_session_timeout).
 * - `shutdown`: an administrator or the server ended the session or is stopping
 *   (57P01 admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now, 57P04 database_dropped,
 *   57P05 idle_session_timeout).
 * - `no_database`: the database named by the URL does not exist (3D000; dropped or not created yet).
 * - `no_schema`: the database is there but MovR's tables or schema are not (42P01 undefined_table,
 *   3F000 invalid_schema_name): dropped and re-created empty, being restored, or not migrated yet.
 *   Nothing a client sent causes it, and it ends when the database is set up again.
 * - `pool_timeout`: no pooled connection was free within DB_POOL_ACQUIRE_TIMEOUT_MS.
 * - `timeout`: the statement ran past statement_timeout or was cancelled (57014), or a lock wait
 *   ran past lock_timeout (55P03).
 * - `ambiguous`: the commit's outcome is unknown (CockroachDB 40003 statement_completion_unknown,
 *   or the connection broke while COMMIT was in flight). Never retry blindly.
 * - `resources`: the server is out of connections, memory or disk (SQLSTATE class 53).
 * Codes from https://www.postgresql.org/docs/current/errcodes-appendix.html and CockroachDB's
 * pgcode list (40003 "result is ambiguous").
 */
export type UnavailabilityKind =
  | "connection"
  | "shutdown"
  | "no_database"
  | "no_schema"
  | "pool_timeout"
  | "timeout"
  | "ambiguous"
  | "resources";

/** SQLSTATE 40003: CockroachDB's "result is ambiguous". */
export const STATEMENT_COMPLETION_UNKNOWN = "40003";

/** Set by the pool wrapper on an error raised while COMMIT was in flight on a connection that broke. */
export const AMBIGUOUS_COMMIT = "MOVR_AMBIGUOUS_COMMIT";

/** Message of pg-pool's error when a full pool hands out no connection in time. */
const POOL_TIMEOUT = /timeout exceeded when trying to connect/i;

function kindOfState(state: string): UnavailabilityKind | undefined {
  if (state === STATEMENT_COMPLETION_UNKNOWN) return "ambiguous";
  if (state.startsWith("08")) return "connection";
  if (/^57P0[1-5]$/.test(state)) return "shutdown";
  if (state === "3D000") return "no_database";
  if (state === "42P01" || state === "3F000") return "no_schema";
  if (state === "57014" || state === "55P03") return "timeout";
  if (state.startsWith("53")) return "resources";
  return undefined;
}

/**
 * True for an error the server sent with severity FATAL or PANIC: it closes the session after
 * sending it, so nothing more can be answered on it, whatever the SQLSTATE. (node-postgres keeps
 * the severity of field S, which a server with translated messages sends in its language; the
 * usual C and English locales say FATAL.)
 */
function endsSession(e: object): boolean {
  const severity = (e as { severity?: unknown }).severity;
  return severity === "FATAL" || severity === "PANIC";
}

/**
 * The kind of "the database is not able to answer now" that `err` is, or undefined when it is
 * anything else (a constraint, a bug, a serialization failure that runTransaction retries).
 * Looks down the cause chain (Drizzle wraps driver errors; AggregateError from a dual-stack
 * connect carries its causes in `errors`).
 */
export function unavailabilityOf(err: unknown): UnavailabilityKind | undefined {
  const seen = new Set<unknown>();
  const queue: unknown[] = [err];
  while (queue.length > 0 && seen.size < 10) {
    const e = queue.shift();
    if (!e || typeof e !== "object" || seen.has(e)) continue;
    seen.add(e);
    const code = (e as { code?: unknown }).code;
    if (code === AMBIGUOUS_COMMIT) return "ambiguous";
    if (typeof code === "string") {
      if (/^[0-9A-Z]{5}$/.test(code)) {
        const kind = kindOfState(code);
        if (kind) return kind;
      }
      if (CONNECTION_ERRNOS.has(code) || code === CONNECT_TIMEOUT) return "connection";
    }
    const msg = String((e as { message?: unknown }).message ?? "");
    if (POOL_TIMEOUT.test(msg)) return "pool_timeout";
    if (CONNECTION_MESSAGE.test(msg)) return "connection";
    if (endsSession(e)) return "connection";
    queue.push((e as { cause?: unknown }).cause);
    const inner = (e as { errors?: unknown }).errors;
    if (Array.isArray(inner)) for (const i of inner.slice(0, 3)) queue.push(i);
  }
  return undefined;
}

/** One readable clause for a driver error: the errno or the server's message, never a stack. */
export function describeError(err: unknown): string {
  const e = err as { code?: string; message?: string; errors?: unknown[]; cause?: unknown };
  // Drizzle's wrapper repeats the SQL text and every parameter: say what its cause says instead.
  if (/^Failed query:/i.test(e.message ?? "")) return e.cause ? describeError(e.cause) : "a statement failed";
  // Our own words for a connect that ran out of time ("did not answer within 2 s"), not the
  // driver's "Connection terminated unexpectedly" under it.
  const timedOut = findConnectTimeout(err);
  if (timedOut) return timedOut.message;
  // Node reports a refused dual-stack connect as an AggregateError with an empty message.
  const inner = (e.errors?.[0] as { code?: string; message?: string } | undefined) ?? e;
  const code = inner.code ?? e.code;
  const reasons: Record<string, string> = {
    ECONNREFUSED: "connection refused (is the server running?)",
    ENOTFOUND: "host not found",
    ETIMEDOUT: "connection timed out",
    ECONNRESET: "connection reset",
    EHOSTUNREACH: "host unreachable",
  };
  if (code && reasons[code]) return reasons[code];
  const msg = (inner.message || e.message || String(err)).split("\n")[0] ?? "";
  return msg || "unknown error";
}

/** The ConnectTimeoutError in `err`'s cause chain (pg-pool and Drizzle may wrap it), if any. */
function findConnectTimeout(err: unknown): ConnectTimeoutError | undefined {
  for (let e: unknown = err, depth = 0; e && typeof e === "object" && depth < 5; depth++) {
    if (e instanceof ConnectTimeoutError) return e;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}
