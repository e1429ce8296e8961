// Migrations: versioned, recorded, idempotent, and able to upgrade a database that
// `cockroach workload init movr` made (the bare six tables) without losing a row.
import { afterAll, describe, expect, it } from "vitest";
import { loadMigrations, migrate, splitStatements } from "../../src/db/migrate.ts";
import { dropServerDatabases, MOVR_TABLES, TARGETS, testContext } from "../support/databases.ts";
import { startRide } from "../../src/rides/ride.service.ts";
import { DomainError } from "../../src/shared/errors.ts";

afterAll(dropServerDatabases);

/** The workload's schema (PostgreSQL spelling) with a few rows, as a test fixture. */
const BARE_WORKLOAD_SCHEMA = `
CREATE TABLE users (id UUID NOT NULL, city VARCHAR NOT NULL, name VARCHAR NULL, address VARCHAR NULL,
  credit_card VARCHAR NULL, CONSTRAINT "primary" PRIMARY KEY (city, id));
CREATE TABLE vehicles (id UUID NOT NULL, city VARCHAR NOT NULL, type VARCHAR NULL, owner_id UUID NULL,
  creation_time TIMESTAMP NULL, status VARCHAR NULL, current_location VARCHAR NULL, ext JSONB NULL,
  CONSTRAINT vehicles_primary PRIMARY KEY (city, id),
  CONSTRAINT fk_city_ref_users FOREIGN KEY (city, owner_id) REFERENCES users (city, id));
CREATE INDEX vehicles_auto_index_fk_city_ref_users ON vehicles (city, owner_id);
CREATE TABLE rides (id UUID NOT NULL, city VARCHAR NOT NULL, vehicle_city VARCHAR NULL, rider_id UUID NULL,
  vehicle_id UUID NULL, start_address VARCHAR NULL, end_address VARCHAR NULL, start_time TIMESTAMP NULL,
  end_time TIMESTAMP NULL, revenue DECIMAL(10,2) NULL, CONSTRAINT rides_primary PRIMARY KEY (city, id),
  CONSTRAINT fk_city_ref_users FOREIGN KEY (city, rider_id) REFERENCES users (city, id),
  CONSTRAINT fk_vehicle_city_ref_vehicles FOREIGN KEY (vehicle_city, vehicle_id) REFERENCES vehicles (city, id),
  CONSTRAINT check_vehicle_city_city CHECK (vehicle_city = city));
CREATE INDEX rides_auto_index_fk_city_ref_users ON rides (city, rider_id);
CREATE INDEX rides_auto_index_fk_vehicle_city_ref_vehicles ON rides (vehicle_city, vehicle_id);
CREATE TABLE vehicle_location_histories (city VARCHAR NOT NULL, ride_id UUID NOT NULL, "timestamp" TIMESTAMP NOT NULL,
  lat FLOAT8 NULL, long FLOAT8 NULL, CONSTRAINT vlh_primary PRIMARY KEY (city, ride_id, "timestamp"),
  CONSTRAINT fk_city_ref_rides FOREIGN KEY (city, ride_id) REFERENCES rides (city, id));
CREATE TABLE promo_codes (code VARCHAR NOT NULL, description VARCHAR NULL, creation_time TIMESTAMP NULL,
  expiration_time TIMESTAMP NULL, rules JSONB NULL, CONSTRAINT promo_primary PRIMARY KEY (code));
CREATE TABLE user_promo_codes (city VARCHAR NOT NULL, user_id UUID NOT NULL, code VARCHAR NOT NULL,
  "timestamp" TIMESTAMP NULL, usage_count INT NULL, CONSTRAINT upc_primary PRIMARY KEY (city, user_id, code),
  CONSTRAINT fk_city_ref_users FOREIGN KEY (city, user_id) REFERENCES users (city, id));
INSERT INTO users VALUES
  ('11111111-1111-4111-8111-111111111111', 'boston', 'Owner One', '1 Main St', '4111111111111111'),
  ('22222222-2222-4222-8222-222222222222', 'boston', 'Rider Two', '2 Main St', NULL);
INSERT INTO vehicles VALUES
  ('33333333-3333-4333-8333-333333333333', 'boston', 'bike', '11111111-1111-4111-8111-111111111111',
   '2019-01-02 03:04:05', 'available', '1 Main St', '{"color": "red", "brand": "Kona"}');
INSERT INTO rides VALUES
  ('44444444-4444-4444-8444-444444444444', 'boston', 'boston', '22222222-2222-4222-8222-222222222222',
   '33333333-3333-4333-8333-333333333333', '1 Main St', '5 Elm St', '2019-01-02 04:00:00', '2019-01-02 04:20:00', 12.50);
INSERT INTO vehicle_location_histories VALUES
  ('boston', '44444444-4444-4444-8444-444444444444', '2019-01-02 04:05:00', 42.36, -71.06);
INSERT INTO promo_codes VALUES ('WELCOME', 'Welcome', '2019-01-01', '2030-01-01', '{"type": "percent_discount", "value": "10%"}');
INSERT INTO user_promo_codes VALUES ('boston', '22222222-2222-4222-8222-222222222222', 'WELCOME', '2019-01-02', 3);
`;

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
      await expect(database.exec("UPDATE vehicles SET status = 'flying'")).rejects.toMatchObject({
        code: "23514",
      });
      expect((await migrate(database)).applied).toEqual([]);
    } finally {
      await database.close();
    }
  });
});
