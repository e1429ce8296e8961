// A PostgreSQL cluster of a test's own (pg_createcluster on a free port, trust auth), for tests
// that stop, restart or shut down a server. The shared cluster on 5432 is never touched.
import { execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readdirSync } from "node:fs";
import { createServer } from "node:net";
import { promisify } from "node:util";
import { afterAll, beforeAll } from "vitest";

const run = promisify(execFile);

export interface PrivateCluster {
  /** postgresql://postgres@127.0.0.1:<port>/postgres */
  url: string;
  start(): Promise<void>;
  /** Resolves when pg_ctlcluster returns, i.e. the server has stopped (smart waits for sessions). */
  stop(mode: "smart" | "fast" | "immediate"): Promise<void>;
  /** Stops (immediately) and deletes the cluster. */
  drop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

/** The newest PostgreSQL major version installed (Debian layout). */
function newestVersion(): string {
  const versions = readdirSync("/usr/lib/postgresql").filter((v) => /^\d+$/.test(v));
  const newest = versions.sort((a, b) => Number(b) - Number(a))[0];
  if (!newest) throw new Error("no PostgreSQL server under /usr/lib/postgresql");
  return newest;
}

/**
 * Creates and starts a small cluster; call drop() when done. A port found free may be taken
 * before the server binds it (another process's connection on a busy machine): a cluster that
 * does not start is dropped and made again on another port, up to three times.
 */
export async function createPrivateCluster(): Promise<PrivateCluster> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await createClusterOnce();
    } catch (err) {
      if (attempt >= 3) throw err;
    }
  }
}

async function createClusterOnce(): Promise<PrivateCluster> {
  const version = newestVersion();
  const name = `movr_test_${randomBytes(4).toString("hex")}`;
  const port = await freePort();
  const created = run("pg_createcluster", [
    version,
    name,
    "-p",
    String(port),
    "-o",
    "shared_buffers=16MB",
    "-o",
    "max_connections=30",
    "--start",
    "--",
    "--auth=trust",
  ]);
  await created.catch(async (err: unknown) => {
    await run("pg_dropcluster", [version, name, "--stop"]).catch(() => undefined);
    throw err;
  });
  return {
    url: `postgresql://postgres@127.0.0.1:${port}/postgres`,
    start: async () => {
      await run("pg_ctlcluster", [version, name, "start"]);
    },
    stop: (mode) =>
      new Promise((resolve, reject) => {
        const child = spawn("pg_ctlcluster", [version, name, "stop", "-m", mode], { stdio: "ignore" });
        child.on("error", reject);
        child.on("exit", () => resolve());
      }),
    drop: async () => {
      await run("pg_dropcluster", [version, name, "--stop"]).catch(async () => {
        await run("pg_ctlcluster", [version, name, "stop", "-m", "immediate"]).catch(() => undefined);
        await run("pg_dropcluster", [version, name]);
      });
    },
  };
}

/** Polls `check` until it returns true; fails after `limitMs` (generous: a busy machine is slow). */
export async function eventually(
  check: () => Promise<boolean>,
  what: string,
  limitMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * A private cluster for a test file: created before its tests, dropped after them. The returned
 * function gives the cluster once beforeAll has run.
 */
export function usePrivateCluster(): () => PrivateCluster {
  let cluster: PrivateCluster | undefined;
  beforeAll(async () => {
    cluster = await createPrivateCluster();
  }, 120_000);
  afterAll(async () => {
    await cluster?.drop();
  }, 120_000);
  return () => {
    if (!cluster) throw new Error("usePrivateCluster: the cluster is created in beforeAll");
    return cluster;
  };
}
