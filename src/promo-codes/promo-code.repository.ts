import { and, asc, eq, gt, isNull, or, sql } from "drizzle-orm";
import { firstAfterPivot } from "../db/pick.ts";
import { preparedQuery } from "../db/prepared.ts";
import type { Tx } from "../db/transaction.ts";
import { promoCodes, userPromoCodes, type PromoCodeRow, type UserPromoCodeRow } from "./promo-code.table.ts";

const P = sql.placeholder;

const insertPromoCodeStatement = preparedQuery("insert_promo_code", (db) =>
  db
    .insert(promoCodes)
    .values({
      code: P("code"),
      description: P("description"),
      // Raw placeholders: Drizzle's encoding of these columns cannot take a NULL.
      creationTime: sql`${P("creationTime")}`,
      expirationTime: sql`${P("expirationTime")}`,
      rules: sql`${P("rules")}`,
    })
    .returning(),
);

export async function insertPromoCode(tx: Tx, row: typeof promoCodes.$inferInsert): Promise<PromoCodeRow> {
  const [inserted] = await insertPromoCodeStatement(tx).execute({
    code: row.code,
    description: row.description ?? null,
    creationTime: row.creationTime?.toISOString() ?? null,
    expirationTime: row.expirationTime?.toISOString() ?? null,
    rules: row.rules == null ? null : JSON.stringify(row.rules),
  });
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

const promoCodeStatement = preparedQuery("promo_code", (db) =>
  db
    .select({ promo: promoCodes, timesApplied })
    .from(promoCodes)
    .where(eq(promoCodes.code, P("code"))),
);

export async function findPromoCode(tx: Tx, code: string): Promise<CountedPromoCode | undefined> {
  const [row] = await promoCodeStatement(tx).execute({ code });
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

const insertUserPromoCodeStatement = preparedQuery("insert_user_promo_code", (db) =>
  db.insert(userPromoCodes).values({
    city: P("city"),
    userId: P("userId"),
    code: P("code"),
    timestamp: sql`${P("timestamp")}`,
    usageCount: P("usageCount"),
  }),
);

export async function insertUserPromoCode(tx: Tx, row: typeof userPromoCodes.$inferInsert): Promise<void> {
  await insertUserPromoCodeStatement(tx).execute({
    city: row.city,
    userId: row.userId,
    code: row.code,
    timestamp: row.timestamp?.toISOString() ?? null,
    usageCount: row.usageCount ?? null,
  });
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
const pickPromoCodeStatement = preparedQuery("pick_promo_code", (db) =>
  firstAfterPivot(db, promoCodes, promoCodes.code, undefined, P("pivot")),
);

export async function pickPromoCode(tx: Tx, pivot: string): Promise<string | undefined> {
  const [row] = await pickPromoCodeStatement(tx).execute({ pivot });
  return row?.key as string | undefined;
}
