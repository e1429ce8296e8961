import { foreignKey, integer, jsonb, pgTable, primaryKey, uuid, varchar } from "drizzle-orm/pg-core";
import { timestamp } from "../db/timestamp.column.ts";
import { users } from "../users/user.table.ts";

export interface PromoRules {
  type: string;
  value: string;
}

export const promoCodes = pgTable(
  "promo_codes",
  {
    code: varchar("code").notNull(),
    description: varchar("description"),
    creationTime: timestamp("creation_time"),
    expirationTime: timestamp("expiration_time"),
    rules: jsonb("rules").$type<PromoRules>(),
    // No counter here: a GLOBAL table must be written rarely. How often a code was applied is
    // counted in user_promo_codes (migrations/0005).
  },
  (t) => [primaryKey({ name: "promo_codes_pkey", columns: [t.code] })],
);

export type PromoCodeRow = typeof promoCodes.$inferSelect;

export const userPromoCodes = pgTable(
  "user_promo_codes",
  {
    city: varchar("city").notNull(),
    userId: uuid("user_id").notNull(),
    code: varchar("code").notNull(),
    timestamp: timestamp("timestamp"),
    usageCount: integer("usage_count"),
  },
  (t) => [
    primaryKey({ name: "user_promo_codes_pkey", columns: [t.city, t.userId, t.code] }),
    foreignKey({
      name: "fk_city_ref_users",
      columns: [t.city, t.userId],
      foreignColumns: [users.city, users.id],
    }),
  ],
);

export type UserPromoCodeRow = typeof userPromoCodes.$inferSelect;
