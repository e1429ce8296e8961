// A database host that takes the TCP connection and never answers: the connect gives up after
// connect_timeout (or DB_CONNECT_TIMEOUT_MS) and says so, in the CLI's one line and the server's
// start-up line alike, rather than the driver's "Connection terminated unexpectedly" (which
// reads as a server that hung up).
import { createServer, type Server, type Socket } from "node:net";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runMovr } from "../cli/support.ts";
import { startServer } from "../support/server.ts";

let silent: Server;
let url: string;
const sockets = new Set<Socket>();

beforeAll(async () => {
  // Accepts and reads, never writes: what a firewalled or hung server looks like to a client.
  silent = createServer((socket) => {
    sockets.add(socket);
    socket.on("error", () => undefined);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
  url = `postgresql://postgres@127.0.0.1:${(silent.address() as AddressInfo).port}/movr`;
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise<void>((resolve) => silent.close(() => resolve()));
});

const COMMANDS: { command: string; args: (u: string) => string[]; env: Record<string, string>; s: string }[] =
  [
    {
      command: "migrate",
      args: (u: string) => ["migrate", "--url", `${u}?connect_timeout=1`],
      env: {},
      s: "1 s",
    },
    { command: "load", args: (u: string) => ["load", "--url", `${u}?connect_timeout=2`], env: {}, s: "2 s" },
    {
      command: "migrate with DB_CONNECT_TIMEOUT_MS",
      args: (u: string) => ["migrate", "--url", u],
      env: { DB_CONNECT_TIMEOUT_MS: "1500" },
      s: "1.5 s",
    },
    {
      command: "sql",
      args: (u: string) => ["sql", "--url", `${u}?connect_timeout=1`, "-e", "SELECT 1"],
      env: {},
      s: "1 s",
    },
  ];

describe("a database that does not answer", () => {
  it.each(COMMANDS)(
    "movr $command: one line saying it did not answer within $s",
    async ({ args, env, s }) => {
      const { code, stderr } = await runMovr(args(url), env);
      expect(code).toBe(1);
      const lines = stderr.split("\n").filter(Boolean);
      expect(lines, stderr).toHaveLength(1);
      expect(lines[0]).toContain(`did not answer within ${s}`);
      expect(stderr).not.toMatch(/terminated unexpectedly/i);
    },
    120_000,
  );

  it("the server's start-up: one line saying it did not answer within 1 s", async () => {
    const server = startServer({
      DATABASE_URL: `${url}?connect_timeout=1`,
      SESSION_SECRET: "s".repeat(32),
      PORT: "0",
      LOG_FORMAT: "json",
    });
    expect(await server.exited).toBe(1);
    const fatal = server.logLines().filter((l) => l.level === "fatal");
    expect(fatal.map((l) => l.msg)).toEqual([expect.stringContaining("did not answer within 1 s")]);
    expect(JSON.stringify(server.logLines())).not.toMatch(/terminated unexpectedly/i);
  }, 120_000);
});
