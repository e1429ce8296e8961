// One readable line and an exit code for anything that goes wrong: no stack traces on a terminal.
import { CommanderError } from "commander";
import { ConfigError } from "../config.ts";
import { DatabaseUnavailableError, DomainError } from "../shared/errors.ts";
import { describeError, sqlState } from "../db/sql-errors.ts";
import { printable } from "../shared/text.ts";

/** Exit codes: 1 the command failed (database unreachable, wrong dialect, workload error); 2 misuse. */
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

export class CliError extends Error {
  override name = "CliError";
  constructor(
    message: string,
    readonly exitCode: number = EXIT_FAILURE,
  ) {
    super(message);
  }
}

/** Bad flags, unknown cities, values out of range. */
export class UsageError extends CliError {
  override name = "UsageError";
  constructor(message: string) {
    super(message, EXIT_USAGE);
  }
}

function firstLine(text: string): string {
  return (text.split("\n").find((l) => l.trim() !== "") ?? "").trim();
}

/**
 * The driver's error under Drizzle's wrapper: DrizzleQueryError's message is "Failed query:
 * <the SQL text>", which a user must never see; the driver's message (and SQLSTATE) is its cause.
 */
function driverError(err: unknown): unknown {
  let e = err;
  for (let depth = 0; depth < 5; depth++) {
    const message = (e as { message?: unknown } | null)?.message;
    const cause = (e as { cause?: unknown } | null)?.cause;
    if (typeof message !== "string" || !message.startsWith("Failed query") || !cause) break;
    e = cause;
  }
  return e;
}

/**
 * The line to print (without the "movr: " prefix) and the exit code for an error. Whatever it
 * quotes (a flag's value, a command typed, a name read from a file) is shown with its control
 * characters escaped: `--num-users $'1\e[2J'` cleared the terminal, and a line break in a value
 * split the line or cut the sentence short.
 */
export function describeFailure(err: unknown): { message: string; exitCode: number } {
  const described = describeUnprinted(err);
  return { ...described, message: printable(described.message) };
}

function describeUnprinted(err: unknown): { message: string; exitCode: number } {
  if (err instanceof CommanderError) {
    // Commander adds its suggestion ("(Did you mean load?)") on a second line: keep it, on one.
    const message = err.message
      .replace(/^error:\s*/i, "")
      .replace(/\n(\(Did you mean .*\?\))$/, " $1")
      .trim();
    return { message: `${message} (see movr --help)`, exitCode: EXIT_USAGE };
  }
  // Our own sentences are one line; a line break in one is a quoted value's.
  if (err instanceof CliError) return { message: err.message.trim(), exitCode: err.exitCode };
  if (err instanceof ConfigError) return { message: err.message.trim(), exitCode: EXIT_USAGE };
  if (err instanceof DatabaseUnavailableError)
    return { message: firstLine(err.message), exitCode: EXIT_FAILURE };
  if (err instanceof DomainError) {
    return {
      message: firstLine(err.message),
      exitCode: err.code === "invalid_request" ? EXIT_USAGE : EXIT_FAILURE,
    };
  }
  const state = sqlState(err);
  const text = firstLine(describeError(driverError(err)));
  return { message: state ? `${text} (SQLSTATE ${state})` : text, exitCode: EXIT_FAILURE };
}
