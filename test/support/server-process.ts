// `npm start` as a child process, run the way package.json's "start" script runs it (so the tests
// follow the README's entry point), with readiness from /readyz and output kept for messages.
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** node's arguments for package.json's "start" script (`node X`, as `npm start` runs it). */
export function startCommand(): string[] {
  const pkg = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
    scripts: Record<string, string>;
  };
  const [runner, ...rest] = (pkg.scripts.start ?? "").trim().split(/\s+/);
  if (runner === "node") return rest;
  throw new Error(`test/support/server-process.ts does not know how to run "${pkg.scripts.start}"`);
}

export interface ServerProcess {
  child: ChildProcessWithoutNullStreams;
  pid: number;
  output(): string;
  /** The exit code, or the signal's name. */
  exited: Promise<number | string>;
}

/** Starts `npm start` (its node process directly, so signals reach it) with only `env` set. */
export function spawnServer(env: Record<string, string>): ServerProcess {
  const child = spawn(process.execPath, startCommand(), {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "", LOG_LEVEL: "warn", PORT: "0", MOVR_EMBEDDED_SQL_PORT: "0", ...env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | string>((resolve) =>
    child.on("exit", (code, signal) => resolve(code ?? signal ?? -1)),
  );
  return { child, pid: child.pid!, output: () => out, exited };
}

/**
 * Waits until the server prints its URL and /readyz answers 200; returns the base URL. Polls
 * with a generous limit (a busy machine starts slowly) and fails early if the process exits.
 */
export async function waitUntilReady(server: ServerProcess, limitMs = 150_000): Promise<string> {
  let exitedWith: number | string | undefined;
  void server.exited.then((code) => (exitedWith = code));
  const deadline = Date.now() + limitMs;
  while (Date.now() < deadline) {
    if (exitedWith !== undefined) throw new Error(`npm start exited (${exitedWith}):\n${server.output()}`);
    const m = /MovR is serving (http:\/\/\S+) on/.exec(server.output());
    if (m?.[1]) {
      const ready = await fetch(`${m[1]}/readyz`).catch(() => undefined);
      if (ready?.status === 200) return m[1];
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`npm start was not ready within ${limitMs} ms:\n${server.output()}`);
}

/** SIGTERM, then the exit code. */
export async function stopServer(server: ServerProcess): Promise<number | string> {
  server.child.kill("SIGTERM");
  return server.exited;
}

/**
 * A small process that takes the lock of `dir` and prints "locked <pid>" (or the refusal, and
 * exits 1), then holds it until its stdin closes. `settled` resolves once it holds the lock.
 */
export function spawnHolder(dir: string) {
  const code = `
    const { acquireEmbeddedLock } = await import("./dist/src/db/embedded-lock.js");
    try { acquireEmbeddedLock(process.env.LOCK_DIR); } catch (err) { console.log(err.message); process.exit(1); }
    console.log("locked " + process.pid);
    process.stdin.resume();
    process.stdin.on("end", () => process.exit(0));`;
  const child = spawn(process.execPath, ["--input-type=module", "-e", code], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "", LOCK_DIR: dir },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | string>((resolve) =>
    child.on("exit", (c, signal) => resolve(c ?? signal ?? -1)),
  );
  const settled = new Promise<string>((resolve, reject) => {
    const timer = setInterval(() => {
      if (/locked \d+/.test(out)) {
        clearInterval(timer);
        resolve(out);
      }
    }, 50);
    void exited.then(() => {
      clearInterval(timer);
      if (/locked \d+/.test(out)) resolve(out);
      else reject(new Error(out));
    });
  });
  return { child, exited, settled, output: () => out };
}
