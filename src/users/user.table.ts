import { boolean, pgTable, primaryKey, uuid, varchar } from "drizzle-orm/pg-core";
import { timestamp } from "../db/timestamp.column.ts";

export const users = pgTable(
  "users",
  {
    id: uuid("id").notNull(),
    city: varchar("city").notNull(),
    name: varchar("name"),
    address: varchar("address"),
    creditCard: varchar("credit_card"),
    // Login columns: null for riders created by the workload generator.
    username: varchar("username"),
    email: varchar("email"),
    passwordHash: varchar("password_hash"),
    isOwner: boolean("is_owner").notNull().default(false),
    deactivatedAt: timestamp("deactivated_at"),
  },
  (t) => [primaryKey({ name: "users_pkey", columns: [t.city, t.id] })],
);

export type UserRow = typeof users.$inferSelect;
export type NewUserRow = typeof users.$inferInsert;
