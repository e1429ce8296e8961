// Accounts: register, log in, sessions (stored server-side, so any instance serves them and
// logout revokes them), log out. Tokens are random; only their SHA-256 is stored.
import { createHmac, hash, randomBytes, timingSafeEqual } from "node:crypto";
import { runTransaction } from "../db/transaction.ts";
import type { MovrContext } from "../shared/context.ts";
import { characterCount, isText, TEXT_PROBLEM } from "../shared/text.ts";
import { DomainError, invalid } from "../shared/errors.ts";
import { LIMITS, requirePassword, requireText } from "../shared/validation.ts";
import { findUserByUsername } from "../users/user.repository.ts";
import { addUser, toUser, type User } from "../users/user.service.ts";
import { DUMMY_HASH, hashPassword, verifyPassword } from "./password.ts";
import { findSessionUser, insertSession, revokeSession, type SessionKey } from "./session.repository.ts";

export interface AuthContext extends MovrContext {
  readonly sessionTtlHours: number;
}

/** SHA-256 of the token, hex: the one-shot crypto.hash, a few times cheaper than a Hash object (every authenticated request). */
export const hashToken = (token: string): string => hash("sha256", token, "hex");

/**
 * A session token: `<home city, base64url>.<32 random bytes, base64url>`. The city is not secret
 * (the random part is the credential); it lets the session row be found by its primary key
 * (user_city, token_hash), which under REGIONAL BY ROW stays in the user's region (ADR 005).
 */
export function newSessionToken(city: string): string {
  return `${Buffer.from(city).toString("base64url")}.${randomBytes(32).toString("base64url")}`;
}

/** The session key a token names, or undefined for anything this server did not give out. */
export function sessionKeyOf(token: string): SessionKey | undefined {
  const m = /^([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]{43})$/.exec(token);
  if (!m) return undefined;
  // Any bytes decode; a city that is no text (a NUL, say) would make the database refuse the query.
  const userCity = Buffer.from(m[1]!, "base64url").toString();
  if (!isText(userCity)) return undefined;
  return { userCity, tokenHash: hashToken(token) };
}

/**
 * Creates an account that can log in. Name, username and email are trimmed (addUser); the
 * password is kept exactly as typed, so the same string logs in. Throws DomainError
 * invalid_request (naming the field) or username_taken.
 */
export async function register(
  ctx: MovrContext,
  input: { city: string; name: string; username: string; email: string; password: string },
): Promise<User> {
  const password = requirePassword(input.password);
  const username = requireText("username", input.username, LIMITS.username);
  const email = requireText("email", input.email, LIMITS.email);
  return addUser(ctx, { ...input, username, email, passwordHash: await hashPassword(password) });
}

export interface LoginResult {
  token: string;
  user: User;
  expiresAt: Date;
}

const BAD_LOGIN = () => new DomainError("unauthenticated", "That username and password do not match.");

/**
 * Logs in: the username as register stores it (trimmed; case matters), the password exactly as
 * typed. Throws DomainError invalid_request for text no account can have (the text rule) and
 * unauthenticated for anything else that does not match, without saying which part.
 */
export async function login(
  ctx: AuthContext,
  input: { username: string; password: string },
): Promise<LoginResult> {
  if (!isText(input.username)) throw invalid("username", TEXT_PROBLEM);
  if (!isText(input.password)) throw invalid("password", TEXT_PROBLEM);
  const username = input.username.trim();
  if (!username || !input.password || characterCount(input.password) > LIMITS.password.max) throw BAD_LOGIN();
  if (characterCount(username) > LIMITS.username) throw BAD_LOGIN();
  const row = await runTransaction(ctx.database, (tx) => findUserByUsername(tx, username), {
    readOnly: true,
    singleStatement: true,
  });
  const ok = await verifyPassword(input.password, row?.passwordHash ?? DUMMY_HASH);
  if (!row || !ok || row.deactivatedAt || !row.passwordHash) throw BAD_LOGIN();
  const token = newSessionToken(row.city);
  const now = ctx.clock();
  const expiresAt = new Date(now.getTime() + ctx.sessionTtlHours * 3_600_000);
  await runTransaction(
    ctx.database,
    (tx) =>
      insertSession(tx, {
        ...sessionKeyOf(token)!,
        userId: row.id,
        createdAt: now,
        expiresAt,
      }),
    { singleStatement: true },
  );
  return { token, user: toUser(row), expiresAt };
}

/** The user a token belongs to, or undefined for an unknown, expired or revoked token. */
export async function authenticate(ctx: MovrContext, token: string): Promise<User | undefined> {
  const key = token.length > 200 ? undefined : sessionKeyOf(token);
  if (!key) return undefined;
  const now = ctx.clock();
  const row = await runTransaction(ctx.database, (tx) => findSessionUser(tx, key, now), {
    readOnly: true,
    singleStatement: true,
  });
  return row ? toUser(row) : undefined;
}

export async function logout(ctx: MovrContext, token: string): Promise<void> {
  const key = sessionKeyOf(token);
  if (!key) return;
  const now = ctx.clock();
  await runTransaction(ctx.database, (tx) => revokeSession(tx, key, now), { singleStatement: true });
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
