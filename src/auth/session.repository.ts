import { and, eq, gt, isNull, sql } from "drizzle-orm";
import { preparedRead } from "../db/prepared.ts";
import type { Tx } from "../db/transaction.ts";
import { users, type UserRow } from "../users/user.table.ts";
import { sessions } from "./session.table.ts";

/** A session's primary key: the user's city first (the row's region), then the token's hash. */
export interface SessionKey {
  userCity: string;
  tokenHash: string;
}

export async function insertSession(
  tx: Tx,
  row: { tokenHash: string; userCity: string; userId: string; createdAt: Date; expiresAt: Date },
): Promise<void> {
  await tx.insert(sessions).values(row);
}

// Every authenticated request's read: its rows skip Drizzle's mapping (ADR 020).
const sessionUser = preparedRead("session_user", { user: users }, (db, selection) =>
  db
    .select(selection)
    .from(sessions)
    .innerJoin(users, and(eq(users.city, sessions.userCity), eq(users.id, sessions.userId)))
    .where(
      and(
        eq(sessions.userCity, sql.placeholder("userCity")),
        eq(sessions.tokenHash, sql.placeholder("tokenHash")),
        isNull(sessions.revokedAt),
        gt(sessions.expiresAt, sql.placeholder("now")),
        isNull(users.deactivatedAt),
      ),
    ),
);

/** The live session's user: not revoked, not expired, and the account still active. */
export async function findSessionUser(tx: Tx, key: SessionKey, now: Date): Promise<UserRow | undefined> {
  const [row] = await sessionUser(tx, {
    userCity: key.userCity,
    tokenHash: key.tokenHash,
    now: now.toISOString(),
  });
  return row?.user;
}

export async function revokeSession(tx: Tx, key: SessionKey, now: Date): Promise<void> {
  await tx
    .update(sessions)
    .set({ revokedAt: now })
    .where(
      and(
        eq(sessions.userCity, key.userCity),
        eq(sessions.tokenHash, key.tokenHash),
        isNull(sessions.revokedAt),
      ),
    );
}

export async function revokeUserSessions(tx: Tx, city: string, userId: string, now: Date): Promise<void> {
  await tx
    .update(sessions)
    .set({ revokedAt: now })
    .where(and(eq(sessions.userCity, city), eq(sessions.userId, userId), isNull(sessions.revokedAt)));
}
