// Which compiled files a build must leave in dist/: one .js per .ts of src/ and bench/ (the
// `include` of tsconfig.build.json). tsc's incremental build trusts dist/.tsbuildinfo and never
// looks at its outputs, so a dist/src deleted by hand stayed missing after `npm run build`;
// scripts/build.js and the tests' global setup (test/support/build.global.ts) ask this instead.
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";

/** The folders tsconfig.build.json compiles, relative to the package root. */
export const COMPILED_DIRS = ["src", "bench"];

/**
 * The first compiled file missing from `root`/dist (a path relative to `root`, such as
 * `dist/src/main.js`), or undefined when every one is there. Declaration files compile to nothing.
 * @param {string} root the package root
 * @returns {string | undefined}
 */
export function firstMissingOutput(root) {
  for (const dir of COMPILED_DIRS) {
    const missing = missingUnder(root, dir);
    if (missing) return missing;
  }
  return undefined;
}

/** @returns {string | undefined} */
function missingUnder(root, dir) {
  let entries;
  try {
    entries = readdirSync(path.join(root, dir), { withFileTypes: true }).sort((a, b) =>
      a.name.localeCompare(b.name),
    );
  } catch {
    return undefined;
  }
  for (const entry of entries) {
    const rel = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      const missing = missingUnder(root, rel);
      if (missing) return missing;
    } else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts")) {
      const output = path.join("dist", rel.replace(/\.ts$/, ".js"));
      if (!existsSync(path.join(root, output))) return output;
    }
  }
  return undefined;
}
