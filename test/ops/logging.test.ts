// The logger's two formats: JSON lines for machines, pino-pretty's one-liners on a terminal.
import { Writable } from "node:stream";
import { expect, it } from "vitest";
import { createLogger, wantsPretty } from "../../src/logging/logger.ts";

class Lines extends Writable {
  text = "";
  override _write(chunk: Buffer | string, _enc: BufferEncoding, cb: () => void): void {
    this.text += chunk.toString();
    cb();
  }
}

it("auto means pretty on a terminal and JSON elsewhere; json and pretty are what they say", () => {
  expect(wantsPretty("auto", true)).toBe(true);
  expect(wantsPretty("auto", false)).toBe(false);
  expect(wantsPretty("json", true)).toBe(false);
  expect(wantsPretty("pretty", false)).toBe(true);
});

it("writes JSON lines with a level word and an ISO time", async () => {
  const out = new Lines();
  const log = await createLogger({ logLevel: "info", logFormat: "auto" }, out, false);
  log.info({ url: "http://localhost:3000" }, "MovR is serving http://localhost:3000 on PostgreSQL.");
  log.debug("not at info");
  const lines = out.text.trim().split("\n");
  expect(lines).toHaveLength(1);
  expect(JSON.parse(lines[0]!)).toMatchObject({
    level: "info",
    time: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
    url: "http://localhost:3000",
    msg: "MovR is serving http://localhost:3000 on PostgreSQL.",
  });
});

it("writes one readable line per entry in pretty format, a request as method, route, status and time", async () => {
  const out = new Lines();
  const log = await createLogger({ logLevel: "info", logFormat: "pretty" }, out, false);
  log.info({ url: "http://localhost:3000" }, "MovR is serving http://localhost:3000 on PostgreSQL.");
  log
    .child({ requestId: "abc-1" })
    .info({ method: "GET", route: "/api/v1/regions", status: 200, durationMs: 1.5 }, "request completed");
  const lines = out.text.trim().split("\n");
  expect(lines).toHaveLength(2);
  expect(lines[0]).toMatch(
    /^\[\d{2}:\d{2}:\d{2}\.\d{3}\] INFO: MovR is serving http:\/\/localhost:3000 on PostgreSQL\.$/,
  );
  expect(lines[1]).toMatch(/INFO: GET \/api\/v1\/regions 200 1\.5ms \(abc-1\)$/);
  // Not a colour escape in sight: the destination is not a terminal.
  expect(out.text).not.toContain("\u001b[");
});
