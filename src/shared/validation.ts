// Input checks shared by every service. The web layer validates shapes with JSON schemas too;
// these run for every caller (CLI, workload, tests), so the data API cannot be fed bad input.
import { invalid, DomainError } from "./errors.ts";

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

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
    throw new DomainError("invalid_request", `"${city.slice(0, 60)}" is not a MovR city.`, [
      { field: "city", problem: "is not a known city" },
    ]);
  }
  return city;
}

export function requireText(field: string, value: string, max: number, min = 1): string {
  const trimmed = value.trim();
  if (trimmed.length < min)
    throw invalid(field, min === 1 ? "must not be empty" : `must be at least ${min} characters`);
  if (trimmed.length > max) throw invalid(field, `must be at most ${max} characters`);
  return trimmed;
}

export function optionalText(field: string, value: string | undefined | null, max: number): string | null {
  if (value === undefined || value === null || value.trim() === "") return null;
  return requireText(field, value, max);
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
