// `npm run build` (and npm's `prepare`, so `npm install` / `npm ci` build once): compiles src/
// and bench/ to plain JavaScript in dist/ with tsc (all again when a compiled file is missing),
// copies the non-TypeScript files of src/
// (templates, styles, images) next to the compiled modules, and stamps dist/.built.
//
// Then makes the embedded database's template (dist/pglite-template/, src/db/embedded-engine.ts):
// initdb once here, for the installed PGlite, instead of on every first start.
//
// `--prepare`: as npm's prepare hook. A production install (`npm ci --omit=dev`) has no
// TypeScript; when dist/ was already built (copied from a build stage), it is kept as is.
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import process from "node:process";
import { fileURLToPath, pathToFileURL } from "node:url";
import { firstMissingOutput } from "./build-outputs.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const DIST = path.join(ROOT, "dist");
const STAMP = path.join(DIST, ".built");
// tsconfig.build.json's tsBuildInfoFile.
const BUILD_INFO = path.join(DIST, ".tsbuildinfo");

let tsc;
try {
  tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
} catch {
  if (process.argv.includes("--prepare") && existsSync(STAMP)) {
    process.stdout.write("movr: TypeScript is not installed; keeping the JavaScript already in dist/.\n");
    process.exit(0);
  }
  process.stderr.write("movr: cannot build: TypeScript is not installed (run `npm install` first).\n");
  process.exit(1);
}

// tsc's incremental build trusts its build info and never looks at dist/: with an output gone
// (dist/src deleted by hand) it would compile nothing and leave it gone. Without the build info
// it compiles everything again.
const missing = firstMissingOutput(ROOT);
if (missing && existsSync(BUILD_INFO)) {
  process.stdout.write(`movr: ${missing} is missing: compiling everything again.\n`);
  rmSync(BUILD_INFO, { force: true });
}

const result = spawnSync(process.execPath, [tsc, "-p", path.join(ROOT, "tsconfig.build.json")], {
  cwd: ROOT,
  stdio: "inherit",
});
if (result.status !== 0) process.exit(result.status ?? 1);

cpSync(path.join(ROOT, "src"), path.join(DIST, "src"), {
  recursive: true,
  filter: (from) => !from.endsWith(".ts"),
});
writeFileSync(STAMP, `${new Date().toISOString()}\n`);

// After the stamp: a template that cannot be made (no WebAssembly, a full disk) costs the first
// start its speed, not the build.
try {
  const { ensureTemplate } = await import(
    pathToFileURL(path.join(DIST, "src", "db", "embedded-engine.js")).href
  );
  if (await ensureTemplate())
    process.stdout.write("movr: made the embedded database template (dist/pglite-template).\n");
} catch (err) {
  process.stderr.write(`movr: no embedded database template (first starts run initdb): ${err.message}\n`);
}
