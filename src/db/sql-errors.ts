// Drizzle wraps driver errors (DrizzleQueryError); the SQLSTATE sits on a cause further down.

export function sqlState(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e && typeof e === "object" && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) return code;
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
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EHOSTUNREACH",
]);

/** The connection broke (server restarted, backend terminated, network gone). */
export function isConnectionError(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && typeof e === "object" && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (
      typeof code === "string" &&
      (CONNECTION_ERRNOS.has(code) || code.startsWith("08") || code === "57P01")
    )
      return true;
    const msg = String((e as { message?: unknown }).message ?? "");
    if (/Connection terminated|connection ended|Client has encountered a connection error/i.test(msg))
      return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}
