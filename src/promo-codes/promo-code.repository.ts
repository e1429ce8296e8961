import { and, asc, eq, gt, isNull, or, sql } from "drizzle-orm";
import type { Tx } from "../db/transaction.ts";
import { promoCodes, userPromoCodes, type PromoCodeRow, type UserPromoCodeRow } from "./promo-code.table.ts";

export async function insertPromoCode(tx: Tx, row: typeof promoCodes.$inferInsert): Promise<PromoCodeRow> {
  const [inserted] = await tx.insert(promoCodes).values(row).returning();
  return inserted!;
}

/** A promo code and how many users applied it. */
export interface CountedPromoCode {
  promo: PromoCodeRow;
  timesApplied: number;
}

/**
 * Applications of the code, counted in user_promo_codes (index user_promo_codes_by_code). count()
 * is INT8: a string from node-postgres on CockroachDB and PostgreSQL alike, hence mapWith(Number).
 * Qualified by hand: Drizzle leaves columns unqualified in the select list of a one-table query.
 */
const timesApplied =
  sql<number>`(SELECT count(*) FROM ${userPromoCodes} AS applied WHERE applied.code = ${promoCodes}.code)`.mapWith(
    Number,
  );

export async function findPromoCode(tx: Tx, code: string): Promise<CountedPromoCode | undefined> {
  const [row] = await tx
    .select({ promo: promoCodes, timesApplied })
    .from(promoCodes)
    .where(eq(promoCodes.code, code));
  return row;
}

const unexpired = (now: Date) => or(isNull(promoCodes.expirationTime), gt(promoCodes.expirationTime, now));

export async function listUnexpiredPromoCodes(
  tx: Tx,
  now: Date,
  limit: number,
  afterCode?: string,
): Promise<CountedPromoCode[]> {
  return tx
    .select({ promo: promoCodes, timesApplied })
    .from(promoCodes)
    .where(and(unexpired(now), afterCode ? gt(promoCodes.code, afterCode) : undefined))
    .orderBy(asc(promoCodes.code))
    .limit(limit);
}

export async function insertUserPromoCode(tx: Tx, row: typeof userPromoCodes.$inferInsert): Promise<void> {
  await tx.insert(userPromoCodes).values(row);
}

export interface AppliedCode extends CountedPromoCode {
  applied: UserPromoCodeRow;
}

export async function listCodesOfUser(tx: Tx, city: string, userId: string): Promise<AppliedCode[]> {
  return tx
    .select({ applied: userPromoCodes, promo: promoCodes, timesApplied })
    .from(userPromoCodes)
    .innerJoin(promoCodes, eq(promoCodes.code, userPromoCodes.code))
    .where(and(eq(userPromoCodes.city, city), eq(userPromoCodes.userId, userId)))
    .orderBy(asc(userPromoCodes.code));
}

/** A ride started: each of the rider's valid codes has been used once more. One statement. */
export async function pickPromoCode(tx: Tx, pivot: string): Promise<string | undefined> {
  const page = (after?: string) =>
    tx
      .select({ code: promoCodes.code })
      .from(promoCodes)
      .where(after ? gt(promoCodes.code, after) : undefined)
      .orderBy(asc(promoCodes.code))
      .limit(1);
  const row = (await page(pivot))[0] ?? (await page())[0];
  return row?.code;
}
