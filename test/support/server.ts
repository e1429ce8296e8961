// The real server as an operator runs it: a child process with only the environment given, its
// stdout read as JSON log lines. Readiness is the "MovR is serving" line, never a fixed delay.
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

export interface LogLine {
  level: string;
  time: string;
  msg: string;
  [key: string]: unknown;
}

export interface ServerProcess {
  child: ChildProcess;
  /** Every stdout line so far, parsed; throws on a line that is not JSON. */
  logLines(): LogLine[];
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code, or the signal's name. */
  exited: Promise<number | string>;
  /** The first log line `match` accepts, once it is written; rejects if the process exits first. */
  waitForLine(match: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  /** Waits for "MovR is serving"; the public URL. */
  ready(timeoutMs?: number): Promise<string>;
}

/** What `npm start` runs: the compiled entry point (vitest's global setup rebuilds dist/). */
export const MAIN_JS = path.join(ROOT, "dist", "src", "main.js");

/** Spawns `node args` (default: `node dist/src/main.js`) in `cwd` with exactly `env` plus PATH. */
export function startServer(
  env: Record<string, string>,
  options: { args?: string[]; cwd?: string } = {},
): ServerProcess {
  const child = spawn(process.execPath, options.args ?? [MAIN_JS], {
    cwd: options.cwd ?? ROOT,
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | string>((resolve) =>
    child.on("exit", (code, signal) => resolve(code ?? signal ?? -1)),
  );
  let done = false;
  void exited.then(() => (done = true));

  const logLines = () =>
    out
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => {
        try {
          return JSON.parse(l) as LogLine;
        } catch {
          throw new Error(`stdout line is not JSON: ${l}`);
        }
      });

  const waitForLine = (match: (line: LogLine) => boolean, timeoutMs = 90_000) =>
    new Promise<LogLine>((resolve, reject) => {
      const started = Date.now();
      const poll = () => {
        const found = logLines().find(match);
        if (found) return resolve(found);
        if (done) return reject(new Error(`the server exited early:\n${out}\n${err}`));
        if (Date.now() - started > timeoutMs)
          return reject(new Error(`no such log line within ${timeoutMs} ms:\n${out}\n${err}`));
        setTimeout(poll, 50);
      };
      poll();
    });

  return {
    child,
    logLines,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitForLine,
    async ready(timeoutMs) {
      const line = await waitForLine((l) => /^MovR is serving /.test(l.msg), timeoutMs);
      return line.url as string;
    },
  };
}
