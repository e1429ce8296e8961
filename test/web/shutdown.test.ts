// SIGTERM on a real `npm start` process: idle keep-alive connections close at once, requests in
// flight finish with their normal answers, a request that arrives meanwhile gets the contract's
// 503 with Retry-After and Connection: close, and the process exits 0 within its grace period.
import { spawn } from "node:child_process";
import http from "node:http";
import net from "node:net";
import path from "node:path";
import { expect, it } from "vitest";
import { PROJECT_ROOT } from "../../src/config.ts";
import { eventually } from "../support/private-cluster.ts";

const GRACE_MS = 8000;

/** A raw HTTP/1.1 exchange: write now, write more later, collect everything the server sends. */
function rawConnection(port: number) {
  const socket = net.connect(port, "127.0.0.1");
  let received = "";
  socket.on("data", (d: Buffer) => (received += d.toString("latin1")));
  socket.on("error", () => undefined);
  const closed = new Promise<void>((resolve) => socket.on("close", () => resolve()));
  const connected = new Promise<void>((resolve) => socket.on("connect", () => resolve()));
  return { socket, connected, closed, received: () => received };
}

it("SIGTERM: idle keep-alive closed at once, in-flight requests answered, late ones 503, exit 0 within the grace", async () => {
  const child = spawn(process.execPath, [path.join(PROJECT_ROOT, "dist", "src", "main.js")], {
    env: {
      PATH: process.env.PATH,
      DATABASE_URL: "memory://",
      MOVR_DEMO_DATA: "0",
      PORT: "0",
      LOG_LEVEL: "info",
      SHUTDOWN_GRACE_MS: String(GRACE_MS),
      LOGIN_RATE_LIMIT_PER_MINUTE: "1000",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr.on("data", (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  let exitCode: number | null | undefined;
  void exited.then((code) => (exitCode = code));
  try {
    await eventually(
      async () => /MovR is serving http:\/\/\S+:\d+ on/.test(output),
      "the server to start",
      120_000,
    );
    const port = Number(/MovR is serving http:\/\/\S+:(\d+) on/.exec(output)![1]);
    await eventually(
      async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200,
      "readiness",
    );

    // An idle keep-alive connection, as a browser or a proxy keeps one.
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    let idleClosed = false;
    await new Promise<void>((resolve, reject) => {
      http
        .get({ host: "127.0.0.1", port, path: "/healthz", agent }, (res) => {
          res.resume();
          res.on("end", () => resolve());
          res.socket.on("close", () => (idleClosed = true));
        })
        .on("error", reject);
    });

    // Requests in flight: headers sent and seen (the server's "100 Continue" says the route has
    // taken them), the body not sent yet.
    const body = JSON.stringify({ username: "nobody-here", password: "not the password" });
    const login = (length: number) =>
      `POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: ${length}\r\n\r\n`;
    const inFlight = Array.from({ length: 12 }, () => rawConnection(port));
    for (const c of inFlight) {
      await c.connected;
      c.socket.write(login(body.length));
    }
    // A request in flight that never completes: the grace period has to end it.
    const stuck = rawConnection(port);
    await stuck.connected;
    stuck.socket.write(login(999));
    // A keep-alive connection with a second request begun but not finished: it arrives "late",
    // during the drain. The first request's answer says the server has read the start of the second.
    const late = rawConnection(port);
    await late.connected;
    late.socket.write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /api/v1/regions HTTP/1.1\r\nHost: x\r\n");
    for (const c of [...inFlight, stuck]) {
      await eventually(async () => c.received().startsWith("HTTP/1.1 100 Continue"), "100 Continue");
    }
    await eventually(
      async () => /"status":"ok"/.test(late.received()),
      "the first answer on the late connection",
    );

    child.kill("SIGTERM");
    const refused = () =>
      new Promise<boolean>((resolve) => {
        const s = net.connect(port, "127.0.0.1");
        s.on("connect", () => {
          s.destroy();
          resolve(false);
        });
        s.on("error", () => resolve(true));
      });
    await eventually(refused, "the server to stop accepting connections");
    await eventually(async () => idleClosed, "the idle keep-alive connection to be closed");
    expect(exitCode, "exited before requests in flight finished").toBeUndefined();

    for (const c of inFlight) c.socket.write(body);
    late.socket.write("\r\n");
    await Promise.all(inFlight.map((c) => c.closed));
    for (const c of inFlight) {
      expect(c.received().slice(0, 400)).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 401 /);
      expect(c.received()).toMatch(/\r\nconnection: close\r\n/i);
      expect(c.received()).toMatch(/"code":"unauthenticated"/);
    }
    await late.closed;
    const lateAnswer = late.received().slice(late.received().indexOf("HTTP/1.1", 10));
    expect(lateAnswer).toMatch(/^HTTP\/1\.1 503 /);
    expect(lateAnswer).toMatch(/\r\nretry-after: \d+\r\n/i);
    expect(lateAnswer).toMatch(/\r\nconnection: close\r\n/i);
    // Answered by draining's onRequest hook, still with the headers of every answer.
    expect(lateAnswer).toMatch(/\r\ncontent-security-policy: default-src 'none'/i);
    expect(lateAnswer).toMatch(/\r\nx-frame-options: DENY\r\n/i);
    expect(lateAnswer).toMatch(/\r\nx-request-id: [\w-]+\r\n/i);
    const lateBody = JSON.parse(lateAnswer.split("\r\n\r\n")[1] ?? "{}") as {
      error?: { code?: string };
    };
    expect(lateBody).toEqual({ error: { code: "unavailable", message: expect.any(String) } });

    const started = Date.now();
    expect(await exited).toBe(0);
    // Generous: the grace itself plus a busy machine's margin.
    expect(Date.now() - started).toBeLessThan(GRACE_MS + 30_000);
    await stuck.closed;
  } finally {
    if (exitCode === undefined) child.kill("SIGKILL");
  }
}, 240_000);
