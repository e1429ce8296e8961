// Cluster workers on a server database that goes away: a worker that dies then (OOM, a crash) is
// replaced, and its replacement cannot open its pool until the database is back. That used to be
// read as a start-up failure ("a worker stopped while starting; stopping the server"): the other
// worker, serving 503s and about to recover, was stopped too and the server exited 1 for good.
import { expect, it } from "vitest";
import { eventually, usePrivateCluster } from "../support/private-cluster.ts";
import { startServer } from "../support/server.ts";

const cluster = usePrivateCluster();

it("a worker that dies while the database is away is replaced once it is back; the server keeps serving", async () => {
  const db = cluster();
  const server = startServer({
    DATABASE_URL: db.url,
    SESSION_SECRET: "s".repeat(32),
    WEB_CONCURRENCY: "2",
    PORT: "0",
    LOG_FORMAT: "json",
    DB_CONNECT_TIMEOUT_MS: "2000",
  });
  try {
    const url = await server.ready(90_000);
    const workerPids = () =>
      server
        .logLines()
        .filter((l) => l.msg.startsWith("Server listening"))
        .map((l) => l.pid as number);
    expect(workerPids()).toHaveLength(2);

    await db.stop("fast");
    await eventually(async () => (await fetch(`${url}/readyz`)).status === 503, "readyz 503");
    process.kill(workerPids()[0]!, "SIGKILL");
    await server.waitForLine((l) => l.msg.startsWith("a replacement worker could not start"), 60_000);
    // The surviving worker still answers, and says why it cannot serve.
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    const down = await fetch(`${url}/readyz`);
    expect(down.status).toBe(503);
    expect(down.headers.get("retry-after")).toBe("5");

    await db.start();
    await eventually(async () => workerPids().length === 3, "a replacement worker listening", 90_000);
    await eventually(async () => (await fetch(`${url}/readyz`)).status === 200, "readyz 200");
    expect(server.logLines().map((l) => l.msg)).not.toContain(
      "a worker stopped while starting; stopping the server",
    );
  } finally {
    server.child.kill("SIGTERM");
  }
  expect(await server.exited).toBe(0);
}, 240_000);
