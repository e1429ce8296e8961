// Domain errors: what the data API reports instead of driver errors. The web layer maps
// codes to HTTP statuses and the CLI to sentences; services never know about either.
import type { UnavailabilityKind } from "../db/sql-errors.ts";

export type ConflictCode =
  | "vehicle_unavailable"
  | "already_riding"
  | "ride_already_ended"
  | "username_taken"
  | "promo_code_already_applied"
  | "promo_code_expired"
  | "vehicle_in_use"
  | "promo_code_exists"
  | "location_already_logged";

export type ErrorCode =
  | "invalid_request"
  | "unauthenticated"
  | "forbidden"
  | "not_found"
  | "unsupported"
  | "unavailable"
  | ConflictCode;

export interface FieldProblem {
  field: string;
  problem: string;
}

export class DomainError extends Error {
  override name = "DomainError";
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: FieldProblem[],
  ) {
    super(message);
  }
}

export const invalid = (field: string, problem: string): DomainError =>
  new DomainError("invalid_request", `${field} ${problem}.`, [{ field, problem }]);

export const notFound = (what: string): DomainError => new DomainError("not_found", `${what} was not found.`);

export const conflict = (code: ConflictCode, message: string): DomainError => new DomainError(code, message);

/** The database could not be reached, or answered with something we cannot act on. */
export class DatabaseUnavailableError extends DomainError {
  override name = "DatabaseUnavailableError";
  constructor(
    message: string,
    options?: {
      cause?: unknown;
      /** Why, when a driver error said so (see unavailabilityOf). */
      kind?: UnavailabilityKind;
      /** Seconds a client should wait before trying again (HTTP Retry-After). */
      retryAfterSeconds?: number;
    },
  ) {
    super("unavailable", message);
    if (options?.cause !== undefined) this.cause = options.cause;
    this.kind = options?.kind;
    this.retryAfterSeconds = options?.retryAfterSeconds ?? 1;
  }
  readonly kind: UnavailabilityKind | undefined;
  readonly retryAfterSeconds: number;
}

/** One sentence per kind of outage, and how long to wait: what users, API clients and the CLI read. */
const OUTAGES: Record<UnavailabilityKind, { message: string; retryAfterSeconds: number }> = {
  connection: {
    message: "The database cannot be reached right now; try again shortly.",
    retryAfterSeconds: 2,
  },
  shutdown: {
    message: "The database is restarting or shutting down; try again shortly.",
    retryAfterSeconds: 5,
  },
  no_database: {
    message: "The database is not available right now; try again later.",
    retryAfterSeconds: 30,
  },
  no_schema: {
    message: "The database is not set up for MovR right now; try again later.",
    retryAfterSeconds: 30,
  },
  pool_timeout: {
    message: "The database is busy and no connection was free in time; try again shortly.",
    retryAfterSeconds: 2,
  },
  timeout: { message: "The database took too long to answer; try again shortly.", retryAfterSeconds: 2 },
  ambiguous: {
    message:
      "The database lost track of this change: the outcome is unknown. Check whether it took effect before trying again.",
    retryAfterSeconds: 2,
  },
  resources: {
    message: "The database is out of resources (connections, memory or disk); try again later.",
    retryAfterSeconds: 10,
  },
};

/** The domain error for a driver error that unavailabilityOf classified as `kind`. */
export function databaseUnavailable(kind: UnavailabilityKind, cause?: unknown): DatabaseUnavailableError {
  const outage = OUTAGES[kind];
  return new DatabaseUnavailableError(outage.message, {
    cause,
    kind,
    retryAfterSeconds: outage.retryAfterSeconds,
  });
}

/** runTransaction gave up: every attempt ended in a serialization failure. */
export class RetriesExhaustedError extends DomainError {
  override name = "RetriesExhaustedError";
  constructor(
    readonly attempts: number,
    options?: { cause?: unknown },
  ) {
    super("unavailable", `The transaction was retried ${attempts} times and still conflicted; try again.`);
    if (options?.cause !== undefined) this.cause = options.cause;
  }
}
