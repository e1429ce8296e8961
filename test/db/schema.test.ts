// The Drizzle tables and the migrated schema must agree: migrations are hand-written (ADR 001).
import { getTableConfig } from "drizzle-orm/pg-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../src/db/database.ts";
import { openMigrated, TARGETS } from "../support/databases.ts";
import { DRIZZLE_TABLES } from "../support/tables.ts";

// information_schema spells types its own way.
const TYPE_NAMES: Record<string, string> = {
  uuid: "uuid",
  varchar: "character varying",
  timestamp: "timestamp without time zone",
  boolean: "boolean",
  jsonb: "jsonb",
  "numeric(10, 2)": "numeric",
  "double precision": "double precision",
  integer: "integer",
};

describe("Drizzle tables match the migrated schema", () => {
  const target = TARGETS[0]!;
  let database: Database;
  beforeAll(async () => {
    database = await openMigrated(target);
  });
  afterAll(async () => database?.close());

  it.each(DRIZZLE_TABLES.map((t) => [getTableConfig(t).name, t] as const))("%s", async (name, table) => {
    const config = getTableConfig(table);
    const actual = await database.query<{ column_name: string; data_type: string; is_nullable: string }>(
      "SELECT column_name, data_type, is_nullable FROM information_schema.columns WHERE table_name = $1 ORDER BY column_name",
      [name],
    );
    const expected = config.columns
      .map((c) => ({
        column_name: c.name,
        data_type: TYPE_NAMES[c.getSQLType()] ?? c.getSQLType(),
        is_nullable: c.notNull || c.primary ? "NO" : "YES",
      }))
      .sort((a, b) => a.column_name.localeCompare(b.column_name));
    expect(actual.rows).toEqual(expected);
  });
});
