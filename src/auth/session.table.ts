import { foreignKey, pgTable, primaryKey, uuid, varchar } from "drizzle-orm/pg-core";
import { timestamp } from "../db/timestamp.column.ts";
import { users } from "../users/user.table.ts";

export const sessions = pgTable(
  "sessions",
  {
    // Only a hash of the token is stored: a leaked table does not log anyone in.
    tokenHash: varchar("token_hash").notNull(),
    userCity: varchar("user_city").notNull(),
    userId: uuid("user_id").notNull(),
    createdAt: timestamp("created_at").notNull(),
    expiresAt: timestamp("expires_at").notNull(),
    revokedAt: timestamp("revoked_at"),
  },
  (t) => [
    // Keyed by the user's city first: the region of a multi-region row is computed from it, so
    // neither a login nor a lookup visits other regions (migrations/0004, ADR 005).
    primaryKey({ name: "sessions_pkey", columns: [t.userCity, t.tokenHash] }),
    foreignKey({
      name: "fk_user_ref_users",
      columns: [t.userCity, t.userId],
      foreignColumns: [users.city, users.id],
    }),
  ],
);
