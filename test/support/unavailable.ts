// What every outage answer over HTTP must be: 503 in the contract's shape, a positive
// Retry-After, and nothing of the cause (no SQL, no driver or CockroachDB text, no stack).
import type { LightMyRequestResponse } from "fastify";
import { expect } from "vitest";

export const LEAKS =
  /injected fault|restart transaction|result is ambiguous|server is shutting down|rpc error|SELECT|INSERT|movr_fault|SQLSTATE|\bat .*\(|\.ts:\d|stack/i;

/** A 503 in the contract's shape, with a positive Retry-After and nothing of the cause. */
export function expectUnavailable(res: LightMyRequestResponse, why: string): string {
  expect(res.statusCode, `${why}: ${res.body}`).toBe(503);
  expect(Number(res.headers["retry-after"]), why).toBeGreaterThan(0);
  expect(res.body, why).not.toMatch(LEAKS);
  const body = res.json() as { error: { code: string; message: string } };
  expect(Object.keys(body.error).sort()).toEqual(["code", "message"]);
  expect(body.error.code, why).toBe("unavailable");
  return body.error.message;
}
