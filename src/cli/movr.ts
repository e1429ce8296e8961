// Entry point of the `movr` command (bin/movr.js, `npm run movr --`). Everything testable is in
// program.ts; this file wires the process: streams, configuration, Ctrl-C, the exit code.
import { loadToolConfig, type ToolConfig } from "../config.ts";
import { describeFailure } from "./errors.ts";
import type { CliIo } from "./io.ts";
import { runCli } from "./program.ts";

function flushAndExit(code: number): void {
  let pending = 2;
  const done = () => {
    if (--pending === 0) process.exit(code);
  };
  process.stdout.write("", done);
  process.stderr.write("", done);
}

// `movr run | head`: the reader went away. Stop quietly, as Unix tools do, not with a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code === "EPIPE") process.exit(0);
    throw err;
  });
}

/** Runs the command with the configuration from the environment; resolves to the exit code. */
async function main(): Promise<number> {
  let config: ToolConfig;
  try {
    config = loadToolConfig();
  } catch (err) {
    // A bad environment value: one line naming the variable, exit 2, whatever the command.
    const failure = describeFailure(err);
    process.stderr.write(`movr: ${failure.message}\n`);
    return failure.exitCode;
  }

  const handlers = new Set<() => void>();
  const notes: string[] = [];
  let interrupts = 0;
  // SIGTERM is Ctrl-C from a supervisor (docker stop, a Kubernetes Job deleted, systemd, timeout):
  // a run it ended used to die without its summary, report or exit 0.
  const interrupt = (exitCode: number) => () => {
    interrupts++;
    // A second signal, or one with nobody listening, stops at once.
    if (interrupts > 1 || handlers.size === 0) {
      // One line, after whatever the terminal echoed (^C): what was stopped, and what is kept.
      process.stderr.write(`\nmovr: ${notes.at(-1) ?? "interrupted."}\n`);
      process.exit(exitCode);
    }
    for (const h of handlers) h();
  };
  process.on("SIGINT", interrupt(130));
  process.on("SIGTERM", interrupt(143));

  const io: CliIo = {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    config,
    onInterrupt(handler) {
      handlers.add(handler);
      return () => handlers.delete(handler);
    },
    noteOnStop(line) {
      notes.push(line);
      return () => {
        const i = notes.lastIndexOf(line);
        if (i !== -1) notes.splice(i, 1);
      };
    },
  };
  return runCli(process.argv.slice(2), io);
}

flushAndExit(await main());
