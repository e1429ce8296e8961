// Migrations: versioned, recorded, idempotent, and able to upgrade a database that
// `cockroach workload init movr` made (the bare six tables) without losing a row.
import { afterAll, describe, expect, it } from "vitest";
import { loadMigrations, migrate, splitStatements } from "../../src/db/migrate.ts";
import { dropServerDatabases, MOVR_TABLES, TARGETS, testContext } from "../support/databases.ts";
import { BARE_WORKLOAD_SCHEMA } from "../support/workload-fixture.ts";
import { startRide } from "../../src/rides/ride.service.ts";
import { applyPromoCode, createPromoCode } from "../../src/promo-codes/promo-code.service.ts";
import { DomainError } from "../../src/shared/errors.ts";

afterAll(dropServerDatabases);

describe("splitStatements", () => {
  it("splits at semicolons ending a line and drops comment lines", () => {
    expect(
      splitStatements("-- note\nCREATE TABLE a (x INT);\n\nALTER TABLE a\n  ADD COLUMN y INT;\n"),
    ).toEqual(["CREATE TABLE a (x INT)", "ALTER TABLE a\n  ADD COLUMN y INT"]);
  });
  it("finds the migrations in order, each with statements", () => {
    const ms = loadMigrations();
    expect(ms.map((m) => m.version)).toEqual([...ms.map((m) => m.version)].sort((a, b) => a - b));
    expect(ms.length).toBeGreaterThanOrEqual(2);
    for (const m of ms) expect(m.statements.length).toBeGreaterThan(0);
  });
  it("attaches migrations/repairs/NNNN_*.sql to migration NNNN, ahead of its own statements", () => {
    const ms = loadMigrations();
    expect(ms.filter((m) => m.repairs.length > 0).map((m) => m.version)).toEqual([2]);
    expect(ms.find((m) => m.version === 2)!.repairs.every((s) => s.startsWith("UPDATE rides"))).toBe(true);
  });
});

describe.each(TARGETS)("migrations on $name", (target) => {
  it("create the schema once; a second run does nothing", async () => {
    const database = await target.open();
    try {
      const first = await migrate(database);
      expect(first.applied.length).toBe(loadMigrations().length);
      const second = await migrate(database);
      expect(second.applied).toEqual([]);
      const tables = await database.query<{ table_name: string }>(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name",
      );
      expect(tables.rows.map((r) => r.table_name)).toEqual(
        [...MOVR_TABLES, "sessions", "movr_schema_migrations"].sort(),
      );
    } finally {
      await database.close();
    }
  });

  it("upgrade a database made by `cockroach workload init movr` in place, losing nothing", async () => {
    const database = await target.open();
    try {
      for (const statement of splitStatements(BARE_WORKLOAD_SCHEMA)) await database.exec(statement);
      const snapshot = async () => {
        const out: Record<string, unknown[]> = {};
        for (const t of MOVR_TABLES) {
          const rows = await database.query<{ row: unknown }>(
            `SELECT to_jsonb(t) - 'is_owner' - 'username' - 'email' - 'password_hash' - 'deactivated_at' - 'times_applied' AS row FROM ${t} t`,
          );
          out[t] = rows.rows.map((r) => JSON.stringify(r.row)).sort();
        }
        return out;
      };
      const before = await snapshot();
      await migrate(database);
      expect(await snapshot()).toEqual(before);
      const owner = await database.query<{ is_owner: boolean; username: string | null }>(
        "SELECT is_owner, username FROM users WHERE name = 'Owner One'",
      );
      expect(owner.rows[0]).toEqual({ is_owner: true, username: null });
      // The new invariants hold on the upgraded tables.
      const ctx = testContext(database);
      await startRide(ctx, {
        city: "boston",
        vehicleId: "33333333-3333-4333-8333-333333333333",
        riderId: "22222222-2222-4222-8222-222222222222",
      });
      const err = await startRide(ctx, {
        city: "boston",
        vehicleId: "33333333-3333-4333-8333-333333333333",
        riderId: "11111111-1111-4111-8111-111111111111",
      }).catch((e: unknown) => e);
      expect((err as DomainError).code).toBe("vehicle_unavailable");
      // The workload's keys have other names (older CockroachDB: "primary"): conflicts are still known.
      const applyAgain = await applyPromoCode(ctx, {
        city: "boston",
        userId: "22222222-2222-4222-8222-222222222222",
        code: "WELCOME",
      }).catch((e: unknown) => e);
      expect((applyAgain as DomainError).code).toBe("promo_code_already_applied");
      const createAgain = await createPromoCode(ctx, { code: "WELCOME", discountPercent: 5 }).catch(
        (e: unknown) => e,
      );
      expect((createAgain as DomainError).code).toBe("promo_code_exists");
      await expect(database.exec("UPDATE vehicles SET status = 'flying'")).rejects.toMatchObject({
        code: "23514",
      });
      expect((await migrate(database)).applied).toEqual([]);
    } finally {
      await database.close();
    }
  });
});
