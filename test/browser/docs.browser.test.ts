// Swagger UI at /api/docs renders under our Content-Security-Policy (no violation, no script
// error) and lists the API's operations; the browser refuses to show it in a frame elsewhere.
import type { Browser } from "playwright-core";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, expect, it } from "vitest";
import { loadConfig } from "../../src/config.ts";
import type { Database } from "../../src/db/database.ts";
import { buildApp } from "../../src/web/app.ts";
import { launchChromium } from "../support/chromium.ts";
import { openMigrated, TARGETS, testContext } from "../support/databases.ts";

let database: Database;
let app: FastifyInstance;
let browser: Browser;
let base: string;

beforeAll(async () => {
  database = await openMigrated(TARGETS[0]!);
  app = await buildApp({
    config: loadConfig({ SESSION_SECRET: "d".repeat(40) }),
    ctx: testContext(database),
    logger: false,
  });
  base = (await app.listen({ host: "127.0.0.1", port: 0 })).replace("localhost", "127.0.0.1");
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await app?.close();
  await database?.close();
});

it("Swagger UI renders with no CSP violation and cannot be framed", async () => {
  const page = await browser.newPage();
  const problems: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") problems.push(m.text());
  });
  page.on("pageerror", (e) => problems.push(e.message));
  await page.goto(`${base}/api/docs`);
  await page
    .locator(".opblock-summary-path", { hasText: "/api/v1/regions" })
    .first()
    .waitFor({ timeout: 60_000 });
  expect(problems).toEqual([]);

  // A page of another origin (data: URL) framing the docs: the browser must refuse.
  const framer = await browser.newPage();
  const blocked: string[] = [];
  framer.on("console", (m) => blocked.push(m.text()));
  await framer.setContent(`<iframe src="${base}/api/docs/static/index.html"></iframe>`);
  await expect
    .poll(() => blocked.some((t) => /frame-ancestors|X-Frame-Options|refused/i.test(t)), {
      timeout: 30_000,
    })
    .toBe(true);
  await page.close();
  await framer.close();
}, 120_000);
