// Accounts: register, log in, sessions (stored server-side, so any instance serves them and
// logout revokes them), log out. Tokens are random; only their SHA-256 is stored.
import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { runTransaction } from "../db/transaction.ts";
import type { MovrContext } from "../shared/context.ts";
import { DomainError } from "../shared/errors.ts";
import { LIMITS, requireText } from "../shared/validation.ts";
import { findUserByUsername } from "../users/user.repository.ts";
import { addUser, toUser, type User } from "../users/user.service.ts";
import { DUMMY_HASH, hashPassword, verifyPassword } from "./password.ts";
import { findSessionUser, insertSession, revokeSession } from "./session.repository.ts";

export interface AuthContext extends MovrContext {
  readonly sessionTtlHours: number;
}

export const hashToken = (token: string): string => createHash("sha256").update(token).digest("hex");

export async function register(
  ctx: MovrContext,
  input: { city: string; name: string; username: string; email: string; password: string },
): Promise<User> {
  const password = requireText("password", input.password, LIMITS.password.max, LIMITS.password.min);
  requireText("username", input.username, LIMITS.username);
  requireText("email", input.email, LIMITS.email);
  return addUser(ctx, { ...input, passwordHash: await hashPassword(password) });
}

export interface LoginResult {
  token: string;
  user: User;
  expiresAt: Date;
}

const BAD_LOGIN = () => new DomainError("unauthenticated", "That username and password do not match.");

export async function login(
  ctx: AuthContext,
  input: { username: string; password: string },
): Promise<LoginResult> {
  if (!input.username || !input.password || input.password.length > LIMITS.password.max) throw BAD_LOGIN();
  const row = await runTransaction(ctx.database, (tx) => findUserByUsername(tx, input.username), {
    readOnly: true,
  });
  const ok = await verifyPassword(input.password, row?.passwordHash ?? DUMMY_HASH);
  if (!row || !ok || row.deactivatedAt || !row.passwordHash) throw BAD_LOGIN();
  const token = randomBytes(32).toString("base64url");
  const now = ctx.clock();
  const expiresAt = new Date(now.getTime() + ctx.sessionTtlHours * 3_600_000);
  await runTransaction(ctx.database, (tx) =>
    insertSession(tx, {
      tokenHash: hashToken(token),
      userCity: row.city,
      userId: row.id,
      createdAt: now,
      expiresAt,
    }),
  );
  return { token, user: toUser(row), expiresAt };
}

/** The user a token belongs to, or undefined for an unknown, expired or revoked token. */
export async function authenticate(ctx: MovrContext, token: string): Promise<User | undefined> {
  if (!token || token.length > 200) return undefined;
  const now = ctx.clock();
  const row = await runTransaction(ctx.database, (tx) => findSessionUser(tx, hashToken(token), now), {
    readOnly: true,
  });
  return row ? toUser(row) : undefined;
}

export async function logout(ctx: MovrContext, token: string): Promise<void> {
  const now = ctx.clock();
  await runTransaction(ctx.database, (tx) => revokeSession(tx, hashToken(token), now));
}

/** CSRF token bound to the session: an HMAC, so nothing more is stored. */
export function csrfTokenFor(secret: string, sessionToken: string): string {
  return createHmac("sha256", secret)
    .update(`csrf:${hashToken(sessionToken)}`)
    .digest("base64url");
}

export function checkCsrfToken(secret: string, sessionToken: string, given: string | undefined): boolean {
  if (!given) return false;
  const expected = Buffer.from(csrfTokenFor(secret, sessionToken));
  const actual = Buffer.from(given);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
