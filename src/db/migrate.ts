// Our own small migrator: versioned SQL files, each statement run on its own (CockroachDB runs
// schema changes best outside explicit transactions), recorded in a ledger so a rerun does nothing.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { PROJECT_ROOT } from "../config.ts";
import type { Database, SqlSession } from "./database.ts";
import { LEASE_VERSION, LEDGER, withMigrationLock, type MigrationLockOptions } from "./migration-lock.ts";
import { sqlState } from "./sql-errors.ts";

export const MIGRATIONS_DIR = path.join(PROJECT_ROOT, "migrations");

export interface Migration {
  version: number;
  name: string;
  /**
   * Data repairs that must run right before this migration's statements, and only when this
   * migration is being applied (`migrations/repairs/NNNN_<name>.sql`, NNNN = this version). They
   * let an old migration succeed on data it was not written for without editing its file: a
   * database that applied it already never runs them. Each must be safe to run twice.
   */
  repairs: string[];
  statements: string[];
}

/** Statements end with a semicolon at the end of a line; `--` comment lines are dropped. */
export function splitStatements(text: string): string[] {
  const statements: string[] = [];
  let current: string[] = [];
  for (const line of text.split("\n")) {
    if (/^\s*--/.test(line) || (current.length === 0 && line.trim() === "")) continue;
    current.push(line);
    if (/;\s*$/.test(line)) {
      statements.push(current.join("\n").trim().replace(/;$/, ""));
      current = [];
    }
  }
  if (current.join("").trim()) statements.push(current.join("\n").trim());
  return statements;
}

const MIGRATION_FILE = /^\d{4}_[a-z0-9_]+\.sql$/;

/** The migrations of `dir` in version order, each with the repairs of `dir/repairs` that precede it. */
export function loadMigrations(dir: string = MIGRATIONS_DIR): Migration[] {
  const repairsDir = path.join(dir, "repairs");
  const repairFiles = existsSync(repairsDir)
    ? readdirSync(repairsDir)
        .filter((f) => MIGRATION_FILE.test(f))
        .sort()
    : [];
  return readdirSync(dir)
    .filter((f) => MIGRATION_FILE.test(f))
    .sort()
    .map((file) => {
      const version = Number(file.slice(0, 4));
      return {
        version,
        name: file.slice(5, -4),
        repairs: repairFiles
          .filter((r) => Number(r.slice(0, 4)) === version)
          .flatMap((r) => splitStatements(readFileSync(path.join(repairsDir, r), "utf8"))),
        statements: splitStatements(readFileSync(path.join(dir, file), "utf8")),
      };
    });
}

// "Already exists": a statement that ran before a crash, before the migration was recorded.
const ALREADY_DONE = new Set(["42710", "42P07", "42701"]);

export interface MigrationResult {
  applied: string[];
  alreadyApplied: number;
}

/**
 * Applies the migrations not in the ledger yet, in order. Safe to call from several processes at
 * once: they take turns (see migration-lock.ts), and whoever comes second finds nothing to do.
 */
export async function migrate(
  database: Database,
  migrations = loadMigrations(),
  lock: MigrationLockOptions = {},
): Promise<MigrationResult> {
  return withMigrationLock(database, (session) => applyPending(session, migrations), lock);
}

async function applyPending(database: SqlSession, migrations: Migration[]): Promise<MigrationResult> {
  const done = new Set(
    (
      await database.query<{ version: number }>(
        `SELECT version FROM ${LEDGER} WHERE version <> ${LEASE_VERSION}`,
      )
    ).rows.map((r) => Number(r.version)),
  );
  const applied: string[] = [];
  for (const m of migrations) {
    if (done.has(m.version)) continue;
    for (const statement of [...m.repairs, ...m.statements]) {
      try {
        await database.exec(statement);
      } catch (err) {
        if (!ALREADY_DONE.has(sqlState(err) ?? "")) {
          const first = statement.split("\n")[0];
          throw new Error(
            `Migration ${m.version} (${m.name}) failed at "${first}": ${(err as Error).message}`,
            {
              cause: err,
            },
          );
        }
      }
    }
    await database.query(`INSERT INTO ${LEDGER} (version, name) VALUES ($1, $2) ON CONFLICT DO NOTHING`, [
      m.version,
      m.name,
    ]);
    applied.push(`${String(m.version).padStart(4, "0")}_${m.name}`);
  }
  return { applied, alreadyApplied: done.size };
}
