// Input checks shared by every service. The web layer validates shapes with JSON schemas too;
// these run for every caller (CLI, workload, tests), so the data API cannot be fed bad input.
import { invalid, DomainError } from "./errors.ts";
import { characterCount, isText, TEXT_PROBLEM, truncateText } from "./text.ts";

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Longest values, in characters (code points), as the API's JSON schemas publish them. */
export const LIMITS = {
  name: 100,
  username: 40,
  email: 254,
  password: { min: 8, max: 200 },
  address: 200,
  brand: 50,
  promoCode: 40,
  description: 500,
} as const;

export function requireUuid(field: string, value: string): string {
  if (!UUID_RE.test(value)) throw invalid(field, "must be a UUID");
  return value.toLowerCase();
}

export function requireCity(cities: readonly string[], city: string): string {
  if (!cities.includes(city)) {
    if (!isText(city)) throw invalid("city", TEXT_PROBLEM);
    throw new DomainError("invalid_request", `"${truncateText(city, 60)}" is not a MovR city.`, [
      { field: "city", problem: "is not a known city" },
    ]);
  }
  return city;
}

/**
 * A text field: the text rule (src/shared/text.ts), at most `max` characters as sent (the JSON
 * schema's `maxLength`, counted in code points), then trimmed of surrounding whitespace and at
 * least `min` characters. Returns the trimmed value; throws DomainError invalid_request naming
 * `field`. Names, addresses, brands, usernames and codes are trimmed; passwords never are (see
 * requirePassword).
 */
export function requireText(field: string, value: string, max: number, min = 1): string {
  checkText(field, value, max);
  const trimmed = value.trim();
  if (characterCount(trimmed) < min)
    throw invalid(field, min === 1 ? "must not be empty" : `must be at least ${min} characters`);
  return trimmed;
}

export function optionalText(field: string, value: string | undefined | null, max: number): string | null {
  if (value === undefined || value === null) return null;
  checkText(field, value, max);
  const trimmed = value.trim();
  return trimmed === "" ? null : trimmed;
}

/**
 * A password: the text rule and LIMITS.password, counted in characters, and exactly as typed:
 * never trimmed, so the same string registers and logs in (docs/decisions/012).
 */
export function requirePassword(value: string): string {
  checkText("password", value, LIMITS.password.max);
  if (characterCount(value) < LIMITS.password.min)
    throw invalid("password", `must be at least ${LIMITS.password.min} characters`);
  return value;
}

function checkText(field: string, value: string, max: number): void {
  if (typeof value !== "string") throw invalid(field, "must be text");
  if (!isText(value)) throw invalid(field, TEXT_PROBLEM);
  if (characterCount(value) > max) throw invalid(field, `must be at most ${max} characters`);
}

export function requireOneOf<T extends string>(field: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value))
    throw invalid(field, `must be one of ${allowed.join(", ")}`);
  return value as T;
}

export function requireIntInRange(field: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw invalid(field, `must be a whole number from ${min} to ${max}`);
  }
  return value;
}

export function requireCoordinate(field: "lat" | "long", value: number): number {
  const bound = field === "lat" ? 90 : 180;
  if (!Number.isFinite(value) || Math.abs(value) > bound)
    throw invalid(field, `must be between -${bound} and ${bound}`);
  return value;
}
