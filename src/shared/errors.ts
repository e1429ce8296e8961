// Domain errors: what the data API reports instead of driver errors. The web layer maps
// codes to HTTP statuses and the CLI to sentences; services never know about either.

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
  constructor(message: string, options?: { cause?: unknown }) {
    super("unavailable", message);
    if (options?.cause !== undefined) this.cause = options.cause;
  }
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
