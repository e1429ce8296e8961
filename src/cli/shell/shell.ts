// The SQL shell of `movr sql` and `movr demo`: statements end with `;` and may span lines;
// results print as aligned tables; an error prints one line and the shell goes on; `\q` quits.
// Works the same with a terminal or with statements piped in.
import { createInterface } from "node:readline";
import { writeLine, type InStream, type OutStream } from "../io.ts";
import { describeFailure } from "../errors.ts";
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

export async function runShell(conn: ShellConnection, io: ShellIo): Promise<ShellSummary> {
  const interactive = Boolean(io.stdin.isTTY && io.stdout.isTTY);
  const rl = createInterface({
    input: io.stdin,
    output: interactive ? io.stdout : undefined,
    terminal: interactive,
  });
  const summary: ShellSummary = { statements: 0, errors: 0 };
  let buffer = "";
  const prompt = () => {
    if (!interactive) return;
    rl.setPrompt(buffer.trim() === "" ? "movr> " : "   -> ");
    rl.prompt();
  };
  rl.on("SIGINT", () => {
    // Ctrl-C drops the statement being typed; on an empty line it quits.
    if (buffer.trim() === "") {
      rl.close();
      return;
    }
    buffer = "";
    writeLine(io.stdout);
    prompt();
  });
  const runOne = async (sql: string) => {
    summary.statements++;
    try {
      const result = await execute(conn, sql);
      for (const line of renderResult(sql, result)) writeLine(io.stdout, line);
      if (result.fields.length > 0) writeLine(io.stdout);
    } catch (err) {
      summary.errors++;
      writeLine(io.stderr, `ERROR: ${describeFailure(err).message}`);
    }
  };

  prompt();
  let quit = false;
  for await (const line of rl) {
    if (buffer.trim() === "") {
      const m = meta(line);
      if (m?.quit) {
        quit = true;
        break;
      }
      if (m?.help) for (const h of HELP) writeLine(io.stdout, h);
      if (m?.unknown) writeLine(io.stderr, `ERROR: unknown command ${m.unknown} (\\? lists the commands)`);
      if (m?.sql) await runOne(m.sql);
      if (m) {
        prompt();
        continue;
      }
    }
    buffer += `${line}\n`;
    const { statements, rest } = splitStatements(buffer);
    buffer = rest.trim() === "" ? "" : rest;
    for (const sql of statements) await runOne(sql);
    prompt();
  }
  rl.close();
  // Piped input may end without a final semicolon: run what is left, as psql does.
  if (!quit && stripComments(buffer) !== "") await runOne(buffer.trim());
  return summary;
}
