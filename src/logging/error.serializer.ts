// What a log line may say about an error: enough to find the cause (class, SQLSTATE, constraint,
// table, column, outage kind, errno), never what a user sent. Drizzle's "Failed query" message
// carries the SQL text and every parameter (emails, password hashes), and a server's message can
// quote a value ("invalid input syntax for type uuid: ..."): neither is logged, nor stacks.
import { unavailabilityOf } from "../db/sql-errors.ts";

export interface SerializedError {
  type: string;
  /** Only for errors that are not the database's (ours, Node's, the framework's); first line. */
  message?: string;
  /** errno (ECONNRESET) or framework code (FST_ERR_...). */
  code?: string;
  sqlstate?: string;
  constraint?: string;
  table?: string;
  column?: string;
  /** unavailabilityOf's kind, when the error is an outage. */
  outage?: string;
  statusCode?: number;
  cause?: SerializedError;
}

const SQLSTATE = /^[0-9A-Z]{5}$/;
const MAX_DEPTH = 4;

function field(e: Record<string, unknown>, name: string): string | undefined {
  const v = e[name];
  return typeof v === "string" && v.length > 0 && v.length <= 128 ? v : undefined;
}

/** Whether `e` came from the database or wraps a statement: its message may hold SQL or values. */
function fromDatabase(e: Record<string, unknown>): boolean {
  const code = e.code;
  if (typeof code === "string" && SQLSTATE.test(code)) return true;
  if (typeof e.severity === "string" || "query" in e || "params" in e) return true;
  return /^Failed query:/i.test(String(e.message ?? ""));
}

/**
 * Serializes an error for pino (`serializers.err`): see SerializedError. Non-errors become
 * `{type}` only. Safe for any value, cycles included.
 */
export function serializeError(err: unknown, depth = 0): SerializedError {
  if (!err || typeof err !== "object") return { type: typeof err };
  const e = err as Record<string, unknown>;
  const ctor = (err as { constructor?: { name?: unknown } }).constructor?.name;
  const out: SerializedError = {
    type:
      typeof e.name === "string" && e.name !== "Error" ? e.name : typeof ctor === "string" ? ctor : "Error",
  };
  if (!fromDatabase(e)) {
    const message = String(e.message ?? "")
      .split("\n")[0]
      ?.slice(0, 300);
    if (message) out.message = message;
  }
  const code = field(e, "code");
  if (code && SQLSTATE.test(code)) out.sqlstate = code;
  else if (code) out.code = code;
  for (const name of ["constraint", "table", "column"] as const) {
    const v = field(e, name);
    if (v) out[name] = v;
  }
  if (typeof e.statusCode === "number") out.statusCode = e.statusCode;
  if (depth === 0) {
    const outage = unavailabilityOf(err);
    if (outage) out.outage = outage;
  }
  if (e.cause && depth < MAX_DEPTH) out.cause = serializeError(e.cause, depth + 1);
  return out;
}

/** pino serializers for every key errors are logged under. */
export const ERROR_SERIALIZERS = { err: serializeError, error: serializeError };
