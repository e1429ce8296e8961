import { randomUUID } from "node:crypto";
import { revokeUserSessions } from "../auth/session.repository.ts";
import { runTransaction } from "../db/transaction.ts";
import { findActiveRideOfRider } from "../rides/ride.repository.ts";
import type { MovrContext } from "../shared/context.ts";
import { decodeCursor, keysetPage } from "../shared/cursor.ts";
import { conflict, DomainError, notFound } from "../shared/errors.ts";
import {
  LIMITS,
  optionalText,
  requireCity,
  requireIntInRange,
  requireText,
  requireUuid,
} from "../shared/validation.ts";
import { findOwnedVehicleInRide, removeAllVehiclesOfOwner } from "../vehicles/vehicle.repository.ts";
import {
  findUser,
  insertUser,
  listUserNamesOfCity,
  listUsersOfCity,
  markDeactivated,
  pickUserId,
} from "./user.repository.ts";
import type { UserRow } from "./user.table.ts";

/** A user as anyone outside the data layer sees one: never a password hash or a card number. */
export interface User {
  id: string;
  city: string;
  name: string | null;
  username: string | null;
  email: string | null;
  isOwner: boolean;
  active: boolean;
}

export function toUser(row: UserRow): User {
  return {
    id: row.id,
    city: row.city,
    name: row.name,
    username: row.username,
    email: row.email,
    isOwner: row.isOwner,
    active: row.deactivatedAt === null,
  };
}

export interface NewUser {
  city: string;
  name: string;
  address?: string | null;
  creditCard?: string | null;
  username?: string | null;
  email?: string | null;
  /** Already hashed (see auth/password.ts): hashing is slow and must not sit inside a retried transaction. */
  passwordHash?: string | null;
  /** Generated here when not given; the workload passes its own for deterministic data. */
  id?: string;
}

const USERNAME_RE = /^[a-zA-Z0-9_.-]+$/;
const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export async function addUser(ctx: MovrContext, input: NewUser): Promise<User> {
  const city = requireCity(ctx.cities, input.city);
  const username = optionalText("username", input.username, LIMITS.username);
  if (username !== null && !USERNAME_RE.test(username)) {
    throw new DomainError("invalid_request", "username may use letters, digits, '.', '_' and '-' only.", [
      { field: "username", problem: "has characters other than letters, digits, '.', '_' and '-'" },
    ]);
  }
  const email = optionalText("email", input.email, LIMITS.email);
  if (email !== null && !EMAIL_RE.test(email)) {
    throw new DomainError("invalid_request", "email is not an email address.", [
      { field: "email", problem: "is not an email address" },
    ]);
  }
  const row = {
    id: input.id ? requireUuid("id", input.id) : randomUUID(),
    city,
    name: requireText("name", input.name, LIMITS.name),
    address: optionalText("address", input.address, LIMITS.address),
    creditCard: optionalText("creditCard", input.creditCard, 40),
    username,
    email,
    passwordHash: input.passwordHash ?? null,
  };
  return toUser(await runTransaction(ctx.database, (tx) => insertUser(tx, row), { singleStatement: true }));
}

export async function getUser(ctx: MovrContext, city: string, id: string): Promise<User> {
  requireCity(ctx.cities, city);
  requireUuid("userId", id);
  const row = await runTransaction(ctx.database, (tx) => findUser(tx, city, id), {
    readOnly: true,
    singleStatement: true,
  });
  if (!row) throw notFound("That user");
  return toUser(row);
}

export async function getUsersOfCity(ctx: MovrContext, city: string, limit = 25): Promise<User[]> {
  requireCity(ctx.cities, city);
  requireIntInRange("limit", limit, 1, 1000);
  const rows = await runTransaction(ctx.database, (tx) => listUsersOfCity(tx, city, limit), {
    readOnly: true,
    singleStatement: true,
  });
  return rows.map(toUser);
}

export interface CityNamesPage {
  /** Names only: a user's address, email and card number are no one else's business. */
  names: string[];
  /** Pass back as `after` for the next page; null on the last page. */
  next: string | null;
}

/**
 * The names of a city's active users, in name order, a page at a time ("users in my city").
 * Throws DomainError invalid_request for an unknown city, a limit outside 1–100, or a cursor
 * this server did not give.
 */
export async function listUserNamesInCity(
  ctx: MovrContext,
  q: { city: string; limit?: number | undefined; after?: string | undefined },
): Promise<CityNamesPage> {
  const city = requireCity(ctx.cities, q.city);
  const limit = requireIntInRange("limit", q.limit ?? 25, 1, 100);
  const after = q.after ? decodeCursor(q.after, [(p) => p, (p) => requireUuid("after", p)]) : undefined;
  const afterKey = after ? { name: after[0], id: after[1] } : undefined;
  const rows = await runTransaction(
    ctx.database,
    (tx) => listUserNamesOfCity(tx, city, limit + 1, afterKey),
    { readOnly: true, singleStatement: true },
  );
  const { page, next } = keysetPage(rows, limit, (last) => [last.name, last.id]);
  return { names: page.map((r) => r.name), next };
}

/** A random user of the city (the workload's pick); undefined when the city has none. */
export async function pickUser(
  ctx: MovrContext,
  city: string,
  pivot = randomUUID(),
): Promise<string | undefined> {
  return runTransaction(ctx.database, (tx) => pickUserId(tx, city, pivot), {
    readOnly: true,
    singleStatement: true,
  });
}

/**
 * Deactivates an account: sessions revoked, owned vehicles taken off the platform, ride
 * history kept. Refused while the user is in a ride, so no ride is left without a rider.
 */
export async function deactivateUser(ctx: MovrContext, city: string, id: string): Promise<void> {
  requireCity(ctx.cities, city);
  requireUuid("userId", id);
  const now = ctx.clock();
  await runTransaction(ctx.database, async (tx) => {
    const user = await findUser(tx, city, id);
    if (!user || user.deactivatedAt) throw notFound("That user");
    if (await findActiveRideOfRider(tx, city, id)) {
      throw conflict("already_riding", "End your active ride before deleting your account.");
    }
    // A vehicle in someone's ride cannot be taken off the platform under them (ADR 003).
    if (await findOwnedVehicleInRide(tx, city, id)) {
      throw conflict(
        "vehicle_in_use",
        "One of your vehicles is in a ride; delete your account after that ride ends.",
      );
    }
    await removeAllVehiclesOfOwner(tx, city, id);
    await revokeUserSessions(tx, city, id, now);
    await markDeactivated(tx, city, id, now);
  });
}
