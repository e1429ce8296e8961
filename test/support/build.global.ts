// Vitest global setup: tests that spawn bin/movr.js or the server run the compiled JavaScript in
// dist/, so rebuild it first whenever a source file is newer than the last build (npm test has
// just built; a single `npx vitest run test/x.test.ts` after an edit has not) or a compiled file
// is missing.
import { execFileSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { PROJECT_ROOT } from "../../src/config.ts";

function newestMtime(entry: string): number {
  const stat = statSync(entry, { throwIfNoEntry: false });
  if (!stat) return 0;
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const name of readdirSync(entry)) newest = Math.max(newest, newestMtime(path.join(entry, name)));
  return newest;
}

export async function setup(): Promise<void> {
  const built = statSync(path.join(PROJECT_ROOT, "dist", ".built"), { throwIfNoEntry: false });
  let newestSource = 0;
  for (const p of ["src", "bench", "tsconfig.json", "tsconfig.build.json"]) {
    newestSource = Math.max(newestSource, newestMtime(path.join(PROJECT_ROOT, p)));
  }
  // A compiled file gone (dist/src deleted) is as stale as a newer source, whatever the stamp says.
  const { firstMissingOutput } = (await import(
    pathToFileURL(path.join(PROJECT_ROOT, "scripts", "build-outputs.js")).href
  )) as { firstMissingOutput: (root: string) => string | undefined };
  if (built && newestSource <= built.mtimeMs && !firstMissingOutput(PROJECT_ROOT)) return;
  execFileSync(process.execPath, [path.join(PROJECT_ROOT, "scripts", "build.js")], { stdio: "inherit" });
}
