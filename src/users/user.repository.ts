import { and, asc, eq, gt, isNotNull, isNull, ne, sql } from "drizzle-orm";
import { firstAfterPivot } from "../db/pick.ts";
import { preparedQuery } from "../db/prepared.ts";
import type { Tx } from "../db/transaction.ts";
import { vehicles } from "../vehicles/vehicle.table.ts";
import { users, type NewUserRow, type UserRow } from "./user.table.ts";

const P = sql.placeholder;

/** The columns a new user is given (NULL when left out); the others keep their defaults. */
type NewUser = Pick<
  NewUserRow,
  "id" | "city" | "name" | "address" | "creditCard" | "username" | "email" | "passwordHash"
>;

const insertUserStatement = preparedQuery("insert_user", (db) =>
  db
    .insert(users)
    .values({
      id: P("id"),
      city: P("city"),
      name: P("name"),
      address: P("address"),
      creditCard: P("creditCard"),
      username: P("username"),
      email: P("email"),
      passwordHash: P("passwordHash"),
    })
    .returning(),
);

export async function insertUser(tx: Tx, row: NewUser): Promise<UserRow> {
  const [inserted] = await insertUserStatement(tx).execute({
    id: row.id,
    city: row.city,
    name: row.name ?? null,
    address: row.address ?? null,
    creditCard: row.creditCard ?? null,
    username: row.username ?? null,
    email: row.email ?? null,
    passwordHash: row.passwordHash ?? null,
  });
  return inserted!;
}

const userStatement = preparedQuery("user", (db) =>
  db
    .select()
    .from(users)
    .where(and(eq(users.city, P("city")), eq(users.id, P("id")))),
);

export async function findUser(tx: Tx, city: string, id: string): Promise<UserRow | undefined> {
  const [row] = await userStatement(tx).execute({ city, id });
  return row;
}

export async function findUserByUsername(tx: Tx, username: string): Promise<UserRow | undefined> {
  const [row] = await tx.select().from(users).where(eq(users.username, username));
  return row;
}

export async function listUsersOfCity(
  tx: Tx,
  city: string,
  limit: number,
  afterId?: string,
): Promise<UserRow[]> {
  return tx
    .select()
    .from(users)
    .where(
      and(eq(users.city, city), isNull(users.deactivatedAt), afterId ? gt(users.id, afterId) : undefined),
    )
    .orderBy(asc(users.id))
    .limit(limit);
}

/**
 * Names of a city's active users in name order (then id, so equal names page stably), after the
 * given (name, id). Selects nothing else: no address, email or card number leaves the table.
 */
export async function listUserNamesOfCity(
  tx: Tx,
  city: string,
  limit: number,
  after?: { name: string; id: string },
): Promise<{ id: string; name: string }[]> {
  const rows = await tx
    .select({ id: users.id, name: users.name })
    .from(users)
    .where(
      and(
        eq(users.city, city),
        isNull(users.deactivatedAt),
        isNotNull(users.name),
        after ? sql`(${users.name}, ${users.id}) > (${after.name}, ${after.id})` : undefined,
      ),
    )
    .orderBy(sql`${users.name} ASC NULLS LAST`, asc(users.id))
    .limit(limit);
  return rows.map((r) => ({ id: r.id, name: r.name ?? "" }));
}

const pickUserStatement = preparedQuery("pick_user", (db) =>
  firstAfterPivot(
    db,
    users,
    users.id,
    and(eq(users.city, P("city")), isNull(users.deactivatedAt)),
    P("pivot"),
  ),
);

/** The `id > random ORDER BY id LIMIT 1` pick of the reference workload, with its fallback. */
export async function pickUserId(tx: Tx, city: string, pivot: string): Promise<string | undefined> {
  const [row] = await pickUserStatement(tx).execute({ city, pivot });
  return row?.key as string | undefined;
}

const ownerFlagStatement = preparedQuery("owner_flag", (db) =>
  db
    .update(users)
    .set({ isOwner: sql`${P("isOwner")}` })
    .where(and(eq(users.city, P("city")), eq(users.id, P("id")))),
);

export async function setOwnerFlag(tx: Tx, city: string, id: string, isOwner: boolean): Promise<void> {
  await ownerFlagStatement(tx).execute({ city, id, isOwner });
}

/** Sets the flag from what the user still owns: true while any of their vehicles is on the platform. */
export async function refreshOwnerFlag(tx: Tx, city: string, id: string): Promise<boolean> {
  const [row] = await tx
    // INT8 on CockroachDB (and count() on PostgreSQL): a string from node-postgres.
    .select({ n: sql<number>`count(*)`.mapWith(Number) })
    .from(vehicles)
    .where(and(eq(vehicles.city, city), eq(vehicles.ownerId, id), ne(vehicles.status, "removed")));
  const isOwner = (row?.n ?? 0) > 0;
  await setOwnerFlag(tx, city, id, isOwner);
  return isOwner;
}

export async function markDeactivated(tx: Tx, city: string, id: string, at: Date): Promise<void> {
  await tx
    .update(users)
    .set({ deactivatedAt: at, isOwner: false })
    .where(and(eq(users.city, city), eq(users.id, id)));
}
