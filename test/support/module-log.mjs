// `node --import ./test/support/module-log.mjs ...` with MOVR_MODULE_LOG=<file>: appends the URL
// of every module the process imports (ESM loader hooks, Node's module.register) to that file,
// one per line, so a test can check which packages a command loads.
import { appendFileSync } from "node:fs";
import { register } from "node:module";
import process from "node:process";
import { isMainThread } from "node:worker_threads";

let logFile;

export function initialize(data) {
  logFile = data.logFile;
}

export async function resolve(specifier, context, nextResolve) {
  const resolved = await nextResolve(specifier, context);
  appendFileSync(logFile, `${resolved.url}\n`);
  return resolved;
}

// Loader hooks run on their own thread; only the main thread registers them.
if (isMainThread && process.env.MOVR_MODULE_LOG) {
  register(import.meta.url, { data: { logFile: process.env.MOVR_MODULE_LOG } });
}
