import { runTransaction } from "../db/transaction.ts";
import type { MovrContext } from "../shared/context.ts";
import { decodeCursor, keysetPage } from "../shared/cursor.ts";
import { conflict, invalid, notFound } from "../shared/errors.ts";
import {
  LIMITS,
  optionalText,
  requireCity,
  requireIntInRange,
  requireText,
  requireUuid,
} from "../shared/validation.ts";
import { findUser } from "../users/user.repository.ts";
import { parsePercent } from "../rides/ride.fare.ts";
import {
  findPromoCode,
  insertPromoCode,
  insertUserPromoCode,
  listCodesOfUser,
  listUnexpiredPromoCodes,
  pickPromoCode as pickPromoCodeRow,
} from "./promo-code.repository.ts";
import type { PromoCodeRow, PromoRules } from "./promo-code.table.ts";

export interface PromoCode {
  code: string;
  description: string | null;
  createdAt: Date | null;
  expiresAt: Date | null;
  discountPercent: number | null;
  timesApplied: number;
}

/** `timesApplied`: how many users applied the code (counted in user_promo_codes). */
export function toPromoCode(row: PromoCodeRow, timesApplied: number): PromoCode {
  return {
    code: row.code,
    description: row.description,
    createdAt: row.creationTime,
    expiresAt: row.expirationTime,
    discountPercent: row.rules?.type === "percent_discount" ? parsePercent(row.rules.value) : null,
    timesApplied,
  };
}

export interface AppliedPromoCode extends PromoCode {
  appliedAt: Date | null;
  usageCount: number;
}

const CODE_RE = /^[A-Za-z0-9_-]+$/;

function requireCode(code: string): string {
  const c = requireText("code", code, LIMITS.promoCode);
  if (!CODE_RE.test(c)) throw invalid("code", "may use letters, digits, '_' and '-' only");
  return c;
}

export async function createPromoCode(
  ctx: MovrContext,
  input: {
    code: string;
    description?: string | null;
    expiresAt?: Date | null;
    discountPercent: number;
    rules?: PromoRules;
  },
): Promise<PromoCode> {
  const pct = requireIntInRange("discountPercent", input.discountPercent, 0, 100);
  const now = ctx.clock();
  if (input.expiresAt && input.expiresAt <= now) throw invalid("expiresAt", "must be in the future");
  const row = {
    code: requireCode(input.code),
    description: optionalText("description", input.description, LIMITS.description),
    creationTime: now,
    expirationTime: input.expiresAt ?? null,
    rules: input.rules ?? { type: "percent_discount", value: `${pct}%` },
  };
  return toPromoCode(
    await runTransaction(ctx.database, (tx) => insertPromoCode(tx, row), { singleStatement: true }),
    0,
  );
}

export interface PromoCodeQuery {
  /** 1–100; 25 when not given. */
  limit?: number | undefined;
  /** The `next` of the previous page. */
  after?: string | undefined;
}

export interface PromoCodePage {
  promoCodes: PromoCode[];
  /** Pass back as `after` for the next page; null on the last page. */
  next: string | null;
}

/**
 * The unexpired promo codes in code order, a page at a time (keyset on the code). Throws
 * DomainError invalid_request for a limit outside 1–100 or a cursor this server did not give.
 */
export async function listPromoCodes(ctx: MovrContext, q: PromoCodeQuery = {}): Promise<PromoCodePage> {
  const limit = requireIntInRange("limit", q.limit ?? 25, 1, 100);
  const afterCode = q.after ? decodeCursor(q.after, [requireCode])[0] : undefined;
  const now = ctx.clock();
  // One row more than asked tells whether there is a next page without a second query.
  const rows = await runTransaction(
    ctx.database,
    (tx) => listUnexpiredPromoCodes(tx, now, limit + 1, afterCode),
    { readOnly: true, singleStatement: true },
  );
  const { page, next } = keysetPage(rows, limit, (last) => [last.promo.code]);
  return { promoCodes: page.map((r) => toPromoCode(r.promo, r.timesApplied)), next };
}

/** Applies a code to a user, once per user (the primary key says so). */
export async function applyPromoCode(
  ctx: MovrContext,
  input: { city: string; userId: string; code: string },
): Promise<AppliedPromoCode> {
  const city = requireCity(ctx.cities, input.city);
  const userId = requireUuid("userId", input.userId);
  const code = requireCode(input.code);
  const now = ctx.clock();
  return runTransaction(ctx.database, async (tx) => {
    const user = await findUser(tx, city, userId);
    if (!user || user.deactivatedAt) throw notFound("That user");
    const found = await findPromoCode(tx, code);
    if (!found) throw notFound("That promo code");
    const { promo } = found;
    if (promo.expirationTime && promo.expirationTime <= now) {
      throw conflict("promo_code_expired", "That promo code has expired.");
    }
    // Counted, not incremented: promo_codes stays write-rarely (migrations/0005).
    await insertUserPromoCode(tx, { city, userId, code, timestamp: now, usageCount: 0 });
    return { ...toPromoCode(promo, found.timesApplied + 1), appliedAt: now, usageCount: 0 };
  });
}

export async function listUserPromoCodes(
  ctx: MovrContext,
  city: string,
  userId: string,
): Promise<AppliedPromoCode[]> {
  requireCity(ctx.cities, city);
  requireUuid("userId", userId);
  const rows = await runTransaction(ctx.database, (tx) => listCodesOfUser(tx, city, userId), {
    readOnly: true,
    singleStatement: true,
  });
  return rows.map(({ applied, promo, timesApplied }) => ({
    ...toPromoCode(promo, timesApplied),
    appliedAt: applied.timestamp,
    usageCount: applied.usageCount ?? 0,
  }));
}

/**
 * The first code after `pivot` (wrapping around). The caller picks the pivot from the shape of
 * its codes: no default would spread picks over codes of every shape.
 */
export async function pickPromoCode(ctx: MovrContext, pivot: string): Promise<string | undefined> {
  return runTransaction(ctx.database, (tx) => pickPromoCodeRow(tx, pivot), {
    readOnly: true,
    singleStatement: true,
  });
}
