// A small process that holds an embedded data directory's lock, for tests of what others see.
import { spawn } from "node:child_process";
import { ROOT } from "./server.ts";

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
