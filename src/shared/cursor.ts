// Opaque keyset cursors: clients pass back what we gave them, and cannot forge a malformed one past us.
import { DomainError, invalid } from "./errors.ts";
import { isOnCalendar } from "./calendar.ts";
import { isText } from "./text.ts";

const notOurs = (): DomainError => invalid("after", "is not a cursor this server gave out");

export function encodeCursor(parts: string[]): string {
  return Buffer.from(JSON.stringify(parts)).toString("base64url");
}

/**
 * A cursor's parts, each read by its reader (`readers[i]` gets part i, text under the text rule:
 * a forged U+0000 would reach the database as 22021). A reader refuses a part by throwing
 * DomainError invalid_request (requireUuid, requireCode, ...); a part it refuses was forged, so
 * the caller hears about `after`, not about a field it never sent. Throws DomainError
 * invalid_request on `after` for a cursor this server did not give out.
 */
export function decodeCursor<T extends readonly unknown[]>(
  cursor: string,
  readers: { readonly [K in keyof T]: (part: string) => T[K] },
): T {
  let parts: unknown;
  try {
    parts = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    throw notOurs();
  }
  if (
    !Array.isArray(parts) ||
    parts.length !== readers.length ||
    !parts.every((p) => typeof p === "string" && isText(p))
  ) {
    throw notOurs();
  }
  try {
    return readers.map((read, i) => read(parts[i] as string)) as unknown as T;
  } catch (err) {
    if (err instanceof DomainError && err.code === "invalid_request") throw notOurs();
    throw err;
  }
}

const TIMESTAMP_KEY_RE = /^(\d{4,6})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.\d{1,6})?(?:Z| BC)?$/;

/**
 * A cursor's timestamp key, checked before it reaches SQL: what `timestamp::text` prints
 * (`2026-11-24 10:00:00.0001`, PostgreSQL's and CockroachDB's ISO style, microseconds kept; for
 * rows edited by hand also `0044-03-15 00:00:00 BC`, `12345-01-01 00:00:00`, `infinity` and
 * `-infinity`, ADR 022), or an ISO-8601 string of an older cursor. Years 4713 BC to 294276 AD
 * and real calendar dates only, so the database never sees a value it refuses (22008). Throws
 * DomainError invalid_request on `field`.
 */
export function requireTimestampKey(field: string, value: string): string {
  if (value === "infinity" || value === "-infinity") return value;
  const m = TIMESTAMP_KEY_RE.exec(value);
  const [n, month, day, hour, minute, second] = (m?.slice(1, 7) ?? []).map(Number) as number[];
  const bc = value.endsWith(" BC");
  // BC years as Date and the calendar count them: 1 BC is year 0, a leap year.
  const year = bc ? 1 - n! : n!;
  const valid =
    m !== null &&
    n! >= 1 &&
    (bc ? n! <= 4713 : n! <= 294276) &&
    isOnCalendar(year, month!, day!, hour, minute, second);
  if (!valid) throw invalid(field, "is not a cursor this server gave out");
  return value;
}

/**
 * A page of at most `limit` rows from a query asked for `limit + 1` (one row more than asked
 * tells whether there is a next page without a second query), and the cursor of the next page:
 * the key parts of its last row, or null on the last page.
 */
export function keysetPage<T>(
  rows: readonly T[],
  limit: number,
  keyOf: (last: T) => string[],
): { page: T[]; next: string | null } {
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return { page, next: rows.length > limit && last !== undefined ? encodeCursor(keyOf(last)) : null };
}
