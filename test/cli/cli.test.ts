// The real command line, spawned as a user runs it: exit codes, one-line errors, the
// configuration it reads, JSON output and Ctrl-C.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "../../src/cli/program.ts";
import { loadMigrations } from "../../src/db/migrate.ts";
import { createServerDatabase, dropServerDatabases, SERVER_URL } from "../support/databases.ts";
import { runMovr, testIo } from "./support.ts";

afterAll(dropServerDatabases);

/** One readable line on stderr: no stack trace, no second line. */
function expectOneLine(stderr: string): void {
  const lines = stderr.split("\n").filter((l) => l.trim() !== "");
  expect(lines, stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^movr: /);
  expect(stderr).not.toMatch(/\n\s+at /);
}

describe("movr errors", () => {
  const cases: { args: string[]; code: number; message: RegExp }[] = [
    {
      args: ["load", "--num-users", "many"],
      code: 2,
      message: /argument 'many' is invalid\. expected a whole number/,
    },
    { args: ["lod"], code: 2, message: /unknown command 'lod' \(Did you mean load\?\)/ },
    {
      args: ["run", "--city", "gotham", "--url", "memory://"],
      code: 2,
      message: /"gotham" is not a MovR city; the cities are new york, /,
    },
    { args: ["run", "--display-format", "xml"], code: 2, message: /Allowed choices are text, json/ },
    { args: ["run", "--duration", "soon"], code: 2, message: /expected a duration such as 30s, 5m or 1h30m/ },
    {
      args: [
        "sql",
        "--url",
        "postgresql://u@db.example/movr?sslmode=verify-full&sslrootcert=/nonexistent/ca.crt",
      ],
      code: 1,
      message: /^movr: The sslrootcert file "\/nonexistent\/ca\.crt" does not exist$/m,
    },
    { args: ["sql", "--url", "mysql://h/db"], code: 1, message: /^movr: Unsupported database URL scheme/ },
    {
      args: ["run", "--follower-reads", "--url", "memory://"],
      code: 1,
      message:
        /^movr: --follower-reads needs CockroachDB .*embedded PGlite \(in memory\) has no follower reads\.$/m,
    },
  ];

  it.each(cases)("movr $args.0 ... exits $code with one line (in-process)", async (c) => {
    const io = testIo();
    expect(await runCli(c.args, io)).toBe(c.code);
    expectOneLine(io.stderr.text);
    expect(io.stderr.text).toMatch(c.message);
    expect(io.stdout.text).toBe("");
  });

  it("the real command line: exit code 2 for a bad flag, 1 for an unreachable database, one line each", async () => {
    const [bad, unreachable] = await Promise.all([
      runMovr(["run", "--frobnicate"]),
      runMovr(["load", "--url", "postgresql://postgres@127.0.0.1:1/movr"]),
    ]);
    expect(bad.code).toBe(2);
    expectOneLine(bad.stderr);
    expect(bad.stderr).toBe("movr: unknown option '--frobnicate' (see movr --help)\n");
    expect(unreachable.code).toBe(1);
    expectOneLine(unreachable.stderr);
    expect(unreachable.stderr).toBe(
      "movr: Cannot reach the database at 127.0.0.1:1: connection refused (is the server running?)\n",
    );
  });

  it("--help lists the commands and exits 0", async () => {
    const r = await runMovr(["--help"]);
    expect(r.code).toBe(0);
    for (const command of ["migrate", "load", "run", "configure-multi-region", "demo", "sql"]) {
      expect(r.stdout).toMatch(new RegExp(`^  ${command} `, "m"));
    }
  });

  it("uses the embedded database in MOVR_DATA_DIR when neither --url nor DATABASE_URL is given", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "movr-cli-"));
    const r = await runMovr(["migrate"], { MOVR_DATA_DIR: dir });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const applied = loadMigrations().map((m) => `${String(m.version).padStart(4, "0")}_${m.name}`);
    expect(applied.slice(0, 2)).toEqual(["0001_movr_tables", "0002_accounts_and_invariants"]);
    expect(r.stdout).toBe(`Applied ${applied.join(", ")} on embedded PGlite (${dir}).\n`);
  }, 180_000); // a fresh PGlite (initdb) is slow on a busy machine
});

if (SERVER_URL) {
  describe("movr against the PostgreSQL server", () => {
    it("load then run from DATABASE_URL; run --display-format json prints one object per row", async () => {
      const url = await createServerDatabase();
      const load = await runMovr(["load", "--city", "boston", "--city", "rome", "--seed", "9"], {
        DATABASE_URL: url,
      });
      expect(load.stderr).toBe("");
      expect(load.code).toBe(0);
      expect(load.stdout).toMatch(
        /^Loaded 2,565 rows into PostgreSQL at 127\.0\.0\.1:5432 over 2 cities in /m,
      );

      const empty = await runMovr(["run", "--duration", "1s", "--url", await createServerDatabase()]);
      expect(empty.code).toBe(1);
      expectOneLine(empty.stderr);
      expect(empty.stderr).toMatch(
        /The movr tables are missing in PostgreSQL at 127\.0\.0\.1:5432; run "movr load" first\./,
      );

      const run = await runMovr(
        ["run", "--duration", "2s", "--display-format", "json", "--city", "rome", "--concurrency", "2"],
        {
          DATABASE_URL: url,
        },
      );
      expect(run.code).toBe(0);
      const rows = run.stdout
        .trim()
        .split("\n")
        .map(
          (l) =>
            JSON.parse(l) as {
              type: string;
              op?: string;
              opsPerSecInst?: number;
              transactions?: { committed: number };
            },
        );
      expect(
        rows.some((r) => r.type === "tick" && r.op === "readVehicles" && typeof r.opsPerSecInst === "number"),
      ).toBe(true);
      expect(rows.at(-1)!.type).toBe("result");
      expect(rows.at(-1)!.transactions!.committed).toBeGreaterThan(0);
      expect(run.stderr).toMatch(
        /^Running the movr workload on PostgreSQL at 127\.0\.0\.1:5432: 2 workers, 95% reads, 1 city, for 2s\.$/m,
      );
    });
  });
}
