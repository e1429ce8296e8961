// `movr --help` and other commands that never touch a database load neither the database
// drivers, Drizzle nor the web server: each command imports what it runs when it runs.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { MAIN_JS } from "../support/server.ts";
import { BIN, ROOT } from "./support.ts";

const run = promisify(execFile);
const logDir = mkdtempSync(path.join(tmpdir(), "movr-modules-"));
afterAll(() => rmSync(logDir, { recursive: true, force: true }));
let runs = 0;

/** A valid server configuration whose database cannot be reached (nothing listens on port 1). */
const SERVER_ENV = { DATABASE_URL: "postgresql://127.0.0.1:1/none", SESSION_SECRET: "s".repeat(40) };

const HEAVY = ["@electric-sql/pglite", "@electric-sql/pglite-socket", "drizzle-orm", "fastify", "pg", "eta"];

/** Runs bin/movr.js with a loader hook that logs every module it imports; returns the package names. */
async function modulesLoadedBy(
  args: string[],
  env: Record<string, string> = { DATABASE_URL: "" },
  program = BIN,
): Promise<{ packages: Set<string>; urls: string[]; code: number }> {
  const logFile = path.join(logDir, `run-${++runs}.log`);
  let code = 0;
  try {
    await run(process.execPath, ["--import", "./test/support/module-log.mjs", program, ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env, MOVR_MODULE_LOG: logFile },
    });
  } catch (err) {
    code = (err as { code: number }).code;
  }
  const urls = readFileSync(logFile, "utf8").split("\n").filter(Boolean);
  const packages = new Set(
    urls.flatMap((u) => {
      const m = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(u);
      return m?.[1] ? [m[1]] : [];
    }),
  );
  return { packages, urls, code };
}

describe("commands load only what they use", () => {
  it.each([[["--help"]], [["load", "--help"]], [["run", "--frobnicate"]], [["report", "--help"]]])(
    "movr %j loads no database driver, ORM or web server",
    async (args) => {
      const { packages, urls, code } = await modulesLoadedBy(args);
      // The hook saw the command line itself: the compiled program and commander.
      expect(urls.some((u) => u.endsWith("/dist/src/cli/program.js"))).toBe(true);
      expect(packages.has("commander")).toBe(true);
      expect(code).toBe(args.includes("--frobnicate") ? 2 : 0);
      for (const name of HEAVY) expect(packages, name).not.toContain(name);
    },
  );

  it("movr report draws a histogram file without any database code", async () => {
    const hist = path.join(logDir, "one.json");
    writeFileSync(
      hist,
      `${JSON.stringify({
        Name: "readVehicles",
        Hist: {
          LowestTrackableValue: 1000,
          HighestTrackableValue: 3.6e12,
          SignificantFigures: 3,
          Counts: [0, 4],
        },
        Elapsed: 1e9,
        Now: "2026-01-01T00:00:01Z",
      })}\n`,
    );
    const { packages, code } = await modulesLoadedBy([
      "report",
      hist,
      "--out",
      path.join(logDir, "one.html"),
    ]);
    expect(code).toBe(0);
    expect(readFileSync(path.join(logDir, "one.html"), "utf8")).toContain("uPlot");
    for (const name of HEAVY) expect(packages, name).not.toContain(name);
  });

  it("a command that needs the database does load it (the hook sees lazy imports)", async () => {
    // Nothing listens on port 1: the command loads its database code, then fails to connect.
    const { packages, code } = await modulesLoadedBy(["migrate", "--url", "postgresql://127.0.0.1:1/none"]);
    expect(code).toBe(1);
    expect(packages).toContain("pg");
    expect(packages).toContain("drizzle-orm");
    // A server URL: the embedded engine is not needed, so not loaded.
    expect(packages).not.toContain("@electric-sql/pglite");
  });

  it("the server on a PostgreSQL URL never loads PGlite (its WebAssembly is ~300 MB of RSS)", async () => {
    // Nothing listens on port 1: the server loads its web and database code, then fails to connect.
    const { packages, code } = await modulesLoadedBy([], { ...SERVER_ENV, WEB_CONCURRENCY: "1" }, MAIN_JS);
    expect(code).toBe(1);
    expect(packages).toContain("fastify");
    expect(packages).toContain("pg");
    expect(packages).not.toContain("@electric-sql/pglite");
  });

  it("the server on the embedded database never loads the pg driver", async () => {
    // It starts in full (the database, migrations, demo data, the app), then finds PORT taken.
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    try {
      const { packages, code } = await modulesLoadedBy(
        [],
        {
          DATABASE_URL: "",
          MOVR_DATA_DIR: path.join(logDir, "embedded-data"),
          MOVR_EMBEDDED_SQL_PORT: "off",
          SESSION_SECRET: "s".repeat(40),
          HOST: "127.0.0.1",
          PORT: String((taken.address() as AddressInfo).port),
        },
        MAIN_JS,
      );
      expect(code).toBe(1);
      for (const name of ["@electric-sql/pglite", "fastify", "drizzle-orm"])
        expect(packages, name).toContain(name);
      expect(packages).not.toContain("pg");
    } finally {
      taken.close();
    }
  });

  it("the primary of a cluster (WEB_CONCURRENCY > 1) migrates and supervises without the web server", async () => {
    const { packages, code } = await modulesLoadedBy([], { ...SERVER_ENV, WEB_CONCURRENCY: "2" }, MAIN_JS);
    expect(code).toBe(1);
    // It got as far as connecting: the database driver is loaded.
    expect(packages).toContain("pg");
    for (const name of ["fastify", "eta", "@fastify/swagger", "@electric-sql/pglite"])
      expect(packages, name).not.toContain(name);
  });
});
