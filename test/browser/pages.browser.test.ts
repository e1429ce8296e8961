// A real browser against the real server. One Chromium, two contexts (a desktop at 1280×800 and a
// phone at 390×844), reused by every test:
// - the rider's flow: register, log in, add a vehicle, ride someone else's, log where the ride
//   goes (typed, and from the browser's location), end it and find it with its fare;
// - every page at both widths: no sideways scrolling, no element out of the viewport, buttons a
//   finger can hit (44 px), and no serious or critical axe-core violation;
// - the route on map tiles (from a stand-in tile server: the test runs offline) and the drawing
//   it falls back to when tiles cannot load.
// Screenshots go to test-artifacts/screenshots/ (and to docs/screenshots/ with
// MOVR_DOCS_SCREENSHOTS=1). Chromium is Debian's (CHROMIUM_PATH, default /usr/bin/chromium).
import { copyFile, mkdir, readFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { login, register } from "../../src/auth/auth.service.ts";
import { loadConfig, PROJECT_ROOT } from "../../src/config.ts";
import type { Database } from "../../src/db/database.ts";
import { applyPromoCode, createPromoCode } from "../../src/promo-codes/promo-code.service.ts";
import { endRide, getActiveRide, getRide, logLocation, startRide } from "../../src/rides/ride.service.ts";
import { addUser } from "../../src/users/user.service.ts";
import { addVehicle, getVehicle, type Vehicle } from "../../src/vehicles/vehicle.service.ts";
import { buildApp } from "../../src/web/app.ts";
import { launchChromium } from "../support/chromium.ts";
import { dropServerDatabases, openMigrated, TARGETS, testContext } from "../support/databases.ts";

const SHOTS = path.join(PROJECT_ROOT, "test-artifacts", "screenshots");
const DOC_SHOTS = path.join(PROJECT_ROOT, "docs", "screenshots");
const WIDTHS = {
  desktop: { viewport: { width: 1280, height: 800 } },
  phone: { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true },
} as const;
type Width = keyof typeof WIDTHS;
const SECRET = "x".repeat(40);

// The server when one is configured (closest to production), else the embedded database.
const target = TARGETS[TARGETS.length - 1]!;

/** A stand-in for a tile server: a labelled grid square for every z/x/y. */
function tileServer(): Server {
  return createServer((req, res) => {
    const m = /^\/(\d+)\/(\d+)\/(\d+)\.svg$/.exec(req.url ?? "");
    if (!m) return void res.writeHead(404).end();
    res.writeHead(200, { "content-type": "image/svg+xml", "cache-control": "max-age=3600" });
    res.end(
      `<svg xmlns="http://www.w3.org/2000/svg" width="256" height="256">` +
        `<rect width="256" height="256" fill="#e9efe7"/>` +
        `<path d="M0 .5H256M.5 0V256M0 128H256M128 0V256" stroke="#cdd8c9" stroke-width="1"/>` +
        `<text x="8" y="20" font-family="sans-serif" font-size="11" fill="#7d8c79">stand-in tile ${m[1]}/${m[2]}/${m[3]}</text>` +
        `</svg>`,
    );
  });
}

const listen = (server: Server) =>
  new Promise<number>((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port)),
  );

/** What overflows the viewport sideways: the page itself, and each visible element that sticks out. */
function overflowIn(page: Page, width: number) {
  // Not window.innerWidth: a phone zooms out to fit a page that is too wide, widening it.
  return page.evaluate((width) => {
    const out: string[] = [];
    if (document.documentElement.scrollWidth > width || window.innerWidth > width) {
      out.push(`the page is ${document.documentElement.scrollWidth} px wide`);
    }
    for (const el of Array.from(document.body.querySelectorAll("*"))) {
      // Clipped on purpose: screen-reader text and the map's panes.
      if (el.closest(".sr-only, .leaflet-container, .skip-link")) continue;
      const r = el.getBoundingClientRect();
      if (r.width === 0 || r.height === 0) continue;
      if (r.right > width + 0.5 || r.left < -0.5) {
        const cls = typeof el.className === "string" && el.className ? `.${el.className.split(" ")[0]}` : "";
        out.push(
          `${el.tagName.toLowerCase()}${cls} "${(el.textContent ?? "").trim().slice(0, 30)}" spans ${Math.round(r.left)}–${Math.round(r.right)}`,
        );
      }
    }
    return out;
  }, width);
}

/** Controls a finger must hit that are under 44 px high. */
function smallTargets(page: Page) {
  return page.evaluate(() => {
    const out: string[] = [];
    const selector =
      "button, .button, summary, select, input:not([type=hidden]):not([type=checkbox]), .leaflet-bar a, .nav a";
    for (const el of Array.from(document.querySelectorAll(selector))) {
      const r = el.getBoundingClientRect();
      if (r.width === 0 || r.height === 0 || el.closest(".sr-only")) continue;
      if (r.height < 43.5)
        out.push(
          `${el.tagName.toLowerCase()} "${(el.textContent ?? "").trim().slice(0, 30)}" is ${r.height} px`,
        );
    }
    return out;
  });
}

describe(`pages in Chromium on ${target.name}`, () => {
  let database: Database;
  let app: FastifyInstance;
  let offlineApp: FastifyInstance;
  let tiles: Server;
  let browser: Browser;
  const contexts = {} as Record<Width, BrowserContext>;
  const pages = {} as Record<Width, Page>;
  let base: string;
  let offlineBase: string;
  let othersBike: Vehicle;
  let axeSource: string;
  // A clock the test moves: the ride lasts ten minutes exactly, so its fare is known.
  let now = new Date("2026-11-24T09:00:00.000Z");
  const ctx = () => testContext(database, () => now);
  const tick = (ms = 1000) => (now = new Date(now.getTime() + ms));
  const problems: string[] = [];
  /** Console errors that are the point of a test (tiles that cannot load), not problems. */
  let expectedFailures: RegExp | null = null;

  beforeAll(async () => {
    database = await openMigrated(target);
    tiles = tileServer();
    const tilePort = await listen(tiles);
    // A port nothing listens on: tiles from it fail at once, as they would offline.
    const dead = createServer();
    const deadPort = await listen(dead);
    await new Promise((resolve) => dead.close(resolve));
    const env = { SESSION_SECRET: SECRET, LOGIN_RATE_LIMIT_PER_MINUTE: "1000" };
    app = await buildApp({
      config: loadConfig({
        ...env,
        MAP_TILE_URL: `http://127.0.0.1:${tilePort}/{z}/{x}/{y}.svg`,
        MAP_TILE_ATTRIBUTION: "Stand-in tiles (test)",
      }),
      ctx: ctx(),
      logger: false,
    });
    base = (await app.listen({ host: "127.0.0.1", port: 0 })).replace("localhost", "127.0.0.1");
    offlineApp = await buildApp({
      config: loadConfig({ ...env, MAP_TILE_URL: `http://127.0.0.1:${deadPort}/{z}/{x}/{y}.png` }),
      ctx: ctx(),
      logger: false,
    });
    offlineBase = (await offlineApp.listen({ host: "127.0.0.1", port: 0 })).replace("localhost", "127.0.0.1");

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

    axeSource = await readFile(path.join(PROJECT_ROOT, "node_modules", "axe-core", "axe.min.js"), "utf8");
    await mkdir(SHOTS, { recursive: true });
    browser = await launchChromium();
    for (const width of Object.keys(WIDTHS) as Width[]) {
      contexts[width] = await browser.newContext({ ...WIDTHS[width], locale: "en-US" });
      const page = (pages[width] = await contexts[width].newPage());
      page.setDefaultTimeout(15_000);
      // A CSP violation or a script error shows up as one of these.
      page.on("console", (m) => {
        if (m.type() === "error" && !expectedFailures?.test(m.text())) problems.push(`${width}: ${m.text()}`);
      });
      page.on("pageerror", (e) => problems.push(`${width}: ${e.message}`));
    }
  });

  afterAll(async () => {
    for (const c of Object.values(contexts)) await c?.close();
    await browser?.close();
    await app?.close();
    await offlineApp?.close();
    await new Promise((resolve) => (tiles ? tiles.close(resolve) : resolve(undefined)));
    await database?.close();
    await dropServerDatabases();
  });

  const shot = async (page: Page, name: string, forDocs = false) => {
    const file = path.join(SHOTS, `${name}.png`);
    await page.screenshot({ path: file, fullPage: true });
    if (forDocs && process.env.MOVR_DOCS_SCREENSHOTS === "1") {
      await mkdir(DOC_SHOTS, { recursive: true });
      await copyFile(file, path.join(DOC_SHOTS, `${name}.png`));
    }
  };

  /** Logs a user in on both contexts by giving them the session cookie a login would set. */
  const logInEverywhere = async (username: string, password: string) => {
    const { token } = await login(ctx(), { username, password });
    for (const c of Object.values(contexts)) {
      await c.clearCookies();
      await c.addCookies([
        { name: "movr_session", value: token, url: base, httpOnly: true, sameSite: "Lax" },
      ]);
    }
  };

  it("registers, logs in, adds a vehicle, rides someone else's, logs where it goes, and sees the fare", async () => {
    const page = pages.desktop;
    const flash = () => page.locator(".flash").innerText();
    await page.goto(`${base}/`);
    expect(new URL(page.url()).pathname).toBe("/login");

    await page.getByRole("link", { name: "Create an account" }).click();
    await page.getByLabel("Home city").selectOption("boston");
    await page.getByLabel("Name", { exact: true }).fill("Casey Rider");
    await page.getByLabel("Email").fill("casey@example.com");
    await page.getByLabel("Username", { exact: true }).fill("casey");
    await page.getByLabel("Password").fill("correct horse battery");
    await page.getByRole("button", { name: "Create my account" }).click();
    expect(await flash()).toContain("Your account is ready, Casey Rider.");
    // The username comes back filled in; the password never does.
    expect(await page.getByLabel("Username").inputValue()).toBe("casey");
    await page.getByLabel("Password").fill("correct horse battery");
    await page.getByRole("button", { name: "Log in" }).click();
    await page.waitForURL(`${base}/vehicles`);
    expect(await flash()).toBe("Welcome, Casey Rider.");
    expect(await page.getByTestId("nav-user").innerText()).toContain("Casey Rider");
    const cookies = await contexts.desktop.cookies();
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

    await page.goto(`${base}/vehicles`);
    const row = page.locator(`tr[data-vehicle-id="${othersBike.id}"]`);
    await expect(row.innerText()).resolves.toContain("Boston Common");
    await row.getByRole("button", { name: "Start ride" }).click();
    await page.waitForURL(`${base}/rides`);
    expect(await flash()).toContain("Your ride has started at Boston Common");
    await expect(page.getByTestId("active-ride").innerText()).resolves.toContain("Blue Trek bike");
    expect((await getVehicle(ctx(), "boston", othersBike.id)).status).toBe("in_use");

    // The active ride's page: where am I? Typed in, it is logged without leaving the page, and
    // the route is redrawn from the server.
    await page.getByTestId("active-ride").getByRole("link", { name: "Map and location" }).click();
    const rideId = /\/rides\/([\w-]+)$/.exec(page.url())?.[1];
    expect(rideId).toBeDefined();
    const { ride } = await getRide(ctx(), { city: "boston", rideId: rideId!, actor: "system" });
    await expect(page.getByTestId("no-route").innerText()).resolves.toContain("No locations were logged");
    const typed: [string, string][] = [
      ["42.3554", "-71.0655"],
      ["42.3572", "-71,0626"],
    ];
    for (const [i, [lat, long]] of typed.entries()) {
      tick(90_000);
      await page.getByLabel("Latitude").fill(lat);
      await page.getByLabel("Longitude").fill(long);
      await page.getByRole("button", { name: "Log this location" }).click();
      await expect
        .poll(() => page.locator("[data-live]").innerText())
        .toBe(`Location logged: ${lat}, ${long.replace(",", ".")}.`);
      await expect
        .poll(() => page.getByTestId("route").getAttribute("aria-label"))
        .toContain(`${i + 1} logged`);
    }
    expect(page.url()).toBe(`${base}/rides/${ride.id}`);
    expect(await page.getByTestId("route").locator("polyline").getAttribute("points")).toMatch(
      /^\d+(\.\d)?,\d+(\.\d)? \d+(\.\d)?,\d+(\.\d)?$/,
    );
    // Nonsense is the server's to refuse, in a sentence on the page.
    await page.getByLabel("Latitude").fill("north");
    await page.getByLabel("Longitude").fill("-71");
    await page.getByRole("button", { name: "Log this location" }).click();
    await page.waitForURL(`${base}/rides/${ride.id}`);
    await expect
      .poll(() => page.getByRole("alert").innerText())
      .toBe("Latitude must be a number of degrees between -90 and 90, such as 42.3601.");

    // The browser's location, once the rider allows it.
    await contexts.desktop.grantPermissions(["geolocation"], { origin: base });
    await contexts.desktop.setGeolocation({ latitude: 42.3588, longitude: -71.0598 });
    tick(90_000);
    await page.getByRole("button", { name: "Use my location" }).click();
    await expect
      .poll(() => page.locator("[data-live]").innerText())
      .toBe("Location logged: 42.3588, -71.0598.");
    await contexts.desktop.clearPermissions();
    // And when it may not: the page says so and the typed form is the way.
    await page.getByRole("button", { name: "Use my location" }).click();
    await expect
      .poll(() => page.locator("[data-live][role=alert]").innerText())
      .toBe("This browser may not share your location. Type it in below instead.");
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe("loc-lat");

    // The phone app logs too; the page picks its points up when it next reads the route.
    for (const [lat, long] of [
      [42.3597, -71.0571],
      [42.3601, -71.0561],
    ] as const) {
      tick(90_000);
      await logLocation(ctx(), { city: "boston", rideId: ride.id, lat, long, actor: "system" });
    }
    const path = (await getRide(ctx(), { city: "boston", rideId: ride.id, actor: "system" })).path;
    expect(path.map((p) => [p.lat, p.long])).toEqual([
      [42.3554, -71.0655],
      [42.3572, -71.0626],
      [42.3588, -71.0598],
      [42.3597, -71.0571],
      [42.3601, -71.0561],
    ]);

    now = new Date("2026-11-24T09:10:00.000Z");
    await page.reload();
    await page.getByLabel("Where are you leaving it?").fill("Faneuil Hall Marketplace");
    await page.getByRole("button", { name: "End ride" }).click();
    await page.waitForURL(`${base}/rides/${ride.id}`);
    // Ten minutes on a bike: 1.00 to unlock, 0.15 a minute; Boston charges dollars.
    expect(await flash()).toBe("Ride ended at Faneuil Hall Marketplace. Fare: $2.50.");
    expect(await page.getByTestId("ride-fare").innerText()).toBe("$2.50");
    expect(await page.getByTestId("ride-duration").innerText()).toBe("10 min 0 s");
    expect(await page.getByTestId("route").locator("polyline").getAttribute("points")).toMatch(
      /^(\d+(\.\d)?,\d+(\.\d)? ){4}\d+(\.\d)?,\d+(\.\d)?$/,
    );

    await page.getByRole("link", { name: "My rides" }).first().click();
    const listed = page.locator(`tr[data-ride-id="${ride.id}"]`);
    await expect(listed.locator(".fare").innerText()).resolves.toBe("$2.50");
    await expect(listed.innerText()).resolves.toContain("Faneuil Hall Marketplace");
    expect(await getActiveRide(ctx(), ride.city, ride.riderId!)).toBeNull();

    await page.getByRole("link", { name: "Promo codes" }).click();
    await page
      .getByRole("row", { name: /WELCOME_15/ })
      .getByRole("button", { name: "Apply" })
      .click();
    expect(await flash()).toBe("Promo code WELCOME_15 applied: 15% off your rides.");

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

  it("fits every page on a phone and a desktop, with big enough buttons and no serious axe violations", async () => {
    // A rider with a bit of everything, and long words that would push a page sideways.
    const password = "correct horse battery";
    const pat = await register(ctx(), {
      city: "boston",
      name: "Patricia Montgomery-Fairweather",
      username: "pat",
      email: "patricia.montgomery-fairweather@example.com",
      password,
    });
    await addVehicle(ctx(), {
      ownerCity: "boston",
      ownerId: pat.id,
      type: "skateboard",
      color: "red",
      brand: "Supercalifragilistic",
      location: "Massachusetts-Avenue-and-Commonwealth-Avenue-north-east-corner",
    });
    await applyPromoCode(ctx(), { city: "boston", userId: pat.id, code: "WELCOME_15" });
    const owner = await addUser(ctx(), { city: "boston", name: "Oscar Owner" });
    const bike = await addVehicle(ctx(), {
      ownerCity: "boston",
      ownerId: owner.id,
      type: "bike",
      color: "black",
      brand: "Brompton",
      location: "Public Garden",
    });
    const past = await startRide(ctx(), { city: "boston", vehicleId: bike.id, riderId: pat.id });
    for (const [lat, long] of [
      [42.3505, -71.0763],
      [42.3521, -71.0712],
      [42.3549, -71.0659],
    ] as const) {
      tick(60_000);
      await logLocation(ctx(), { city: "boston", rideId: past.id, lat, long, actor: "system" });
    }
    tick(6 * 60_000);
    await endRide(ctx(), { city: "boston", rideId: past.id, location: "Park Street", actor: "system" });
    tick(60_000);
    const active = await startRide(ctx(), { city: "boston", vehicleId: bike.id, riderId: pat.id });
    for (const [lat, long] of [
      [42.3554, -71.0655],
      [42.3588, -71.0598],
      [42.3601, -71.0561],
    ] as const) {
      tick(60_000);
      await logLocation(ctx(), { city: "boston", rideId: active.id, lat, long, actor: "system" });
    }

    const loggedOut = ["/login", "/register"];
    const loggedIn: [string, string | null][] = [
      ["/vehicles", "vehicles"],
      ["/vehicles?status=all", null],
      ["/vehicles?city=paris", null],
      ["/vehicles/new", null],
      ["/rides", "rides"],
      [`/rides/${active.id}`, "ride-active-tiles"],
      [`/rides/${past.id}`, null],
      ["/profile", "profile"],
      ["/promo-codes", null],
      ["/users", null],
      ["/rides/00000000-0000-4000-8000-000000000000", null],
    ];
    const failures: string[] = [];
    const check = async (width: Width, url: string, shotName: string | null) => {
      const page = pages[width];
      // The missing ride's page is a 404 on purpose.
      expectedFailures = url.startsWith("/rides/0000") ? /status of 404/ : null;
      await page.goto(`${base}${url}`);
      if (url === `/rides/${active.id}`) await page.locator("[data-route-map].tiles-on").waitFor();
      for (const o of await overflowIn(page, WIDTHS[width].viewport.width))
        failures.push(`${width} ${url}: ${o}`);
      for (const s of await smallTargets(page)) failures.push(`${width} ${url}: ${s}`);
      // axe-core's own source, evaluated in the page (a script tag would be refused by our CSP).
      await page.evaluate(axeSource);
      const violations = await page.evaluate(async () => {
        const axe = (window as unknown as { axe: { run: (o: object) => Promise<{ violations: unknown[] }> } })
          .axe;
        const result = await axe.run({ resultTypes: ["violations"] });
        return (result.violations as { id: string; impact: string; nodes: { target: string[] }[] }[]).map(
          (v) => ({ id: v.id, impact: v.impact, where: v.nodes.map((n) => n.target.join(" ")).slice(0, 3) }),
        );
      });
      for (const v of violations) {
        if (v.impact === "serious" || v.impact === "critical") {
          failures.push(`${width} ${url}: axe ${v.impact} ${v.id} at ${v.where.join(", ")}`);
        }
      }
      if (shotName) await shot(page, `${shotName}-${width}`, true);
    };

    for (const width of Object.keys(WIDTHS) as Width[]) {
      await contexts[width].clearCookies();
      for (const url of loggedOut) await check(width, url, null);
    }
    await logInEverywhere("pat", password);
    for (const width of Object.keys(WIDTHS) as Width[]) {
      for (const [url, name] of loggedIn) await check(width, url, name);
    }
    expect(failures).toEqual([]);

    // On a phone the header folds its menu behind a button; it opens without leaving the page.
    const phone = pages.phone;
    await phone.goto(`${base}/vehicles`);
    const nav = phone.getByRole("navigation", { name: "Main" });
    expect(await nav.isVisible()).toBe(false);
    await phone.getByText("Menu", { exact: true }).click();
    expect(await nav.isVisible()).toBe(true);
    expect((await phone.locator(".topbar").boundingBox())!.height).toBeGreaterThan(200);
    // On a desktop it is simply there.
    await pages.desktop.goto(`${base}/vehicles`);
    expect(await pages.desktop.getByRole("navigation", { name: "Main" }).isVisible()).toBe(true);
    expect(await pages.desktop.getByText("Menu", { exact: true }).isVisible()).toBe(false);

    // Where tiles cannot load (here: a port nothing listens on; offline: any tile server), the
    // ride page says so and keeps the route drawing.
    expectedFailures = /Failed to load resource: net::ERR_CONNECTION_REFUSED/;
    for (const width of Object.keys(WIDTHS) as Width[]) {
      const page = pages[width];
      await page.goto(`${offlineBase}/rides/${active.id}`);
      await expect
        .poll(() => page.locator("[data-map-note]").innerText())
        .toBe("Map tiles could not be loaded: the route is drawn on its own.");
      expect(await page.getByTestId("route").isVisible()).toBe(true);
      expect(await page.locator(".leaflet-host").count()).toBe(0);
      expect(await overflowIn(page, WIDTHS[width].viewport.width)).toEqual([]);
      await shot(page, `ride-active-fallback-${width}`, true);
    }
    expectedFailures = null;
    expect(problems).toEqual([]);
  });
});
