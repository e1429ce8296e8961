// --concurrency is what runs, or a line of the command's output says why not: the embedded database is one session (and
// its owner's SQL port one connection), so `movr load --concurrency 3` loaded one batch at a time
// and `movr run --concurrency 3` ran its workers by turns, and nothing said so.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "../../src/cli/program.ts";
import { databaseConfigFor } from "../../src/config.ts";
import { openDatabase } from "../../src/db/database.ts";
import { dropServerDatabases, createServerDatabase, SERVER_URL } from "../support/databases.ts";
import { testIo, type TestIo } from "./support.ts";

afterAll(dropServerDatabases);

/** One row of a query on the server database at `url`. */
async function runPsqlLike(url: string, sql: string): Promise<Record<string, unknown>> {
  const database = await openDatabase(databaseConfigFor(url, {}));
  try {
    return (await database.query(sql)).rows[0] ?? {};
  } finally {
    await database.close();
  }
}

const SMALL = ["--num-users", "9", "--num-vehicles", "9", "--num-rides", "9", "--num-histories", "9"];

describe("on the embedded database", () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), "movr-concurrency-"));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));
  const io = (): TestIo => {
    const i = testIo();
    i.config.database.dataDir = dataDir;
    return i;
  };
  const oneConnection = `embedded PGlite (${dataDir}) gives this command one connection`;

  it("movr load --concurrency 3 says its batches go in one at a time; without the flag, nothing", async () => {
    const asked = io();
    expect(await runCli(["load", "--concurrency", "3", ...SMALL], asked), asked.stderr.text).toBe(0);
    expect(asked.stdout.lines).toContain(
      `--concurrency 3: ${oneConnection}, so its batches go in one at a time.`,
    );
    const plain = io();
    expect(await runCli(["load", ...SMALL], plain), plain.stderr.text).toBe(0);
    expect(plain.stdout.text).not.toContain("--concurrency");
  });

  it("movr run --concurrency 3 says its workers take turns on the one connection", async () => {
    const run = io();
    const code = await runCli(["run", "--concurrency", "3", "--duration", "1s", "--city", "rome"], run);
    expect(code, run.stderr.text).toBe(0);
    expect(run.stderr.lines[0]).toMatch(/^Running the movr workload on embedded PGlite .*: 3 workers,/);
    expect(run.stderr.lines[1]).toBe(
      `--concurrency 3: ${oneConnection}, so the 3 workers take turns on it, a transaction at a time.`,
    );
  });
});

describe.runIf(SERVER_URL)("on a server", () => {
  it("the pool is sized to --concurrency: nothing to say", async () => {
    const url = await createServerDatabase();
    const load = testIo(url);
    expect(await runCli(["load", "--concurrency", "3", ...SMALL], load), load.stderr.text).toBe(0);
    expect(load.stderr.text).toBe("");
    expect(load.stdout.text).not.toContain("--concurrency");
    const run = testIo(url);
    expect(await runCli(["run", "--concurrency", "5", "--duration", "1s", "--city", "rome"], run)).toBe(0);
    expect(run.stderr.lines[0]).toMatch(/^Running the movr workload on PostgreSQL at .*: 5 workers,/);
    expect(run.stderr.text).not.toContain("--concurrency");
  });

  it("a --concurrency past the server's connection limit is refused before anything runs", async () => {
    const url = await createServerDatabase();
    const max = Number((await runPsqlLike(url, "SELECT current_setting('max_connections') AS n")).n);
    const asked = String(max + 1);
    const line = `movr: --concurrency ${asked} needs ${asked} connections at once; PostgreSQL at ${new URL(url).host} lets this user open at most ${max} (max_connections ${max}). Lower --concurrency, or raise the server's limit.`;
    const load = testIo(url);
    expect(await runCli(["load", "--concurrency", "64", ...SMALL], load), load.stderr.text).toBe(0);
    const run = testIo(url);
    expect(await runCli(["run", "--concurrency", asked, "--duration", "1s", "--city", "rome"], run)).toBe(1);
    expect(run.stderr.lines).toEqual([line]);
    expect(run.stdout.text).toBe("");
  });
});
