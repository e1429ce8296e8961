// Text riders type may be one long word: a name, an email, an address, a brand at their longest,
// and the messages and notes that quote such text. On a phone (390 px) none of it may push a page
// sideways. Every page that shows user text, in Chromium, with every text field at its limit.
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { login, register } from "../../src/auth/auth.service.ts";
import { endRide, startRide } from "../../src/rides/ride.service.ts";
import { addUser } from "../../src/users/user.service.ts";
import { addVehicle } from "../../src/vehicles/vehicle.service.ts";
import { LIMITS } from "../../src/shared/validation.ts";
import { launchChromium } from "../support/chromium.ts";
import { testContext } from "../support/databases.ts";
import { useTestApp } from "../support/test-app.ts";

const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true } as const;

/** How far the page is wider than the phone (0 when it fits). Not innerWidth: a phone zooms out to fit a page too wide, widening it. */
function overflowOf(page: Page): Promise<number> {
  const width = PHONE.viewport.width;
  return page.evaluate(
    (width) => Math.max(0, document.documentElement.scrollWidth - width, window.innerWidth - width),
    width,
  );
}

describe("one long word on a phone", () => {
  const t = useTestApp({ MAP_TILE_URL: "off" }, { listen: true });
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let base: string;
  let rideId: string;

  beforeAll(async () => {
    const ctx = testContext(t.database);
    const address = t.app.server.address();
    if (address === null || typeof address === "string") throw new Error("the app listens on no TCP port");
    base = `http://127.0.0.1:${address.port}`;
    const password = "long-words-password";
    const rider = await register(ctx, {
      city: "boston",
      name: "N".repeat(LIMITS.name),
      username: "u".repeat(LIMITS.username),
      email: `${"e".repeat(LIMITS.email - "@example.com".length)}@example.com`,
      password,
    });
    await addVehicle(ctx, {
      ownerCity: "boston",
      ownerId: rider.id,
      type: "scooter",
      color: "blue",
      brand: "B".repeat(LIMITS.brand),
      location: "L".repeat(LIMITS.address),
    });
    const owner = await addUser(ctx, { city: "boston", name: "O".repeat(LIMITS.name) });
    const bike = await addVehicle(ctx, {
      ownerCity: "boston",
      ownerId: owner.id,
      type: "bike",
      color: "red",
      brand: "K".repeat(LIMITS.brand),
      location: "S".repeat(LIMITS.address),
    });
    const ride = await startRide(ctx, { city: "boston", vehicleId: bike.id, riderId: rider.id });
    await endRide(ctx, {
      city: "boston",
      rideId: ride.id,
      location: "E".repeat(LIMITS.address),
      actor: "system",
    });
    rideId = ride.id;

    browser = await launchChromium();
    context = await browser.newContext({ ...PHONE, locale: "en-US" });
    const { token } = await login(ctx, { username: rider.username!, password });
    await context.addCookies([
      { name: "movr_session", value: token, url: base, httpOnly: true, sameSite: "Lax" },
    ]);
    page = await context.newPage();
  });

  afterAll(async () => {
    await context?.close();
    await browser?.close();
  });

  it("breaks it rather than widen any page", async () => {
    const wide: string[] = [];
    const visit = async (label: string, url: string) => {
      await page.goto(`${base}${url}`);
      const by = await overflowOf(page);
      if (by > 0) wide.push(`${label}: ${by} px too wide`);
    };
    for (const url of ["/vehicles", "/vehicles/new", "/profile", "/rides", `/rides/${rideId}`, "/users"])
      await visit(url, url);
    // A city MovR does not serve, quoted in the page's note.
    await visit("an unserved city", `/vehicles?city=${"Z".repeat(80)}`);
    // A message quoting what the rider typed, as "Ride ended at …" does.
    const flash = { kind: "success", text: `Ride ended at ${"E".repeat(LIMITS.address)}.` };
    await context.addCookies([
      { name: "movr_flash", value: Buffer.from(JSON.stringify(flash)).toString("base64url"), url: base },
    ]);
    await visit("a message", "/vehicles");
    // Pages the templates never see: an unknown address, a path segment over the router's limit.
    await visit("an unknown address", `/${"y".repeat(300)}`);
    await visit("an over-long segment", `/rides/${"x".repeat(300)}`);
    expect(wide).toEqual([]);
  });
});
