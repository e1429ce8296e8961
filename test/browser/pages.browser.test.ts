// A real browser against the real server: register, log in, add a vehicle, ride someone else's,
// end the ride and find it with its fare. Saves screenshots of the main pages to
// test-artifacts/screenshots/. Chromium is Debian's (CHROMIUM_PATH, default /usr/bin/chromium).
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig, PROJECT_ROOT } from "../../src/config.ts";
import type { Database } from "../../src/db/database.ts";
import { createPromoCode } from "../../src/promo-codes/promo-code.service.ts";
import { getActiveRide, getRide, logLocation } from "../../src/rides/ride.service.ts";
import { addUser } from "../../src/users/user.service.ts";
import { addVehicle, getVehicle, type Vehicle } from "../../src/vehicles/vehicle.service.ts";
import { buildApp } from "../../src/web/app.ts";
import { dropServerDatabases, openMigrated, TARGETS, testContext } from "../support/databases.ts";

const SHOTS = path.join(PROJECT_ROOT, "test-artifacts", "screenshots");
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

// The server when one is configured (closest to production), else the embedded database.
const target = TARGETS[TARGETS.length - 1]!;

describe(`pages in Chromium on ${target.name}`, () => {
  let database: Database;
  let app: FastifyInstance;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let base: string;
  let othersBike: Vehicle;
  // A clock the test moves: the ride lasts ten minutes exactly, so its fare is known.
  let now = new Date("2026-11-24T09:00:00.000Z");
  const ctx = () => testContext(database, () => now);
  const problems: string[] = [];

  beforeAll(async () => {
    database = await openMigrated(target);
    app = await buildApp({
      config: loadConfig({ SESSION_SECRET: "x".repeat(40), LOGIN_RATE_LIMIT_PER_MINUTE: "1000" }),
      ctx: ctx(),
      logger: false,
    });
    base = (await app.listen({ host: "127.0.0.1", port: 0 })).replace("localhost", "127.0.0.1");

    const owner = await addUser(ctx(), { city: "boston", name: "Olivia Owner" });
    othersBike = await addVehicle(ctx(), {
      ownerCity: "boston",
      ownerId: owner.id,
      type: "bike",
      color: "blue",
      brand: "Trek",
      location: "Boston Common, Charles St gate",
    });
    await addVehicle(ctx(), {
      ownerCity: "boston",
      ownerId: owner.id,
      type: "scooter",
      color: "yellow",
      brand: "Segway",
      location: "Copley Square",
    });
    await createPromoCode(ctx(), {
      code: "WELCOME_15",
      description: "15% off for new riders",
      discountPercent: 15,
      expiresAt: new Date("2027-06-30T00:00:00.000Z"),
    });

    await mkdir(SHOTS, { recursive: true });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    page = await context.newPage();
    page.setDefaultTimeout(15_000);
    // A CSP violation or a script error shows up as one of these.
    page.on("console", (m) => {
      if (m.type() === "error") problems.push(m.text());
    });
    page.on("pageerror", (e) => problems.push(e.message));
  });

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await app?.close();
    await database?.close();
    await dropServerDatabases();
  });

  const shot = (name: string) => page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
  const flash = () => page.locator(".flash").innerText();

  it("registers, logs in, adds a vehicle, rides someone else's and sees the fare", async () => {
    await page.goto(`${base}/`);
    expect(new URL(page.url()).pathname).toBe("/login");
    await shot("login");

    await page.getByRole("link", { name: "Create an account" }).click();
    await page.getByLabel("Home city").selectOption("boston");
    await page.getByLabel("Name", { exact: true }).fill("Casey Rider");
    await page.getByLabel("Email").fill("casey@example.com");
    await page.getByLabel("Username", { exact: true }).fill("casey");
    await page.getByLabel("Password").fill("correct horse battery");
    await shot("register");
    await page.getByRole("button", { name: "Create my account" }).click();
    expect(await flash()).toContain("Your account is ready, Casey Rider.");
    // The username comes back filled in; the password never does.
    expect(await page.getByLabel("Username").inputValue()).toBe("casey");
    await page.getByLabel("Password").fill("correct horse battery");
    await page.getByRole("button", { name: "Log in" }).click();
    await page.waitForURL(`${base}/vehicles`);
    expect(await flash()).toBe("Welcome, Casey Rider.");
    expect(await page.getByTestId("nav-user").innerText()).toContain("Casey Rider");
    const cookies = await context.cookies();
    expect(cookies.find((c) => c.name === "movr_session")).toMatchObject({ httpOnly: true, sameSite: "Lax" });

    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Add a vehicle" }).click();
    await page.getByLabel("Type").selectOption("scooter");
    await page.getByLabel("Color").selectOption("green");
    await page.getByLabel("Brand").fill("Niu");
    await page.getByLabel("Where is it?").fill("Faneuil Hall");
    await page.getByRole("button", { name: "Add the vehicle" }).click();
    await page.waitForURL(`${base}/profile`);
    expect(await flash()).toBe("Green Niu scooter added in Boston.");
    await expect(page.getByTestId("my-vehicles").innerText()).resolves.toContain("Faneuil Hall");
    await shot("profile");

    await page.goto(`${base}/vehicles`);
    const row = page.locator(`tr[data-vehicle-id="${othersBike.id}"]`);
    await expect(row.innerText()).resolves.toContain("Boston Common");
    await shot("vehicles");
    await row.getByRole("button", { name: "Start ride" }).click();
    await page.waitForURL(`${base}/rides`);
    expect(await flash()).toContain("Your ride has started at Boston Common");
    await expect(page.getByTestId("active-ride").innerText()).resolves.toContain("Blue Trek bike");
    expect((await getVehicle(ctx(), "boston", othersBike.id)).status).toBe("in_use");

    // The phone app logs where the ride goes; here the service stands in for it.
    const endAction = await page.getByTestId("active-ride").locator("form").getAttribute("action");
    const rideId = /\/rides\/([\w-]+)\/end/.exec(endAction ?? "")?.[1];
    expect(rideId).toBeDefined();
    const { ride } = await getRide(ctx(), { city: "boston", rideId: rideId!, actor: "system" });
    const route: [number, number][] = [
      [42.3554, -71.0655],
      [42.3572, -71.0626],
      [42.3588, -71.0598],
      [42.3597, -71.0571],
      [42.3601, -71.0561],
    ];
    for (const [i, [lat, long]] of route.entries()) {
      await logLocation(ctx(), {
        city: "boston",
        rideId: ride.id,
        lat,
        long,
        actor: "system",
        at: new Date(now.getTime() + (i + 1) * 90_000),
      });
    }
    await shot("rides-active");

    now = new Date(now.getTime() + 10 * 60_000);
    await page.getByLabel("Where are you leaving it?").fill("Faneuil Hall Marketplace");
    await page.getByRole("button", { name: "End ride" }).click();
    await page.waitForURL(`${base}/rides/${ride.id}`);
    // Ten minutes on a bike: 1.00 to unlock, 0.15 a minute.
    expect(await flash()).toBe("Ride ended at Faneuil Hall Marketplace. Fare: 2.50.");
    expect(await page.getByTestId("ride-fare").innerText()).toBe("2.50");
    expect(await page.getByTestId("ride-duration").innerText()).toBe("10 min 0 s");
    expect(await page.getByTestId("route").locator("polyline").getAttribute("points")).toMatch(
      /^(\d+(\.\d)?,\d+(\.\d)? ){4}\d+(\.\d)?,\d+(\.\d)?$/,
    );
    await shot("ride");

    await page.getByRole("link", { name: "My rides" }).first().click();
    const listed = page.locator(`tr[data-ride-id="${ride.id}"]`);
    await expect(listed.locator(".fare").innerText()).resolves.toBe("2.50");
    await expect(listed.innerText()).resolves.toContain("Faneuil Hall Marketplace");
    expect(await getActiveRide(ctx(), ride.city, ride.riderId!)).toBeNull();
    await shot("rides");

    await page.getByRole("link", { name: "Promo codes" }).click();
    await page
      .getByRole("row", { name: /WELCOME_15/ })
      .getByRole("button", { name: "Apply" })
      .click();
    expect(await flash()).toBe("Promo code WELCOME_15 applied: 15% off your rides.");
    await shot("promo-codes");

    // With JavaScript, the city switch applies on change.
    await page.getByLabel("City", { exact: true }).selectOption("washington dc");
    await page.waitForURL(`${base}/vehicles?city=washington+dc`);
    expect(await page.locator("h1").innerText()).toBe("Vehicles in Washington DC");

    // Removing a vehicle asks first; accepting the question posts the form.
    await page.getByRole("link", { name: "Profile" }).click();
    const asked: string[] = [];
    page.once("dialog", (d) => {
      asked.push(d.message());
      void d.accept();
    });
    await page.getByTestId("my-vehicles").getByRole("button", { name: "Remove" }).click();
    await page.waitForURL(`${base}/profile`);
    expect(asked).toEqual(["Take this vehicle off MovR?"]);
    expect(await flash()).toBe("The vehicle is off MovR now.");
    expect(await page.getByTestId("my-vehicles").count()).toBe(0);

    await page.getByRole("button", { name: "Log out" }).click();
    await page.waitForURL(`${base}/login`);
    expect(await flash()).toBe("You have logged out.");
    await page.goto(`${base}/rides`);
    expect(new URL(page.url()).pathname).toBe("/login");

    expect(problems).toEqual([]);
  });
});
