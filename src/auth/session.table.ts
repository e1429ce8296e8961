import { foreignKey, pgTable, timestamp, uuid, varchar } from "drizzle-orm/pg-core";
import { users } from "../users/user.table.ts";

export const sessions = pgTable(
  "sessions",
  {
    // Only a hash of the token is stored: a leaked table does not log anyone in.
    tokenHash: varchar("token_hash").primaryKey(),
    userCity: varchar("user_city").notNull(),
    userId: uuid("user_id").notNull(),
    createdAt: timestamp("created_at", { mode: "date" }).notNull(),
    expiresAt: timestamp("expires_at", { mode: "date" }).notNull(),
    revokedAt: timestamp("revoked_at", { mode: "date" }),
  },
  (t) => [
    foreignKey({
      name: "fk_user_ref_users",
      columns: [t.userCity, t.userId],
      foreignColumns: [users.city, users.id],
    }),
  ],
);
