// A request that reaches a draining server (SIGTERM, test/web/shutdown.test.ts runs it for real)
// gets 503 with Retry-After and Connection: close: the contract's JSON for an API client, and a
// page with a sentence for a browser, as for any other outage (it was JSON for browsers too).
import { expect, it } from "vitest";
import { shutdownGracefully } from "../../src/web/shutdown.ts";
import { useTestApp } from "../support/test-app.ts";

const t = useTestApp({}, { listen: true });

it("a browser gets a page, an API client the contract's JSON, both 503 with Retry-After", async () => {
  const drained = shutdownGracefully({ app: t.app, graceMs: 2000 });
  const [page, api] = await Promise.all([
    t.app.inject({ method: "GET", url: "/vehicles", headers: { accept: "text/html" } }),
    t.app.inject({ method: "GET", url: "/api/v1/regions" }),
  ]);
  await drained;

  for (const res of [page, api]) {
    expect(res.statusCode, res.body.slice(0, 200)).toBe(503);
    expect(Number(res.headers["retry-after"])).toBeGreaterThan(0);
    expect(res.headers.connection).toBe("close");
  }
  expect(page.headers["content-type"]).toMatch(/^text\/html/);
  expect(page.body).toContain('<meta name="viewport"');
  expect(page.body).toMatch(
    /data-testid="error-message">The server is shutting down; try again in a moment\.</,
  );
  expect(api.headers["content-type"]).toMatch(/^application\/json/);
  expect(api.json()).toEqual({
    error: { code: "unavailable", message: "The server is shutting down; try again in a moment." },
  });
});
