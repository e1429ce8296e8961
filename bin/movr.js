#!/usr/bin/env node
// The `movr` command: runs src/cli/movr.ts through tsx, in this process (no build step, and
// Ctrl-C reaches the command directly).
import { URL } from "node:url";
import { register } from "tsx/esm/api";

register();
await import(new URL("../src/cli/movr.ts", import.meta.url).href);
