// Form bodies and query strings arrive as loose objects; pages read them as strings, each under
// the text rule (src/shared/text.ts), and leave the checks of meaning (cities, UUIDs, lengths)
// to the services.
import type { FastifyRequest } from "fastify";
import { invalid } from "../../shared/errors.ts";
import { isText, TEXT_PROBLEM } from "../../shared/text.ts";

export type Fields = (name: string) => string;

/**
 * The fields of a form or query string, every one checked against the text rule at once: a
 * field breaking it throws DomainError invalid_request naming that field, before the page acts.
 * Only the first of repeated fields counts; a field that is absent (or not a string) reads as "".
 */
function fieldsOf(source: unknown): Fields {
  const values = new Map<string, string>();
  if (typeof source === "object" && source !== null) {
    for (const [name, raw] of Object.entries(source as Record<string, unknown>)) {
      const first: unknown = Array.isArray(raw) ? raw[0] : raw;
      if (typeof first !== "string") continue;
      if (!isText(first) || !isText(name)) throw invalid(isText(name) ? name : "a field name", TEXT_PROBLEM);
      values.set(name, first);
    }
  }
  return (name) => values.get(name) ?? "";
}

export function formFields(request: FastifyRequest): Fields {
  return fieldsOf(request.body);
}

export function queryFields(request: FastifyRequest): Fields {
  return fieldsOf(request.query);
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
