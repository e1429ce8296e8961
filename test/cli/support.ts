// Helpers for the CLI tests: captured streams, an in-process CliIo, and the real CLI spawned.
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { PassThrough, Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { REFERENCE_REGIONS } from "../../src/cities/region.config.ts";
import { databaseConfigFor, type ToolConfig } from "../../src/config.ts";
import type { CliIo } from "../../src/cli/io.ts";
import type { Database } from "../../src/db/database.ts";
import { decodeHistogramFile } from "../../src/workload/histogram-file.ts";
import { MOVR_TABLES } from "../support/databases.ts";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const BIN = path.join(ROOT, "bin", "movr.js");

export class Capture extends Writable {
  text = "";
  isTTY = false;
  override _write(chunk: Buffer | string, _enc: BufferEncoding, cb: () => void): void {
    this.text += chunk.toString();
    cb();
  }
  get lines(): string[] {
    return this.text.split("\n").filter((l) => l !== "");
  }
}

export function toolConfig(url?: string): ToolConfig {
  return { database: databaseConfigFor(url, {}), regions: REFERENCE_REGIONS };
}

export interface TestIo extends CliIo {
  stdout: Capture;
  stderr: Capture;
  interrupt(): void;
}

export function testIo(url?: string, input = ""): TestIo {
  const handlers = new Set<() => void>();
  const stdin = new PassThrough();
  stdin.end(input);
  return {
    stdout: new Capture(),
    stderr: new Capture(),
    stdin,
    config: toolConfig(url),
    onInterrupt(h) {
      handlers.add(h);
      return () => handlers.delete(h);
    },
    noteOnStop: () => () => undefined,
    interrupt() {
      for (const h of handlers) h();
    },
  };
}

export interface Spawned {
  child: ChildProcessWithoutNullStreams;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (or the signal's name). */
  exited: Promise<number | string>;
  /** Resolves once stdout contains a match of `re`; returns the match. */
  waitFor(re: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
}

/** The real command line, as a user runs it: `node bin/movr.js ...`, without DATABASE_URL. */
export function spawnMovr(args: string[], env: Record<string, string> = {}): Spawned {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: "", MOVR_TEST_DATABASE_URL: "", ...env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  const waiters: { re: RegExp; resolve: (m: RegExpMatchArray) => void }[] = [];
  child.stdout.on("data", (d: Buffer) => {
    out += d.toString();
    for (const w of [...waiters]) {
      const m = out.match(w.re);
      if (m) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(m);
      }
    }
  });
  child.stderr.on("data", (d: Buffer) => {
    err += d.toString();
  });
  const exited = new Promise<number | string>((resolve) =>
    child.on("exit", (code, signal) => resolve(code ?? signal ?? -1)),
  );
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitFor(re, timeoutMs = 120_000) {
      const m = out.match(re);
      if (m) return Promise.resolve(m);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`timed out waiting for ${re} in:\n${out}\nstderr:\n${err}`)),
          timeoutMs,
        );
        waiters.push({
          re,
          resolve: (match) => {
            clearTimeout(timer);
            resolve(match);
          },
        });
      });
    },
  };
}

/** Runs the CLI to completion. */
export async function runMovr(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | string; stdout: string; stderr: string }> {
  const p = spawnMovr(args, env);
  p.child.stdin.end();
  const code = await p.exited;
  return { code, stdout: p.stdout(), stderr: p.stderr() };
}

export async function count(database: Database, sql: string, params: unknown[] = []): Promise<number> {
  const { rows } = await database.query<{ n: string | number }>(sql, params);
  return Number(rows[0]?.n ?? 0);
}

/** Row counts of every movr table. */
export async function tableCounts(database: Database): Promise<Record<string, number>> {
  const tables = MOVR_TABLES;
  const out: Record<string, number> = {};
  for (const t of tables) out[t] = await count(database, `SELECT count(*) AS n FROM ${t}`);
  return out;
}

/** What a histogram file's MovR key adds up to over the run: errors by SQLSTATE, and retries. */
export function histogramFileExtras(file: string): { errors: Record<string, number>; retries: number } {
  const errors: Record<string, number> = {};
  let retries = 0;
  for (const t of [...decodeHistogramFile(readFileSync(file, "utf8")).values()].flat()) {
    retries += t.MovR?.Retries ?? 0;
    for (const [state, n] of Object.entries(t.MovR?.Errors ?? {})) errors[state] = (errors[state] ?? 0) + n;
  }
  return { errors, retries };
}
