// The SQL shell of `movr sql` and `movr demo`: statements end with `;` and may span lines;
// results print as aligned tables; an error prints one line and the shell goes on; `\q` quits.
// Works the same with a terminal or with statements piped in.
import { createInterface } from "node:readline";
import { writeLine, type InStream, type OutStream } from "../io.ts";
import { describeFailure } from "../errors.ts";
import { isConnectionError } from "../../db/sql-errors.ts";
import { showCreateTable, showTables } from "./catalog.repository.ts";
import type { ShellConnection, ShellResult } from "./connection.ts";
import { renderResult } from "./render.ts";
import { splitStatements, stripComments } from "./split.ts";

export interface ShellIo {
  stdin: InStream;
  stdout: OutStream;
  stderr: OutStream;
}

export interface ShellSummary {
  statements: number;
  errors: number;
  /**
   * True when a statement failed while reading a script (piped stdin or `-e`): the shell stopped
   * there, as psql does with ON_ERROR_STOP, and the command exits non-zero. Also when the session
   * was lost (the server ended it), on a terminal too.
   */
  stoppedOnError: boolean;
}

const HELP = [
  "Statements end with a semicolon and may span several lines.",
  "  SHOW TABLES;                  the tables",
  "  SHOW CREATE TABLE <table>;    a table's DDL",
  "  \\dt  \\d <table>               the same, psql style",
  "  \\q                            quit (also: quit, exit, Ctrl-D)",
];

/** Runs one statement, answering SHOW TABLES / SHOW CREATE TABLE ourselves where the engine cannot. */
export async function execute(conn: ShellConnection, sql: string): Promise<ShellResult> {
  const text = stripComments(sql);
  if (conn.dialect !== "cockroachdb") {
    if (/^show\s+tables$/i.test(text)) return showTables(conn);
    const m = /^show\s+create\s+(?:table\s+)?(.+)$/i.exec(text);
    if (m?.[1]) return showCreateTable(conn, m[1].trim());
  }
  return conn.run(sql);
}

/** A backslash command at the start of a statement: its SQL, "quit", "help", or undefined. */
function meta(line: string): { sql?: string; quit?: true; help?: true; unknown?: string } | undefined {
  const t = line.trim();
  if (/^(\\q|quit|exit)\s*;?$/i.test(t)) return { quit: true };
  if (!t.startsWith("\\")) return undefined;
  if (/^\\(\?|h|help)$/.test(t)) return { help: true };
  if (/^\\dt\+?$/.test(t)) return { sql: "SHOW TABLES" };
  const d = /^\\d\+?\s+(\S+)$/.exec(t);
  if (d?.[1]) return { sql: `SHOW CREATE TABLE ${d[1]}` };
  return { unknown: t };
}

/**
 * The read-eval-print loop. On a terminal: a prompt, errors do not end the session, Ctrl-C drops
 * the statement being typed (or cancels the running one), Ctrl-D on an empty line quits. On
 * piped input or `-e`: no prompt, and the first failed statement stops the script
 * (`stoppedOnError`), as `psql -v ON_ERROR_STOP=1` does.
 */
export async function runShell(conn: ShellConnection, io: ShellIo): Promise<ShellSummary> {
  const interactive = Boolean(io.stdin.isTTY && io.stdout.isTTY);
  const rl = createInterface({
    input: io.stdin,
    output: interactive ? io.stdout : undefined,
    terminal: interactive,
  });
  const summary: ShellSummary = { statements: 0, errors: 0, stoppedOnError: false };
  // Lines are taken as they arrive (so a Ctrl-C applies to exactly what was typed before it);
  // complete statements and commands wait in `queue` for the one statement running at a time.
  type Item = { sql: string } | { quit: true } | { help: true } | { unknown: string };
  const queue: Item[] = [];
  let buffer = "";
  let running = false;
  let closed = false;
  let wake: (() => void) | undefined;
  let sessionLost = false;
  const prompt = () => {
    if (!interactive || closed) return;
    rl.setPrompt(buffer.trim() === "" ? "movr> " : "   -> ");
    rl.prompt();
  };
  rl.on("line", (line) => {
    const m = buffer.trim() === "" ? meta(line) : undefined;
    if (m) {
      queue.push(
        m.quit ? { quit: true } : m.help ? { help: true } : m.sql ? { sql: m.sql } : { unknown: m.unknown! },
      );
    } else {
      buffer += `${line}\n`;
      const { statements, rest } = splitStatements(buffer);
      buffer = rest.trim() === "" ? "" : rest;
      for (const sql of statements) queue.push({ sql });
    }
    if (queue.length === 0 && !running) prompt();
    wake?.();
  });
  rl.on("close", () => {
    closed = true;
    // Piped input may end without a final semicolon: run what is left, as psql does. (Ctrl-D on
    // a terminal quits without running a half-typed statement.)
    if (!interactive && stripComments(buffer) !== "") queue.push({ sql: buffer.trim() });
    buffer = "";
    wake?.();
  });
  rl.on("SIGINT", () => {
    if (running) {
      // Ctrl-C during a statement: ask the server to cancel it; the statement's own error
      // (57014, canceling statement due to user request) follows, and the session goes on.
      if (conn.cancel) void conn.cancel();
      else writeLine(io.stderr, "The embedded database cannot cancel a running statement; it goes on.");
      return;
    }
    // Ctrl-C while typing drops the line and the statement typed so far, as psql does; it
    // never quits (Ctrl-D or \q do).
    rl.write(null, { ctrl: true, name: "e" });
    rl.write(null, { ctrl: true, name: "u" });
    buffer = "";
    writeLine(io.stdout, "^C");
    prompt();
  });
  /** Runs one statement; false when the session must stop (a failed statement of a script). */
  const runOne = async (sql: string): Promise<boolean> => {
    summary.statements++;
    running = true;
    try {
      const result = await execute(conn, sql);
      for (const line of renderResult(sql, result)) writeLine(io.stdout, line);
      if (result.fields.length > 0) writeLine(io.stdout);
      return true;
    } catch (err) {
      summary.errors++;
      // A session the server ended (FATAL, 57P0x, a lost connection) answers nothing more, on a
      // terminal either: one line, and the shell ends as a failed script does.
      if (isConnectionError(err)) {
        writeLine(io.stderr, `ERROR: ${describeFailure(err).message}; the session has ended`);
        sessionLost = true;
        return false;
      }
      writeLine(io.stderr, `ERROR: ${describeFailure(err).message}`);
      return interactive;
    } finally {
      running = false;
    }
  };
  /** One queued item; false when the session ends. */
  const handle = async (item: Item): Promise<boolean> => {
    if ("quit" in item) return false;
    if ("help" in item) {
      for (const h of HELP) writeLine(io.stdout, h);
      return true;
    }
    if ("unknown" in item) {
      summary.errors++;
      writeLine(io.stderr, `ERROR: unknown command ${item.unknown} (\\? lists the commands)`);
      return interactive;
    }
    return runOne(item.sql);
  };

  prompt();
  for (;;) {
    const item = queue.shift();
    if (item === undefined) {
      if (closed) break;
      await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
      continue;
    }
    if (!(await handle(item))) {
      summary.stoppedOnError = (summary.errors > 0 && !interactive) || sessionLost;
      break;
    }
    if (queue.length === 0) prompt();
  }
  closed = true;
  rl.close();
  return summary;
}
