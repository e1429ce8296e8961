// The shell on a terminal (`movr sql`, `movr demo`): Ctrl-C drops the statement being typed and
// never quits, Ctrl-D quits, Ctrl-C during a statement cancels it on a server; on a script
// (piped input, -e) the first failed statement stops it and the command exits non-zero.
// The terminal is a stream that says it is a TTY: Node's readline then reads keys (Ctrl-C is
// "\x03", Ctrl-D "\x04", Enter "\r") exactly as from a real one.
import { PassThrough } from "node:stream";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "../../src/cli/program.ts";
import { openPgShell, type ShellConnection } from "../../src/cli/shell/connection.ts";
import { runShell } from "../../src/cli/shell/shell.ts";
import { openShellConnection, runSql } from "../../src/cli/sql.command.ts";
import { databaseConfigFor } from "../../src/config.ts";
import { createServerDatabase, dropServerDatabases, SERVER_URL } from "../support/databases.ts";
import { Capture, testIo } from "./support.ts";

afterAll(dropServerDatabases);

class FakeTerminal extends PassThrough {
  isTTY = true;
  setRawMode(): this {
    return this;
  }
}

async function until(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function terminal() {
  const stdin = new FakeTerminal();
  const stdout = new Capture();
  stdout.isTTY = true;
  const stderr = new Capture();
  return { stdin, stdout, stderr };
}

let embedded: Awaited<ReturnType<typeof openShellConnection>> | undefined;
afterAll(async () => {
  await embedded?.close();
});

/** The shell's databases: one embedded (opened once: PGlite is slow to start) and the server's. */
async function targets(): Promise<[string, () => Promise<ShellConnection>][]> {
  const out: [string, () => Promise<ShellConnection>][] = [
    [
      "pglite",
      async () => {
        embedded ??= await openShellConnection(databaseConfigFor("memory://", {}));
        return embedded.conn;
      },
    ],
  ];
  if (SERVER_URL) {
    const url = await createServerDatabase();
    out.push(["postgres", async () => openPgShell(url)]);
  }
  return out;
}

describe("the shell on a terminal", async () => {
  it.each(await targets())(
    "%s: Ctrl-C drops the line and the statement typed so far; Ctrl-D quits; errors do not end the session",
    async (_, open) => {
      const conn = await open();
      const io = terminal();
      const done = runShell(conn, io);
      const printed = () => io.stdout.text;
      await until("the prompt", () => printed().includes("movr> "));
      io.stdin.write("select 'dropped line' as a");
      io.stdin.write("\x03");
      io.stdin.write("select\r'dropped statement' as b");
      io.stdin.write("\x03");
      io.stdin.write("select nope;\rselect 'kept' as c;\r");
      await until("the result", () => printed().includes("(1 row)"));
      io.stdin.write("\x04");
      const summary = await done;
      expect(summary).toEqual({ statements: 2, errors: 1, stoppedOnError: false });
      expect(io.stderr.lines).toEqual(['ERROR: column "nope" does not exist (SQLSTATE 42703)']);
      expect(printed()).toMatch(/ c\s*\n-+\s*\n kept\s*\n\(1 row\)/);
      // Typed text is echoed; what ran is the statement after the Ctrl-Cs only.
      expect(printed()).not.toMatch(/^ (a|b|\?column\?)\s*$/m);
      if (conn !== embedded?.conn) await conn.close();
    },
  );

  if (SERVER_URL) {
    it("postgres: Ctrl-C during a statement cancels it and the session goes on", async () => {
      const url = await createServerDatabase();
      const io = terminal();
      const done = runSql(databaseConfigFor(url, {}), io);
      const admin = new pg.Client({ connectionString: url });
      await admin.connect();
      try {
        io.stdin.write("select pg_sleep(600);\r");
        await until("the statement to run", async () => {
          const r = await admin.query(
            "SELECT 1 FROM pg_stat_activity WHERE application_name = 'movr sql' AND state = 'active' AND query LIKE 'select pg_sleep%'",
          );
          return r.rowCount === 1;
        });
        io.stdin.write("\x03");
        await until("the cancellation", () => io.stderr.text.includes("57014"));
        io.stdin.write("select 'after' as e;\r");
        await until("the next result", () => io.stdout.text.includes("(1 row)"));
        io.stdin.write("\x04");
        expect(await done).toEqual({ statements: 2, errors: 1, stoppedOnError: false });
        expect(io.stderr.lines).toEqual(["ERROR: canceling statement due to user request (SQLSTATE 57014)"]);
      } finally {
        await admin.end();
      }
    });

    it("postgres: a session the server ends (FATAL 57P01 while idle) prints one line and ends the shell, exit 1", async () => {
      const url = await createServerDatabase();
      const io = terminal();
      const exit = runCli(["sql", "--url", url], { ...testIo(url), ...io });
      const admin = new pg.Client({ connectionString: url });
      await admin.connect();
      try {
        io.stdin.write("select 'before' as b;\r");
        await until("the first result", () => io.stdout.text.includes("(1 row)"));
        await admin.query(
          "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'movr sql' AND datname = current_database()",
        );
        await until("the backend to go", async () => {
          const r = await admin.query(
            "SELECT 1 FROM pg_stat_activity WHERE application_name = 'movr sql' AND datname = current_database()",
          );
          return r.rowCount === 0;
        });
        io.stdin.write("select 'after' as a;\r");
        io.stdin.write("select 'again' as c;\r");
        // Not "Client has encountered a connection error" once a statement, for ever: the
        // server's reason, once, and the shell is over.
        expect(await exit).toBe(1);
        expect(io.stderr.lines).toEqual([
          "ERROR: terminating connection due to administrator command (SQLSTATE 57P01); the session has ended",
        ]);
      } finally {
        await admin.end();
      }
    });
  }
});

describe("the shell on a script", async () => {
  it.each(await targets())("%s: the first failed statement stops the script", async (_, open) => {
    const conn = await open();
    for (const script of [
      "select 1 as one;\nselect 1/0;\nselect 'not run' as two;\n",
      "select 1 as one;\n\\frobnicate\nselect 'not run' as two;\n",
      "select 1 as one;\nselect 1/0; select 'not run' as two;",
    ]) {
      const io = testIo(undefined, script);
      expect(await runShell(conn, io)).toMatchObject({ errors: 1, stoppedOnError: true });
      expect(io.stderr.lines).toHaveLength(1);
      expect(io.stderr.text).toMatch(
        /^ERROR: (division by zero \(SQLSTATE 22012\)|unknown command \\frobnicate)/,
      );
      expect(io.stdout.text).toContain(" one");
      expect(io.stdout.text).not.toContain("two");
    }
    if (conn !== embedded?.conn) await conn.close();
  });

  const urls = [["pglite", "memory://"], ...(SERVER_URL ? [["postgres", SERVER_URL]] : [])];
  it.each(urls)(
    "%s: movr sql -e and piped scripts exit 1 on a failed statement, 0 otherwise",
    async (_, url) => {
      const execute = testIo(url);
      expect(await runCli(["sql", "--url", url, "-e", "select 1/0", "-e", "select 'not run'"], execute)).toBe(
        1,
      );
      expect(execute.stderr.lines).toEqual(["ERROR: division by zero (SQLSTATE 22012)"]);
      expect(execute.stdout.text).toBe("");
      if (url === "memory://") return; // one embedded start is enough
      const piped = testIo(url, "select 2 as two;\nselect nope;\n");
      expect(await runCli(["sql", "--url", url], piped)).toBe(1);
      const fine = testIo(url, "select 2 as two;\n");
      expect(await runCli(["sql", "--url", url], fine)).toBe(0);
      expect(fine.stderr.text).toBe("");
    },
  );
});
