// Under REGIONAL BY ROW a row's region is computed from its city column (ADR 005). A unique index
// that does not contain that column is checked in every region on each write, so none may exist
// on a city-scoped table, except the one recorded as accepted in ADR 005.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { login, register, authenticate, sessionKeyOf } from "../../src/auth/auth.service.ts";
import type { Database } from "../../src/db/database.ts";
import { REGIONAL_BY_ROW_TABLES } from "../../src/workload/multi-region.sql.ts";
import { openMigrated, TARGETS, testContext } from "../support/databases.ts";

/** Registering checks the username in every region: rare, and accepted in ADR 005. */
const ACCEPTED = ["users_username_key"];

describe.each(TARGETS)("unique keys of city-scoped tables on $name", (target) => {
  let database: Database;
  beforeAll(async () => {
    database = await openMigrated(target);
  });
  afterAll(async () => database?.close());

  it("every unique index contains the column the region is computed from", async () => {
    const { rows } = await database.query<{ table: string; index: string; columns: string[] }>(
      `SELECT t.relname AS table, i.relname AS index,
              array(SELECT a.attname::text FROM unnest(x.indkey) WITH ORDINALITY AS k(attnum, n) JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum ORDER BY k.n)::text[] AS columns
       FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
       JOIN pg_namespace n ON n.oid = t.relnamespace
       WHERE x.indisunique AND n.nspname = 'public' ORDER BY 1, 2`,
    );
    const offenders = rows.filter((r) => {
      const scoped = REGIONAL_BY_ROW_TABLES.find((t) => t.table === r.table);
      return scoped && !r.columns.includes(scoped.cityColumn) && !ACCEPTED.includes(r.index);
    });
    expect(offenders).toEqual([]);
    expect(rows.find((r) => r.index === "sessions_pkey")?.columns).toEqual(["user_city", "token_hash"]);
    expect(rows.find((r) => r.index === "rides_one_active_per_city_vehicle")?.columns).toEqual([
      "city",
      "vehicle_id",
    ]);
    expect(rows.some((r) => r.index === "rides_one_active_per_vehicle")).toBe(false);
  });

  it("a session token names its home city; a token with another city finds nothing", async () => {
    const ctx = testContext(database);
    await register(ctx, {
      city: "paris",
      name: "Key Test",
      username: `keys-${target.name}`,
      email: "k@example.com",
      password: "a long password",
    });
    const { token, user } = await login(ctx, {
      username: `keys-${target.name}`,
      password: "a long password",
    });
    expect(sessionKeyOf(token)?.userCity).toBe("paris");
    expect((await authenticate(ctx, token))?.id).toBe(user.id);
    const [, secret] = token.split(".");
    const moved = `${Buffer.from("rome").toString("base64url")}.${secret}`;
    expect(await authenticate(ctx, moved)).toBeUndefined();
    expect(await authenticate(ctx, secret!)).toBeUndefined(); // the old, city-less form
  });
});
