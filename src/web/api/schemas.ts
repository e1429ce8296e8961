// JSON schemas of the API: request shapes (validated) and response shapes (serialized, and
// published in the OpenAPI document). Inline on purpose, so each route's document stands alone.
import { TEXT_PATTERN } from "../../shared/text.ts";
import { VEHICLE_CHOICES } from "../../vehicles/vehicle.service.ts";

const str = { type: "string" } as const;
const nullableStr = { type: ["string", "null"] } as const;
const dateTime = { type: "string", format: "date-time" } as const;
const nullableDateTime = { type: ["string", "null"], format: "date-time" } as const;

/** Next to every money amount: what it is counted in. */
export const currency = {
  type: "string",
  pattern: "^[A-Z]{3}$",
  example: "USD",
  description: "ISO 4217 code of the currency of the money amounts beside it (the city's currency).",
} as const;

/** Usernames: ASCII letters, digits, '.', '_' and '-' (surrounding spaces are trimmed later). */
export const USERNAME_PATTERN = "^ *[a-zA-Z0-9_.-]+ *$";

/** Promo codes: ASCII letters, digits, '_' and '-' (surrounding spaces are trimmed later). */
export const PROMO_CODE_PATTERN = "^ *[A-Za-z0-9_-]+ *$";

export const CURSOR_PATTERN = "^[A-Za-z0-9_-]+$";

export const uuid = { type: "string", format: "uuid", maxLength: 36 } as const;

/**
 * A text field: 1 to `maxLength` characters (JSON Schema counts code points) under the text rule
 * (no control characters or unpaired surrogates: src/shared/text.ts). A stricter `pattern` in
 * `extra` (usernames, codes: ASCII only) replaces the rule's, which it implies.
 */
export function text(maxLength: number, extra: Record<string, unknown> = {}) {
  return { type: "string", minLength: 1, maxLength, pattern: TEXT_PATTERN, ...extra } as const;
}

/** Cities as path segments or body fields: only the ones this deployment serves. */
export function city(cities: readonly string[]) {
  return { type: "string", maxLength: 100, enum: [...cities] } as const;
}

export const cursor = {
  type: "string",
  maxLength: 300,
  pattern: CURSOR_PATTERN,
  description: "Opaque cursor: the `next` of the previous page.",
} as const;

export const limit = { type: "integer", minimum: 1, maximum: 100, default: 25 } as const;

export function object(properties: Record<string, unknown>, required: string[] = Object.keys(properties)) {
  return { type: "object", additionalProperties: false, required, properties } as const;
}

export const userSchema = object({
  id: uuid,
  city: str,
  name: nullableStr,
  username: nullableStr,
  email: nullableStr,
  isOwner: { type: "boolean" },
});

export const vehicleSchema = object({
  id: uuid,
  city: str,
  type: { type: ["string", "null"], enum: [...VEHICLE_CHOICES.types, null] },
  ownerId: { type: ["string", "null"], format: "uuid" },
  status: { type: ["string", "null"], enum: [...VEHICLE_CHOICES.statuses, null] },
  location: nullableStr,
  color: nullableStr,
  brand: nullableStr,
  createdAt: nullableDateTime,
});

export const rideSchema = object({
  id: uuid,
  city: str,
  vehicleId: { type: ["string", "null"], format: "uuid" },
  riderId: { type: ["string", "null"], format: "uuid" },
  startLocation: nullableStr,
  endLocation: nullableStr,
  startedAt: nullableDateTime,
  endedAt: nullableDateTime,
  durationSeconds: { type: ["integer", "null"] },
  revenue: {
    type: ["string", "null"],
    pattern: "^-?\\d+\\.\\d{2}$",
    example: "12.35",
    description: "The fare, an exact decimal string in `currency`; null while the ride is active.",
  },
  currency,
});

export const pathPointSchema = object({
  lat: { type: ["number", "null"] },
  long: { type: ["number", "null"] },
  at: dateTime,
});

export const promoCodeSchema = object({
  code: str,
  description: nullableStr,
  discountPercent: { type: ["integer", "null"] },
  createdAt: nullableDateTime,
  expiresAt: nullableDateTime,
});

export const appliedPromoCodeSchema = object({
  ...promoCodeSchema.properties,
  appliedAt: nullableDateTime,
  usageCount: { type: "integer" },
});

const errorSchema = object({
  error: object(
    {
      code: str,
      message: str,
      details: {
        type: "array",
        items: object({ field: str, problem: str }),
      },
    },
    ["code", "message"],
  ),
});

const ERROR_WHEN: Record<number, string> = {
  400: "invalid_request: malformed JSON, wrong types, missing or unknown fields, bad UUID, unknown city",
  401: "unauthenticated: no or invalid session/token (on a public read too: a token sent must be valid)",
  403: "forbidden: not the owner/rider of that resource, or CSRF failure",
  404: "not_found",
  409: "a conflict; `error.code` says which",
  413: "payload_too_large",
  429: "rate_limited; see Retry-After",
  500: "internal",
  503: "unavailable: database unreachable or retries exhausted; see Retry-After",
};

/** Error responses of a route: the common ones (400, 413, 500, 503) plus those given. */
export function errors(...statuses: number[]): Record<number, unknown> {
  const all = [...new Set([400, 413, 500, 503, ...statuses])];
  return Object.fromEntries(all.map((s) => [s, { ...errorSchema, description: ERROR_WHEN[s] ?? "error" }]));
}

export const noContent = { type: "null", description: "Done; no body." } as const;
