// Every core: WEB_CONCURRENCY workers on a server database (node:cluster), migrated once by the
// primary; SIGTERM to the primary shuts every worker down gracefully. The embedded database
// stays one process whatever WEB_CONCURRENCY says.
import { execFileSync, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadConfig, PROJECT_ROOT } from "../../src/config.ts";
import { SERVER_V8_FLAGS, withServerFlags } from "../../src/web/cluster.ts";
import { createServerDatabase, dropServerDatabases, SERVER_URL } from "../support/databases.ts";

const SECRET = "a-session-secret-of-at-least-32-characters";

describe("WEB_CONCURRENCY", () => {
  it("defaults to the number of cores on a server database, and is forced to 1 embedded", () => {
    const server = { DATABASE_URL: "postgresql://db.example/movr", SESSION_SECRET: SECRET };
    expect(loadConfig(server).webConcurrency).toBe(availableParallelism());
    expect(loadConfig({ ...server, WEB_CONCURRENCY: "3" }).webConcurrency).toBe(3);
    expect(loadConfig({ WEB_CONCURRENCY: "4" })).toMatchObject({
      webConcurrency: 1,
      webConcurrencyIgnored: true,
    });
    expect(loadConfig({ DATABASE_URL: "memory://" })).toMatchObject({
      webConcurrency: 1,
      webConcurrencyIgnored: false,
    });
    expect(() => loadConfig({ ...server, WEB_CONCURRENCY: "0" })).toThrow(/WEB_CONCURRENCY/);
  });
});

describe("the workers' V8 flags", () => {
  it("are the server's flags added to the primary's own, where it does not set them itself", () => {
    expect(withServerFlags([])).toEqual(SERVER_V8_FLAGS);
    expect(withServerFlags(["--enable-source-maps"])).toEqual(
      ["--enable-source-maps"].concat(SERVER_V8_FLAGS),
    );
    expect(withServerFlags(["--max-semi-space-size=16"])).toEqual(["--max-semi-space-size=16"]);
    expect(withServerFlags(["--max_semi_space_size=2"])).toEqual(["--max_semi_space_size=2"]);
  });
});

function childrenOf(pid: number): number[] {
  try {
    return execFileSync("ps", ["-o", "pid=", "--ppid", String(pid)], { encoding: "utf8" })
      .split("\n")
      .map((l) => Number(l.trim()))
      .filter((n) => n > 0);
  } catch {
    return []; // ps exits 1 when there are none
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A MovR server with two workers on a fresh PostgreSQL database, up and serving. */
async function startTwoWorkers(extraEnv: Record<string, string> = {}) {
  const url = await createServerDatabase();
  const child = spawn(process.execPath, [path.join(PROJECT_ROOT, "dist", "src", "main.js")], {
    env: {
      PATH: process.env.PATH,
      DATABASE_URL: url,
      SESSION_SECRET: SECRET,
      WEB_CONCURRENCY: "2",
      PORT: "0",
      LOG_FORMAT: "json",
      ...extraEnv,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr.on("data", (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const served = new Promise<string>((resolve, reject) => {
    const timer = setInterval(() => {
      const m = /MovR is serving (http:\/\/\S+) on .* with 2 workers/.exec(output);
      if (m?.[1]) {
        clearInterval(timer);
        resolve(m[1]);
      }
    }, 100);
    void exited.then(() => {
      clearInterval(timer);
      reject(new Error(`the server exited early:\n${output}`));
    });
  });
  return { child, exited, served, output: () => output };
}

if (SERVER_URL) {
  afterAll(dropServerDatabases);

  it("serves from two workers on PostgreSQL, and SIGTERM to the primary stops them all", async () => {
    const server = await startTwoWorkers();
    const workers: number[] = [];
    try {
      const served = await server.served;
      for (const pid of childrenOf(server.child.pid!)) workers.push(pid);
      expect(workers).toHaveLength(2);
      // The primary was started without the server's V8 flags; it gives them to its workers.
      for (const pid of workers) {
        const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
        for (const flag of SERVER_V8_FLAGS) expect(argv).toContain(flag);
      }
      for (let i = 0; i < 4; i++) expect((await fetch(`${served}/readyz`)).status).toBe(200);
      // Migrations ran once, in the primary, before the workers started.
      expect(server.output().match(/Applied migrations/g)).toHaveLength(1);
    } finally {
      server.child.kill("SIGTERM");
    }
    expect(await server.exited).toBe(0);
    for (const pid of workers) expect(alive(pid)).toBe(false);
    expect(server.output().match(/"msg":"shutting down"/g)).toHaveLength(2);
  }, 120_000);

  it("keeps one login budget per client across the workers, not one per worker", async () => {
    const server = await startTwoWorkers({ LOGIN_RATE_LIMIT_PER_MINUTE: "3" });
    try {
      const served = await server.served;
      const statuses: number[] = [];
      // A new connection per attempt: the primary hands connections to the workers in turn, so
      // with a budget per worker this client would get 3 attempts from each.
      for (let i = 0; i < 8; i++) {
        const res = await fetch(`${served}/api/v1/auth/login`, {
          method: "POST",
          headers: { "content-type": "application/json", connection: "close" },
          body: JSON.stringify({ username: `nobody-${i}`, password: "wrong password" }),
        });
        statuses.push(res.status);
        await res.arrayBuffer();
      }
      expect(statuses.filter((s) => s === 401)).toHaveLength(3);
      expect(statuses.slice(3)).toEqual([429, 429, 429, 429, 429]);
    } finally {
      server.child.kill("SIGTERM");
    }
    expect(await server.exited).toBe(0);
  }, 120_000);
}
