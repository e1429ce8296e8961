// Form bodies and query strings arrive as loose objects; pages read them as bounded strings and
// leave the checks of meaning (cities, UUIDs, lengths) to the services.
import type { FastifyRequest } from "fastify";

/** Far above any field's own limit: the services say what is too long, in a sentence. */
const MAX_FIELD = 2000;

function textOf(value: unknown): string {
  const first = Array.isArray(value) ? value[0] : value;
  return typeof first === "string" ? first.slice(0, MAX_FIELD) : "";
}

export type Fields = (name: string) => string;

export function formFields(request: FastifyRequest): Fields {
  const body = (typeof request.body === "object" && request.body !== null ? request.body : {}) as Record<
    string,
    unknown
  >;
  return (name) => textOf(body[name]);
}

export function queryFields(request: FastifyRequest): Fields {
  const query = (typeof request.query === "object" && request.query !== null ? request.query : {}) as Record<
    string,
    unknown
  >;
  return (name) => textOf(query[name]);
}

/** Only a path on this site: never `//evil.example` or `/\evil.example`, which browsers treat as hosts. */
export function safeNext(value: string, fallback = "/vehicles"): string {
  // Printable ASCII only: anything else would be refused in a Location header (a 500).
  return /^\/(?![/\\])[\x21-\x7e]*$/.test(value) && value.length <= 500 ? value : fallback;
}

/** A URL with a query string built from non-empty values. */
export function withQuery(path: string, params: Record<string, string | null | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v) q.set(k, v);
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}
