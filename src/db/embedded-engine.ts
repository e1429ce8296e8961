// How MovR starts PGlite: its settings, and a fresh database made from a template instead of
// by initdb. See docs/embedded-database.md ("Start-up and memory") and ADR 016.
//
// initdb, run by PGlite inside the process on every empty data directory (and on every
// memory:// database), costs seconds and leaves two more WebAssembly instances' memory behind
// (a throwaway PGlite and initdb itself, ~500 MB of RSS the process never gets back). The build
// (`npm install`, `npm run build`) runs it once into dist/pglite-template/, for the PGlite
// version installed; a fresh data directory is then a copy of those files, and a memory://
// database loads their archive. Without a template of the installed version (a build that
// failed to make one, PGlite upgraded without a rebuild), PGlite runs initdb as before.
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { copyFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import v8 from "node:v8";
import { PGlite, type PGliteOptions } from "@electric-sql/pglite";
import { PROJECT_ROOT } from "../config.ts";

/** Where the build leaves the template: `data/` (a data directory), `data.tar.gz`, `version`. */
export const TEMPLATE_DIR = path.join(PROJECT_ROOT, "dist", "pglite-template");

/**
 * Server settings on top of PGlite's own start parameters. PGlite keeps the whole buffer pool
 * inside its WebAssembly memory, which never shrinks: PostgreSQL's 128 MB default was 120 MB of
 * RSS for a database of a few MB. Pages that miss the pool come from the OS page cache.
 */
export const PGLITE_SETTINGS: Record<string, string> = {
  shared_buffers: "16MB",
  // Index builds (migrations) and VACUUM: the memory they take stays in the process.
  maintenance_work_mem: "16MB",
};

/**
 * V8 compiles PGlite's 9 MB of WebAssembly with its baseline compiler (Liftoff) only. By default
 * it also recompiles the module with its optimizing compiler (TurboFan) in the background: on
 * two cores that competed with start-up for seconds, and the second copy of the machine code was
 * ~80 MB of RSS for the life of the process. Set before PGlite compiles its module (V8 reads the
 * flag at compile time); it concerns WebAssembly only, and PGlite is the only WebAssembly here.
 */
export const WASM_FLAGS = "--liftoff-only";
let wasmFlagsSet = false;

/** PGlite.create's options: PGlite's start parameters plus PGLITE_SETTINGS. */
export function pgliteOptions(): PGliteOptions {
  if (!wasmFlagsSet) {
    v8.setFlagsFromString(WASM_FLAGS);
    wasmFlagsSet = true;
  }
  const startParams = [...PGlite.defaultStartParams];
  for (const [name, value] of Object.entries(PGLITE_SETTINGS)) startParams.push("-c", `${name}=${value}`);
  return { startParams };
}

/** The installed PGlite's version: a template is only good for the version that made it. */
function pgliteVersion(): string {
  const entry = createRequire(import.meta.url).resolve("@electric-sql/pglite");
  let dir = path.dirname(entry);
  while (!existsSync(path.join(dir, "package.json"))) dir = path.dirname(dir);
  return (JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8")) as { version: string }).version;
}

function templateReady(dir: string): boolean {
  try {
    return readFileSync(path.join(dir, "version"), "utf8").trim() === pgliteVersion();
  } catch {
    return false;
  }
}

/** PostgreSQL's own mark of an initialized data directory; PGlite runs initdb without it. */
const PG_VERSION = "PG_VERSION";

/**
 * An empty data directory becomes a copy of the template. PG_VERSION is copied last: a copy cut
 * short (a kill, a full disk) has none, so the next start copies again over what is there.
 * Resolves to false (PGlite will run initdb) when there is no template for the installed PGlite.
 *
 * The files (~40 MB, ~1,000 of them) are copied on libuv's threads, a few at a time, so that the
 * process goes on loading its modules meanwhile (src/main.ts opens the database while they load):
 * a synchronous copy held the main thread for 0.2 s on a quiet machine and over a second on a
 * busy disk. Few at a time, so that module files read through the same threads are not queued
 * behind a thousand copies.
 */
export async function seedDataDir(dataDir: string, templateDir = TEMPLATE_DIR): Promise<boolean> {
  if (existsSync(path.join(dataDir, PG_VERSION)) || !templateReady(templateDir)) return false;
  const from = path.join(templateDir, "data");
  const files: string[] = [];
  const walk = (relative: string) => {
    for (const entry of readdirSync(path.join(from, relative), { withFileTypes: true })) {
      const name = path.join(relative, entry.name);
      if (entry.isDirectory()) {
        mkdirSync(path.join(dataDir, name), { recursive: true });
        walk(name);
      } else if (name !== PG_VERSION) files.push(name);
    }
  };
  walk("");
  let next = 0;
  const copier = async () => {
    while (next < files.length) {
      const name = files[next++]!;
      await copyFile(path.join(from, name), path.join(dataDir, name));
    }
  };
  await Promise.all(Array.from({ length: SEED_COPIES_AT_ONCE }, copier));
  await copyFile(path.join(from, PG_VERSION), path.join(dataDir, PG_VERSION));
  return true;
}

/** Copies in flight while seeding a data directory: libuv has four threads, module loading reads through them too. */
const SEED_COPIES_AT_ONCE = 2;

/** The template as an archive for PGlite's `loadDataDir` (memory:// databases), if there is one. */
export function templateArchive(templateDir = TEMPLATE_DIR): Blob | undefined {
  if (!templateReady(templateDir)) return undefined;
  return new Blob([readFileSync(path.join(templateDir, "data.tar.gz"))]);
}

/**
 * Makes the template unless there is one for the installed PGlite (the build calls this).
 * Returns whether it made one.
 */
export async function ensureTemplate(templateDir = TEMPLATE_DIR): Promise<boolean> {
  if (templateReady(templateDir)) return false;
  rmSync(templateDir, { recursive: true, force: true });
  const work = `${templateDir}.tmp-${process.pid}`;
  rmSync(work, { recursive: true, force: true });
  try {
    const data = path.join(work, "data");
    mkdirSync(data, { recursive: true });
    // initdb, then a clean shutdown: the files a fresh database starts from.
    await (await PGlite.create(data, pgliteOptions())).close();
    // The archive comes from a second copy: opening the files changes them.
    const scratch = path.join(work, "scratch");
    cpSync(data, scratch, { recursive: true });
    const pg = await PGlite.create(scratch, pgliteOptions());
    try {
      const archive = await pg.dumpDataDir("gzip");
      writeFileSync(path.join(work, "data.tar.gz"), Buffer.from(await archive.arrayBuffer()));
    } finally {
      await pg.close();
    }
    rmSync(scratch, { recursive: true, force: true });
    writeFileSync(path.join(work, "version"), `${pgliteVersion()}\n`);
    // All or nothing: a build cut short leaves no template that looks whole.
    renameSync(work, templateDir);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return true;
}
