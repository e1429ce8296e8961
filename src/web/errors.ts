// One mapping from errors to HTTP: domain codes to statuses, framework errors to the contract's
// shape, and anything unexpected to a 500 that says nothing about its cause.
import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import { problemOf } from "./api/schema.problems.ts";
import { unavailabilityOf, type UnavailabilityKind } from "../db/sql-errors.ts";
import {
  DatabaseUnavailableError,
  databaseUnavailable,
  DomainError,
  type ErrorCode,
  type FieldProblem,
} from "../shared/errors.ts";

export const STATUS_OF: Record<ErrorCode, number> = {
  invalid_request: 400,
  unsupported: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  unavailable: 503,
  vehicle_unavailable: 409,
  already_riding: 409,
  ride_already_ended: 409,
  username_taken: 409,
  promo_code_already_applied: 409,
  promo_code_expired: 409,
  vehicle_in_use: 409,
  promo_code_exists: 409,
  location_already_logged: 409,
};

export interface HttpError {
  status: number;
  code: string;
  message: string;
  details?: FieldProblem[];
  /** Seconds, for 429 and 503. */
  retryAfter?: number;
  /** True when the cause is ours, not the caller's: log it. */
  internal: boolean;
}

/**
 * The outage a driver error that reached the web layer stands for, or undefined. Never for the
 * request's own failures, which the framework marks 4xx: a client hanging up halfway through
 * its body is ECONNRESET too, and no reason to log an error or count the database as down.
 */
export function outageOf(err: unknown): UnavailabilityKind | undefined {
  if (err instanceof DomainError) return undefined;
  const status = (err as { statusCode?: unknown } | null)?.statusCode;
  if (typeof status === "number" && status >= 400 && status < 500) return undefined;
  return unavailabilityOf(err);
}

export function toHttpError(err: unknown): HttpError {
  // A driver error that reached here without passing runTransaction is still an outage, not a bug.
  const outage = outageOf(err);
  if (outage) return toHttpError(databaseUnavailable(outage, err));
  if (err instanceof DomainError) {
    const status = STATUS_OF[err.code];
    return {
      status,
      code: err.code,
      message: err.message,
      ...(err.details ? { details: err.details } : {}),
      ...(status === 503 ? { retryAfter: retryAfterOf(err) } : {}),
      internal: status >= 500,
    };
  }
  const e = err as FastifyError & {
    retryAfter?: unknown;
    validation?: { keyword: string; instancePath?: string; params?: Record<string, unknown> }[];
  };
  if (e.validation) {
    // Ajv's own messages quote regular expressions and schema words: a sentence per keyword instead.
    const details = e.validation.map((v) => {
      const extra = v.params?.additionalProperty ?? v.params?.missingProperty;
      const path = `${e.validationContext ?? "body"}${(v.instancePath ?? "").replaceAll("/", ".")}`;
      return { field: extra ? `${path}.${String(extra)}` : path, problem: problemOf(v) };
    });
    const first = details[0];
    return {
      status: 400,
      code: "invalid_request",
      message: first ? `The request is invalid: ${first.field} ${first.problem}.` : "The request is invalid.",
      details,
      internal: false,
    };
  }
  if (e.code === "FST_ERR_MAX_PARAM_LENGTH" || e.code === "FST_ERR_BAD_URL") {
    // The router's own errors: the path cannot even be matched to a route's parameters.
    const problem =
      e.code === "FST_ERR_BAD_URL" ? "is not validly percent-encoded" : "has a segment that is too long";
    return {
      status: 400,
      code: "invalid_request",
      message: `The request is invalid: the path ${problem}.`,
      details: [{ field: "params", problem }],
      internal: false,
    };
  }
  if (e.code === "FST_ERR_CTP_BODY_TOO_LARGE") {
    return {
      status: 413,
      code: "payload_too_large",
      message: "The request body is too large.",
      internal: false,
    };
  }
  if (e.statusCode === 429) {
    return {
      status: 429,
      code: "rate_limited",
      message: "Too many attempts; wait a minute and try again.",
      // The rate limiter knows when its window ends; a minute is the longest it can be.
      retryAfter: typeof e.retryAfter === "number" && e.retryAfter > 0 ? Math.ceil(e.retryAfter) : 60,
      internal: false,
    };
  }
  if (typeof e.statusCode === "number" && e.statusCode >= 400 && e.statusCode < 500) {
    // Malformed JSON, unsupported media type, empty body...: the framework's message is safe and plain.
    // The contract knows 400 and 404 here: a wrong media type is a malformed request too.
    const status = e.statusCode === 404 ? 404 : 400;
    const code = status === 404 ? "not_found" : "invalid_request";
    return { status, code, message: sentence(e.message), internal: false };
  }
  return {
    status: 500,
    code: "internal",
    message: "Something went wrong on our side; try again.",
    internal: true,
  };
}

/** Seconds for Retry-After on a 503: what the outage's kind suggests, else 1. */
export function retryAfterOf(err: DomainError): number {
  return err instanceof DatabaseUnavailableError ? err.retryAfterSeconds : 1;
}

function sentence(text: string): string {
  const t = text.replace(
    /^Body is not valid JSON but content-type is set to 'application\/json'$/,
    "The body is not valid JSON",
  );
  return /[.!?]$/.test(t) ? t : `${t}.`;
}

/**
 * Logs a failure of ours with what finds its cause: the error (serialized without SQL text or
 * values, see logging/error.serializer.ts), the method and the route pattern (never the URL).
 */
export function logFailure(request: FastifyRequest, err: unknown, message: string): void {
  request.log.error({ err, method: request.method, route: request.routeOptions.url }, message);
}

/** Sends any error in the contract's shape; for errors raised where setErrorHandler does not reach. */
export function sendHttpError(err: unknown, request: FastifyRequest, reply: FastifyReply): void {
  const e = toHttpError(err);
  if (e.internal) logFailure(request, err, "request failed");
  if (e.retryAfter) void reply.header("retry-after", String(e.retryAfter));
  void reply.status(e.status).send({
    error: { code: e.code, message: e.message, ...(e.details ? { details: e.details } : {}) },
  });
}
