// A data directory that cannot be used, in one sentence naming it and what to do: a file where
// the directory should be, or in its path, was Node's "EEXIST: file already exists, mkdir '...'"
// (a system call's words), and a five-letter errno passed for a SQLSTATE ("EPERM: operation not
// permitted, mkdir '/sys/x' (SQLSTATE EPERM)").
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { databaseConfigFor } from "../../src/config.ts";
import { openDatabase } from "../../src/db/database.ts";
import { sqlState } from "../../src/db/sql-errors.ts";
import { DatabaseUnavailableError } from "../../src/shared/errors.ts";
import { runMovr } from "../cli/support.ts";

const root = mkdtempSync(path.join(tmpdir(), "movr-data-dir-"));
const file = path.join(root, "a-file");
writeFileSync(file, "not a directory\n");

const openAt = (dataDir: string) => openDatabase({ ...databaseConfigFor(undefined, {}), dataDir });

describe("a data directory that cannot be used", () => {
  it.each([
    [file, "a file of that name is in the way (EEXIST)"],
    [path.join(file, "below"), "a part of the path is a file, not a directory (ENOTDIR)"],
  ])("%s: one sentence naming the directory, the problem and MOVR_DATA_DIR", async (dataDir, problem) => {
    const opened = openAt(dataDir);
    await expect(opened).rejects.toBeInstanceOf(DatabaseUnavailableError);
    await expect(opened).rejects.toThrow(
      `The embedded database's directory ${dataDir} cannot be used: ${problem}; set MOVR_DATA_DIR to a directory this user can write, or use a server with --url/DATABASE_URL.`,
    );
  });

  it("the real command line: one line, exit 1, no system call, no SQLSTATE", async () => {
    const r = await runMovr(["sql", "-e", "SELECT 1"], {
      MOVR_DATA_DIR: file,
      MOVR_EMBEDDED_SQL_PORT: "off",
    });
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/^movr: The embedded database's directory .* cannot be used: /);
    expect(r.stderr).not.toMatch(/SQLSTATE|mkdir/);
  });
});

describe("sqlState", () => {
  it.each(["EPERM", "EROFS", "EPIPE", "EBUSY", "EBADF"])("%s is an errno, not a SQLSTATE", (code) => {
    expect(sqlState(Object.assign(new Error("x"), { code }))).toBeUndefined();
  });

  it.each(["40001", "57P01", "0A000", "XX000", "HV000", "P0001", "F0000", "23505"])(
    "%s is a SQLSTATE",
    (code) => {
      expect(sqlState(Object.assign(new Error("x"), { code }))).toBe(code);
    },
  );
});
