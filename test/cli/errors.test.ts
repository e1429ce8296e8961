// Every command, given bad input, ends with one readable line and the README's exit code
// (2 misuse, 1 failure), never SQL text or a stack trace: no command, unknown commands and
// options, a bad environment value, an unreachable server, a database in the wrong state.
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "../../src/cli/program.ts";
import { createServerDatabase, dropServerDatabases, SERVER_URL } from "../support/databases.ts";
import { runMovr, testIo } from "./support.ts";

afterAll(dropServerDatabases);

const COMMANDS = ["migrate", "load", "run", "configure-multi-region", "demo", "sql"];
/** Commands that take --url. */
const URL_COMMANDS = COMMANDS.filter((c) => c !== "demo");
const UNREACHABLE = "postgresql://postgres@127.0.0.1:1/movr";

/** What must never reach a user's terminal. */
const LEAKS = [
  /Failed query/i,
  /\bINSERT\b/,
  /\bSELECT\b/,
  /\bUPDATE\b/,
  /\bDELETE\b/,
  /^\s+at /m,
  /\$\d\b/,
  /\bparams:/i,
];

function expectOneCleanLine(stderr: string, prefix = /^movr: /): void {
  const lines = stderr.split("\n").filter((l) => l.trim() !== "");
  expect(lines, stderr).toHaveLength(1);
  expect(lines[0]).toMatch(prefix);
  for (const leak of LEAKS) expect(stderr, `${leak} in ${stderr}`).not.toMatch(leak);
}

async function expectCli(args: string[], code: number, message: RegExp, input = ""): Promise<void> {
  const io = testIo(undefined, input);
  expect(await runCli(args, io), `movr ${args.join(" ")}: ${io.stderr.text}`).toBe(code);
  expectOneCleanLine(io.stderr.text, /^(movr|ERROR): /);
  expect(io.stderr.text).toMatch(message);
}

describe("misuse: one line, exit 2", () => {
  it("no command, and help for an unknown command", async () => {
    await expectCli(
      [],
      2,
      /^movr: a command is required: migrate, load, run, configure-multi-region, demo, sql/,
    );
    await expectCli(["help", "lod"], 2, /^movr: unknown command 'lod'; the commands are migrate, load/);
    await expectCli(["lod"], 2, /unknown command 'lod' \(Did you mean load\?\)/);
  });

  it.each(COMMANDS)("movr %s with an unknown option or a stray argument", async (command) => {
    await expectCli(
      [command, "--frobnicate"],
      2,
      /^movr: unknown option '--frobnicate' \(see movr --help\)$/m,
    );
    await expectCli([command, "stray"], 2, new RegExp(`^movr: too many arguments for '${command}'`));
  });

  it("the real command line: `movr` alone exits 2 with one line", async () => {
    const r = await runMovr([]);
    expect(r.code).toBe(2);
    expectOneCleanLine(r.stderr);
    expect(r.stdout).toBe("");
  });

  it("a bad environment value: one line naming the variable, exit 2, for every command (real command line)", async () => {
    const runs = await Promise.all(
      [...COMMANDS.map((c) => [c]), ["load", "--url", "memory://"], []].map(async (args) => ({
        args,
        result: await runMovr(args, { LOG_LEVEL: "verbose", DB_POOL_MAX: "lots" }),
      })),
    );
    for (const { args, result } of runs) {
      expect(result.code, `movr ${args.join(" ")}: ${result.stderr}`).toBe(2);
      expectOneCleanLine(result.stderr);
      expect(result.stderr).toMatch(/^movr: Invalid configuration: .*LOG_LEVEL: .*DB_POOL_MAX: /);
      expect(result.stdout).toBe("");
    }
  });
});

describe("failures: one line, exit 1, no SQL", () => {
  it.each(URL_COMMANDS)("movr %s on an unreachable server", async (command) => {
    const args = [command, "--url", UNREACHABLE, ...(command === "sql" ? ["-e", "select 1"] : [])];
    await expectCli(args, 1, /^movr: Cannot reach the database at 127\.0\.0\.1:1: connection refused/);
  });

  if (SERVER_URL) {
    it("commands on a database without the movr tables, or not CockroachDB, or a failing statement", async () => {
      const url = await createServerDatabase();
      await expectCli(
        ["load", "--url", url, "--skip-init"],
        1,
        /^movr: The movr tables are missing in PostgreSQL at .*; run "movr load" without --skip-init \(or "movr migrate"\) first\.$/m,
      );
      await expectCli(["run", "--url", url, "--duration", "1s"], 1, /^movr: The movr tables are missing/);
      await expectCli(
        ["configure-multi-region", "--url", url],
        1,
        /^movr: configure-multi-region needs CockroachDB/,
      );
      await expectCli(
        ["sql", "--url", url, "-e", "select nope from users"],
        1,
        /^ERROR: relation "users" does not exist/,
      );
      await expectCli(
        ["sql", "--url", url],
        1,
        /^ERROR: division by zero \(SQLSTATE 22012\)$/m,
        "select 1/0;\n",
      );
    });
  }
});
