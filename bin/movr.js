#!/usr/bin/env node
// The `movr` command: runs the compiled command line in dist/ (built once by `npm install`, or by
// `npm run build` after editing src/), in this process, so Ctrl-C reaches the command directly.
import { existsSync } from "node:fs";
import process from "node:process";
import { fileURLToPath, URL } from "node:url";

const entry = new URL("../dist/src/cli/movr.js", import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write("movr: not built yet: run `npm install` (or `npm run build`) in the movr folder.\n");
  process.exit(1);
}
await import(entry.href);
