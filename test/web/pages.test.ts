// The server-rendered pages, through app.inject with a cookie jar like a browser's: escaping of
// user-supplied text, CSRF, sessions, cookie flags, every page rendering, and the flows changing
// the database (checked through the services). PGlite always; PostgreSQL when configured.
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { authenticate, login, type AuthContext } from "../../src/auth/auth.service.ts";
import { loadConfig, type Env } from "../../src/config.ts";
import type { Database } from "../../src/db/database.ts";
import { createPromoCode, listUserPromoCodes } from "../../src/promo-codes/promo-code.service.ts";
import { getActiveRide, getRide, listMyRides, logLocation } from "../../src/rides/ride.service.ts";
import { addUser, getUser, type User } from "../../src/users/user.service.ts";
import { addVehicle, getVehicle, listOwnerVehicles } from "../../src/vehicles/vehicle.service.ts";
import { buildApp } from "../../src/web/app.ts";
import { dropServerDatabases, openMigrated, TARGETS, testContext } from "../support/databases.ts";
import { csrfOf, flashOf, signUp, Visitor } from "../support/visitor.ts";

const SECRET = "x".repeat(40);

afterAll(dropServerDatabases);

describe.each(TARGETS)("pages on $name", (target) => {
  let database: Database;
  let ctx: AuthContext;
  let app: FastifyInstance;
  let now = new Date("2026-11-24T10:00:00.000Z");
  const extraApps: FastifyInstance[] = [];

  const appWith = async (env: Env, context: AuthContext = ctx): Promise<FastifyInstance> => {
    const a = await buildApp({
      config: loadConfig({ SESSION_SECRET: SECRET, ...env }),
      ctx: context,
      logger: false,
    });
    extraApps.push(a);
    return a;
  };

  /** Somebody else's bike in Boston, made through the services. */
  const othersBike = async (location = "1 Main St", brand = "Kona") => {
    const owner = await addUser(ctx, { city: "boston", name: "Owen Owner" });
    return addVehicle(ctx, {
      ownerCity: "boston",
      ownerId: owner.id,
      type: "bike",
      color: "red",
      location,
      brand,
    });
  };

  /** Who a username is, through the auth service (every test account has the same password). */
  const userOf = async (username: string): Promise<User> =>
    (await login(ctx, { username, password: "correct horse" })).user;

  beforeAll(async () => {
    database = await openMigrated(target);
    ctx = testContext(database, () => now);
    app = await buildApp({
      config: loadConfig({ SESSION_SECRET: SECRET, LOGIN_RATE_LIMIT_PER_MINUTE: "10000" }),
      ctx,
      logger: false,
    });
  });
  afterAll(async () => {
    for (const a of extraApps) await a.close();
    await app?.close();
    await database?.close();
  });

  describe("sessions", () => {
    it("sets the session cookie HttpOnly, SameSite=Lax, Path=/, with the configured lifetime", async () => {
      const v = new Visitor(app);
      await v.submit("/register", "/register", {
        city: "boston",
        name: "Cookie Cat",
        email: "cookie@example.com",
        username: "cookie",
        password: "correct horse",
      });
      const res = await v.submit("/login", "/login", { username: "cookie", password: "correct horse" });
      const session = res.cookies.find((c) => c.name === "movr_session");
      expect(session).toMatchObject({ httpOnly: true, sameSite: "Lax", path: "/", maxAge: 14 * 24 * 3600 });
      expect(session?.secure).toBeFalsy();
      const raw = String(
        ([] as string[]).concat(res.headers["set-cookie"] ?? []).find((c) => c.startsWith("movr_session=")),
      );
      expect(raw).toMatch(/; HttpOnly/);
      expect(raw).toMatch(/; SameSite=Lax/);
    });

    it("marks the cookie Secure when configured always, or auto behind HTTPS", async () => {
      await signUp(app, { username: "secure1" });
      const login = async (a: FastifyInstance, headers: Record<string, string> = {}) => {
        const v = new Visitor(a);
        const html = (await v.get("/login", headers)).body;
        const res = await a.inject({
          method: "POST",
          url: "/login",
          headers: {
            ...headers,
            cookie: `movr_form=${v.cookies.get("movr_form")}`,
            "content-type": "application/x-www-form-urlencoded",
          },
          payload: new URLSearchParams({
            _csrf: csrfOf(html),
            username: "secure1",
            password: "correct horse",
          }).toString(),
        });
        return res.cookies.find((c) => c.name === "movr_session");
      };
      expect((await login(await appWith({ COOKIE_SECURE: "always" })))?.secure).toBe(true);
      expect((await login(await appWith({ COOKIE_SECURE: "never" })))?.secure).toBeFalsy();
      const proxied = await appWith({ COOKIE_SECURE: "auto", TRUST_PROXY: "1" });
      expect((await login(proxied, { "x-forwarded-proto": "https" }))?.secure).toBe(true);
      expect((await login(proxied, { "x-forwarded-proto": "http" }))?.secure).toBeFalsy();
      const ttl = await appWith({ SESSION_TTL_HOURS: "2" });
      expect((await login(ttl))?.maxAge).toBe(7200);
    });

    it("refuses a wrong password with a sentence, and keeps the username typed", async () => {
      await signUp(app, { username: "wrongpw" });
      const v = new Visitor(app);
      const res = await v.submit("/login", "/login", { username: "wrongpw", password: "not the one" });
      expect(res.statusCode).toBe(303);
      expect(v.cookies.has("movr_session")).toBe(false);
      const page = await v.follow(res);
      expect(flashOf(page.body)).toBe("That username and password do not match.");
      expect(page.body).toContain('value="wrongpw"');
    });

    it("logging out revokes the session: the old cookie no longer works, for pages or forms", async () => {
      const v = await signUp(app, { username: "leaver" });
      const oldCookie = v.cookies.get("movr_session")!;
      const vehiclesPage = await v.get("/vehicles/new");
      const oldCsrf = csrfOf(vehiclesPage.body);
      const out = await v.post("/logout", { _csrf: oldCsrf });
      expect(out.statusCode).toBe(303);
      expect(out.headers.location).toBe("/login");
      expect(v.cookies.has("movr_session")).toBe(false);
      expect(flashOf((await v.follow(out)).body)).toBe("You have logged out.");
      expect(await authenticate(ctx, oldCookie)).toBeUndefined();

      const replay = new Visitor(app);
      replay.cookies.set("movr_session", oldCookie);
      const page = await replay.get("/vehicles");
      expect(page.statusCode).toBe(302);
      expect(page.headers.location).toBe("/login?next=%2Fvehicles");
      const add = await replay.post("/vehicles", {
        _csrf: oldCsrf,
        type: "bike",
        color: "red",
        location: "Nowhere",
      });
      expect(add.statusCode).toBe(303);
      expect(add.headers.location).toBe("/login");
      const me = await userOf("leaver");
      expect(await listOwnerVehicles(ctx, me.city, me.id)).toEqual([]);
    });

    it("sends visitors without a session to the login page, and back where they were going", async () => {
      const v = new Visitor(app);
      for (const url of ["/vehicles", "/vehicles/new", "/rides", "/profile", "/promo-codes"]) {
        const res = await v.get(url);
        expect(res.statusCode, url).toBe(302);
        expect(res.headers.location, url).toBe(`/login?next=${encodeURIComponent(url)}`);
      }
      expect((await v.get("/")).headers.location).toBe("/login");
      const rideUrl = "/rides/00000000-0000-4000-8000-000000000000";
      expect((await v.get(rideUrl)).headers.location).toBe(`/login?next=${encodeURIComponent(rideUrl)}`);

      await signUp(app, { username: "returner" });
      const login = await v.get("/login?next=%2Fpromo-codes");
      expect(login.body).toContain('name="next" value="/promo-codes"');
      const res = await v.post("/login", {
        _csrf: csrfOf(login.body),
        username: "returner",
        password: "correct horse",
        next: "/promo-codes",
      });
      expect(res.headers.location).toBe("/promo-codes");
      // Never off-site, however the address is spelled.
      for (const next of ["//evil.example/x", "https://evil.example", "/\\evil.example"]) {
        const again = new Visitor(app);
        const html = (await again.get("/login")).body;
        const r = await again.post("/login", {
          _csrf: csrfOf(html),
          username: "returner",
          password: "correct horse",
          next,
        });
        expect(r.headers.location, next).toBe("/vehicles");
      }
    });

    it("rate limits the login form per client, with a readable page", async () => {
      const limited = await appWith({ LOGIN_RATE_LIMIT_PER_MINUTE: "2" });
      const v = new Visitor(limited);
      const html = (await v.get("/login")).body;
      const attempt = () =>
        v.post("/login", { _csrf: csrfOf(html), username: "nobody", password: "whatever1" });
      expect((await attempt()).statusCode).toBe(303);
      expect((await attempt()).statusCode).toBe(303);
      const third = await attempt();
      expect(third.statusCode).toBe(429);
      expect(third.headers["content-type"]).toMatch(/^text\/html/);
      expect(third.body).toContain("Too many attempts");
    });
  });

  describe("CSRF", () => {
    it("refuses a cookie-authenticated POST without the token, or with another session's", async () => {
      const v = await signUp(app, { username: "csrfvictim" });
      const other = await signUp(app, { username: "csrfother" });
      const otherToken = csrfOf((await other.get("/vehicles/new")).body);
      const form = { type: "bike", color: "red", location: "Somewhere" };
      const extras: Record<string, string>[] = [
        {},
        { _csrf: "" },
        { _csrf: "forged" },
        { _csrf: otherToken },
      ];
      for (const extra of extras) {
        const res = await v.post("/vehicles", { ...form, ...extra });
        expect(res.statusCode).toBe(403);
        expect(res.headers["content-type"]).toMatch(/^text\/html/);
        expect(res.body).toContain("This form has expired or did not come from MovR");
        expect(res.body).not.toMatch(/DomainError|at .*\.ts:\d+/);
      }
      const me = await userOf("csrfvictim");
      expect(await listOwnerVehicles(ctx, me.city, me.id)).toEqual([]);
      // Logging out is a form too: without the token the session survives.
      expect((await v.post("/logout", {})).statusCode).toBe(403);
      expect(await authenticate(ctx, v.cookies.get("movr_session")!)).toBeDefined();
      // With the page's token the same form goes through.
      const ok = await v.submit("/vehicles/new", "/vehicles", form);
      expect(ok.statusCode).toBe(303);
      expect(await listOwnerVehicles(ctx, me.city, me.id)).toHaveLength(1);
    });

    it("refuses the login and register forms without their form token", async () => {
      await signUp(app, { username: "loginforgery" });
      const v = new Visitor(app);
      const login = await v.post("/login", { username: "loginforgery", password: "correct horse" });
      expect(login.statusCode).toBe(403);
      expect(login.body).toContain("This form has expired");
      expect(v.cookies.has("movr_session")).toBe(false);
      await v.get("/login");
      const wrong = await v.post("/login", {
        _csrf: "A".repeat(43),
        username: "loginforgery",
        password: "correct horse",
      });
      expect(wrong.statusCode).toBe(403);
      const reg = await v.post("/register", {
        city: "boston",
        name: "Forged",
        email: "forged@example.com",
        username: "forged",
        password: "correct horse",
      });
      expect(reg.statusCode).toBe(403);
      await expect(userOf("forged")).rejects.toThrow(/do not match/);
    });
  });

  describe("escaping", () => {
    const NAME = `<script>alert("name")</script>`;
    const BRAND = `<img src=x onerror=alert(1)>`;
    const LOCATION = `"><script>alert('where')</script>`;
    const END = `<iframe src="//evil.example">`;
    const DESCRIPTION = `<b onmouseover=alert(1)>Half off</b>`;
    const PAYLOADS = [NAME, BRAND, LOCATION, END, DESCRIPTION];
    const escaped = (s: string) =>
      s
        .replace(/&/g, "&amp;")
        .replace(/</g, "&lt;")
        .replace(/>/g, "&gt;")
        .replace(/"/g, "&quot;")
        .replace(/'/g, "&#39;");

    const expectSafe = (html: string, url: string) => {
      for (const p of PAYLOADS) expect(html, `${url} shows ${p} raw`).not.toContain(p);
      expect(html, url).not.toMatch(/<script>alert|<img src=x|<iframe|<b onmouseover/);
    };

    it("escapes a user's name and a vehicle's brand and location on every page that shows them", async () => {
      await createPromoCode(ctx, { code: "ESCAPE_10", description: DESCRIPTION, discountPercent: 10 });
      const v = await signUp(app, { username: "mallory", name: NAME });
      const add = await v.submit("/vehicles/new", "/vehicles", {
        type: "scooter",
        color: "blue",
        brand: BRAND,
        location: LOCATION,
      });
      const profile = await v.follow(add);
      expect(flashOf(profile.body)).toContain("&lt;img src=x");
      const me = await userOf("mallory");
      const [mine] = await listOwnerVehicles(ctx, me.city, me.id);
      expect(mine).toMatchObject({ brand: BRAND, location: LOCATION });

      // Ride it (riding one's own vehicle is allowed), ending at another hostile address.
      const start = await v.submit("/vehicles", "/rides", { vehicleId: mine!.id });
      expect(start.headers.location).toBe("/rides");
      const ridesPage = await v.follow(start);
      const active = (await getActiveRide(ctx, me.city, me.id))!;
      const end = await v.post(`/rides/${active.id}/end`, { _csrf: csrfOf(ridesPage.body), location: END });
      const ridePage = await v.follow(end);
      expect(flashOf(ridePage.body)).toContain(escaped(END));

      const pages = [
        "/vehicles",
        "/vehicles?status=all",
        "/vehicles/new",
        "/profile",
        "/rides",
        `/rides/${active.id}`,
        "/promo-codes",
      ];
      const seen = new Map<string, string>();
      for (const url of pages) {
        const res = await v.get(url);
        expect(res.statusCode, url).toBe(200);
        expectSafe(res.body, url);
        expect(res.body, `${url} names the user`).toContain(escaped(NAME));
        seen.set(url, res.body);
      }
      expect(seen.get("/vehicles")).toContain(escaped(BRAND));
      expect(seen.get("/vehicles")).toContain(escaped(END)); // where the scooter was left
      expect(seen.get("/profile")).toContain(escaped(BRAND));
      expect(seen.get("/profile")).toContain(escaped(END));
      expect(seen.get("/rides")).toContain(escaped(LOCATION)); // where the ride started
      expect(seen.get("/rides")).toContain(escaped(END));
      expect(seen.get(`/rides/${active.id}`)).toContain(escaped(LOCATION));
      expect(seen.get(`/rides/${active.id}`)).toContain(escaped(BRAND));
      expect(seen.get("/promo-codes")).toContain(escaped(DESCRIPTION));

      // Another rider sees mallory's vehicle, escaped, on the vehicles page.
      const bob = await signUp(app, { username: "bob_escape" });
      const list = await bob.get("/vehicles");
      expectSafe(list.body, "bob /vehicles");
      expect(list.body).toContain(escaped(BRAND));
    });

    it("escapes what a failed form puts back, and the welcome flash", async () => {
      const v = new Visitor(app);
      const res = await v.submit("/register", "/register", {
        city: "boston",
        name: NAME,
        email: "not-an-email",
        username: "xss_form",
        password: "correct horse",
      });
      const again = await v.follow(res);
      expect(flashOf(again.body)).toBe("email is not an email address.");
      expectSafe(again.body, "/register");
      expect(again.body).toContain(`value="${escaped(NAME)}"`);
      expect(again.body).not.toContain("correct horse");

      const ok = await v.post("/register", {
        _csrf: csrfOf(again.body),
        city: "boston",
        name: NAME,
        email: "xss@example.com",
        username: "xss_form",
        password: "correct horse",
      });
      const login = await v.follow(ok);
      expectSafe(login.body, "/login");
      expect(flashOf(login.body)).toContain(escaped(NAME));
    });
  });

  describe("the flash cookie", () => {
    it("fits a browser's 4096-byte cookie limit whatever was typed: the refusal always arrives", async () => {
      const v = new Visitor(app);
      const long = "\u{1F600}".repeat(300); // 1,200 bytes of UTF-8 in each field
      const res = await v.submit("/register", "/register", {
        city: long,
        name: long,
        email: long,
        username: long,
        password: "correct horse",
      });
      expect(res.statusCode).toBe(303);
      const flash = res.cookies.find((c) => c.name === "movr_flash");
      expect(flash).toBeDefined();
      // RFC 6265 section 6.1: browsers keep at least 4096 bytes of name, value and attributes.
      const setCookie = [res.headers["set-cookie"] ?? []].flat().find((h) => h.startsWith("movr_flash="));
      expect(Buffer.byteLength(setCookie ?? "")).toBeLessThanOrEqual(4096);
      const again = await v.follow(res);
      expect(flashOf(again.body)).toMatch(/must be at most|Choose your home city/);
    });
  });

  describe("every page", () => {
    it("renders for a logged-in user, with the security headers and a CSRF field in every form", async () => {
      const v = await signUp(app, { username: "tourist", name: "Terry Tourist" });
      const bike = await othersBike("2 Tour St");
      const start = await v.submit("/vehicles", "/rides", { vehicleId: bike.id });
      expect(start.headers.location).toBe("/rides");
      const me = await userOf("tourist");
      const ride = (await getActiveRide(ctx, me.city, me.id))!;
      const urls = [
        "/vehicles",
        "/vehicles?city=paris",
        "/vehicles?type=scooter&status=in_use",
        "/vehicles/new",
        "/rides",
        `/rides/${ride.id}`,
        "/profile",
        "/promo-codes",
        "/users",
        "/register",
      ];
      for (const url of urls) {
        const res = await v.get(url);
        expect(res.statusCode, url).toBe(200);
        expect(res.headers["content-type"], url).toBe("text/html; charset=utf-8");
        expect(res.headers["content-security-policy"], url).toContain("default-src 'none'");
        expect(res.headers["cache-control"], url).toBe("no-store");
        expect(res.body, url).toContain("Terry Tourist");
        const forms = res.body.match(/<form [^>]*method="post"[^>]*>[\s\S]*?<\/form>/g) ?? [];
        expect(forms.length, url).toBeGreaterThan(0);
        for (const f of forms)
          expect(f, `${url}: ${f.slice(0, 80)}`).toMatch(/name="_csrf" value="[\w-]{20,}"/);
      }
      expect((await v.get("/")).headers.location).toBe("/vehicles");
      expect((await v.get("/login")).headers.location).toBe("/vehicles");
      for (const asset of [
        "/assets/movr.css",
        "/assets/movr.js",
        "/assets/ride.js",
        "/assets/favicon.svg",
        "/assets/leaflet/leaflet.js",
        "/assets/leaflet/leaflet.css",
      ]) {
        expect((await v.get(asset)).statusCode, asset).toBe(200);
      }
    });

    it("keeps the chosen city in a cookie, within the instance's region", async () => {
      const v = await signUp(app, { username: "traveller" });
      const paris = await v.get("/vehicles?city=paris");
      expect(paris.body).toContain("<h1>Vehicles in Paris</h1>");
      expect(paris.body).toContain("Region europe-west");
      expect((await v.get("/vehicles")).body).toContain("<h1>Vehicles in Paris</h1>");
      expect((await v.get("/vehicles?city=atlantis")).body).toContain("<h1>Vehicles in Paris</h1>");
      // Away from home the vehicles show, but there is no "start ride" button.
      const owner = await addUser(ctx, { city: "paris", name: "Pierre" });
      await addVehicle(ctx, {
        ownerCity: "paris",
        ownerId: owner.id,
        type: "bike",
        color: "green",
        location: "Quai 1",
      });
      const away = await v.get("/vehicles?city=paris");
      expect(away.body).toContain("Quai 1");
      expect(away.body).not.toContain("Start ride");

      const west = await appWith({ REGION: "us-west" });
      const w = new Visitor(west);
      const reg = (await w.get("/register")).body;
      expect(reg).toContain('value="seattle"');
      expect(reg).not.toContain('value="boston"');
      const refused = await w.post("/register", {
        _csrf: csrfOf(reg),
        city: "boston",
        name: "East",
        email: "east@example.com",
        username: "east_in_west",
        password: "correct horse",
      });
      expect(flashOf((await w.follow(refused)).body)).toBe("Choose your home city from the list.");
      const seattle = await signUp(west, { username: "seattleite", city: "seattle" });
      const page = await seattle.get("/vehicles?city=paris");
      expect(page.body).toContain("<h1>Vehicles in Seattle</h1>");
      expect(page.body).toContain("Region us-west");
      expect(page.body).not.toContain('value="paris"');
    });

    it("renders service refusals as sentences and unknown things as a 404 page", async () => {
      const v = await signUp(app, { username: "prober" });
      const bad = await v.get("/vehicles?type=plane");
      expect(bad.statusCode).toBe(400);
      expect(bad.body).toContain("type must be one of bike, scooter, skateboard.");
      const missing = await v.get("/rides/00000000-0000-4000-8000-000000000000");
      expect(missing.statusCode).toBe(404);
      expect(missing.body).toContain("That ride was not found.");
      expect(missing.headers["content-type"]).toMatch(/^text\/html/);
    });

    it("renders an unexpected error as a plain page that says nothing of its cause", async () => {
      let broken = false;
      const flaky: AuthContext = {
        ...ctx,
        clock: () => {
          if (broken) throw new TypeError("secret detail: cannot read property of /srv/movr/x.ts:12");
          return now;
        },
      };
      const a = await appWith({}, flaky);
      const v = await signUp(a, { username: "unlucky" });
      broken = true;
      const res = await v.get("/vehicles");
      broken = false;
      expect(res.statusCode).toBe(500);
      expect(res.headers["content-type"]).toMatch(/^text\/html/);
      expect(res.body).toContain("Something went wrong on our side; try again.");
      expect(res.body).not.toMatch(/secret detail|TypeError|\.ts:\d+|at /);
    });
  });

  describe("riders on phones: locations, maps, money, riders of a city", () => {
    it("logs a location from the ride page's form (no script needed), refusing bad input in a sentence", async () => {
      const v = await signUp(app, { username: "walker" });
      const me = await userOf("walker");
      const bike = await othersBike("Walk St");
      await v.submit("/vehicles", "/rides", { vehicleId: bike.id });
      const ride = (await getActiveRide(ctx, me.city, me.id))!;
      const page = await v.get(`/rides/${ride.id}`);
      expect(page.body).toContain(`action="/rides/${ride.id}/locations"`);
      expect(page.body).toMatch(/<label for="loc-lat">Latitude<\/label>/);

      const logged = await v.post(`/rides/${ride.id}/locations`, {
        _csrf: csrfOf(page.body),
        lat: " 42.3601 ",
        long: "-71,0589",
      });
      expect(logged.headers.location).toBe(`/rides/${ride.id}`);
      const after = await v.follow(logged);
      expect(flashOf(after.body)).toBe("Location logged: 42.3601, -71,0589.");
      expect(after.body).toContain("1 logged locations");
      const { path } = await getRide(ctx, { city: "boston", rideId: ride.id, actor: "system" });
      expect(path.map((p) => [p.lat, p.long])).toEqual([[42.3601, -71.0589]]);

      for (const [lat, long, sentence] of [
        ["north", "-71", "Latitude must be a number of degrees between -90 and 90, such as 42.3601."],
        ["91", "-71", "Latitude must be a number of degrees between -90 and 90, such as 42.3601."],
        ["42", "", "Longitude must be a number of degrees between -180 and 180, such as -71.0589."],
        ["42", "1e2", "Longitude must be a number of degrees between -180 and 180, such as -71.0589."],
      ] as const) {
        now = new Date(now.getTime() + 1000);
        const bad = await v.post(`/rides/${ride.id}/locations`, { _csrf: csrfOf(page.body), lat, long });
        const back = await v.follow(bad);
        expect(flashOf(back.body), `${lat} ${long}`).toBe(sentence);
        // What was typed comes back, escaped.
        expect(back.body).toContain(`value="${lat}"`);
      }
      // Without the form's token, nothing is logged; someone else's ride is not theirs to log.
      expect((await v.post(`/rides/${ride.id}/locations`, { lat: "1", long: "1" })).statusCode).toBe(403);
      const other = await signUp(app, { username: "snoop" });
      now = new Date(now.getTime() + 1000);
      const snooped = await other.submit("/rides", `/rides/${ride.id}/locations`, { lat: "1", long: "1" });
      expect(flashOf((await other.follow(snooped)).body)).toBe("Only the rider of a ride can do that.");
      expect((await getRide(ctx, { city: "boston", rideId: ride.id, actor: "system" })).path).toHaveLength(1);
      await v.submit(`/rides/${ride.id}`, `/rides/${ride.id}/end`, { location: "Walk End" });
    });

    it("shows fares in the city's currency, written in the reader's language", async () => {
      const v = await signUp(app, { username: "parisien", city: "paris" });
      const me = await userOf("parisien");
      const owner = await addUser(ctx, { city: "paris", name: "Odile Owner" });
      const bike = await addVehicle(ctx, {
        ownerCity: "paris",
        ownerId: owner.id,
        type: "bike",
        color: "blue",
        location: "Louvre",
      });
      await v.submit("/vehicles", "/rides", { vehicleId: bike.id });
      const ride = (await getActiveRide(ctx, me.city, me.id))!;
      now = new Date(now.getTime() + 10 * 60_000);
      const page = await v.get("/rides");
      const end = await v.post(`/rides/${ride.id}/end`, { _csrf: csrfOf(page.body), location: "Orsay" });
      const fr = { "accept-language": "fr-FR,fr;q=0.9,en;q=0.5" };
      const shown = await v.get(String(end.headers.location), fr);
      // 1.00 + 10 x 0.15 = 2.50 euros; French puts the sign after, with a no-break space.
      expect(flashOf(shown.body)).toBe("Ride ended at Orsay. Fare: €2.50.");
      expect(shown.body).toContain('data-testid="ride-fare">2,50\u00a0€<');
      expect((await v.get("/rides", fr)).body).toContain('class="num fare">2,50\u00a0€<');
      expect((await v.get("/rides", { "accept-language": "de-DE;q=0.8, xx-nope" })).body).toContain(
        'class="num fare">2,50\u00a0€<',
      );
      expect((await v.get("/rides")).body).toContain('class="num fare">€2.50<');
    });

    it("lists the riders of a city by name only, a page at a time", async () => {
      const v = await signUp(app, { username: "roman", city: "rome" });
      const secret = {
        email: "secret.person@example.com",
        address: "Via Segreta 7",
        creditCard: "4111111111111111",
      };
      await addUser(ctx, { city: "rome", name: "Aldo Rossi", ...secret });
      for (let i = 0; i < 55; i++)
        await addUser(ctx, { city: "rome", name: `Rider ${String(i).padStart(2, "0")}` });
      await addUser(ctx, { city: "paris", name: "Pierre Elsewhere" });
      const first = await v.get("/users?city=rome");
      expect(first.statusCode).toBe(200);
      expect(first.body).toContain("<h1>Riders in Rome</h1>");
      const names = (html: string) => [...html.matchAll(/<li>([^<]*)<\/li>/g)].map((m) => m[1]);
      const page1 = names(first.body);
      expect(page1).toHaveLength(50);
      expect(page1[0]).toBe("Aldo Rossi");
      const next = /href="(\/users\?city=rome&amp;after=[^"]+)"/.exec(first.body)?.[1];
      expect(next).toBeDefined();
      const page2 = names((await v.get(next!.replaceAll("&amp;", "&"))).body);
      // 1 + 55 + the visitor herself, Rita Rider.
      expect([...page1, ...page2].sort()).toEqual(
        [
          "Aldo Rossi",
          "Rita Rider",
          ...Array.from({ length: 55 }, (_, i) => `Rider ${String(i).padStart(2, "0")}`),
        ].sort(),
      );
      for (const html of [first.body]) {
        for (const s of Object.values(secret)) expect(html).not.toContain(s);
        expect(html).not.toContain("roman@example.com");
        expect(html).not.toContain("Pierre Elsewhere");
      }
    });

    it("pages the promo codes on offer, as the JSON API does with limit and after", async () => {
      const v = await signUp(app, { username: "bargain" });
      for (let i = 0; i < 30; i++) {
        await createPromoCode(ctx, { code: `ZZ_PAGE_${String(i).padStart(2, "0")}`, discountPercent: 5 });
      }
      const codesOn = (html: string) =>
        [...html.matchAll(/<td class="title"><code>([^<]+)<\/code>/g)].map((m) => m[1]);
      const first = await v.get("/promo-codes");
      expect(codesOn(first.body)).toHaveLength(25);
      const more = /href="(\/promo-codes\?after=[^"]+)"[^>]*>More codes/.exec(first.body)?.[1];
      expect(more).toBeDefined();
      const second = await v.get(more!);
      const all = [...codesOn(first.body), ...codesOn(second.body)];
      expect(new Set(all).size).toBe(all.length);
      for (let i = 0; i < 30; i++) expect(all).toContain(`ZZ_PAGE_${String(i).padStart(2, "0")}`);

      const api = async (url: string) => {
        const res = await app.inject({ method: "GET", url });
        expect(res.statusCode, url).toBe(200);
        return res.json() as { promoCodes: { code: string }[]; next: string | null };
      };
      const two = await api("/api/v1/promo-codes?limit=2");
      expect(two.promoCodes).toHaveLength(2);
      expect(two.next).toEqual(expect.any(String));
      const following = await api(`/api/v1/promo-codes?limit=2&after=${two.next}`);
      expect(following.promoCodes).toHaveLength(2);
      expect(following.promoCodes.map((c) => c.code)).not.toContain(two.promoCodes[0]!.code);
      expect((await api("/api/v1/promo-codes")).promoCodes).toHaveLength(25);
      const bad = await app.inject({ method: "GET", url: "/api/v1/promo-codes?limit=101" });
      expect(bad.statusCode).toBe(400);
      const forged = await app.inject({ method: "GET", url: "/api/v1/promo-codes?after=Zm9v" });
      expect(forged.statusCode).toBe(400);
    });

    it("lets map tiles through the CSP from MAP_TILE_URL's origin only, and leaves them out when off", async () => {
      const tiled = await appWith({ MAP_TILE_URL: "https://{s}.tiles.example.net/{z}/{x}/{y}.png" });
      const v = await signUp(tiled, { username: "tiler" });
      const me = await userOf("tiler");
      await v.submit("/vehicles", "/rides", { vehicleId: (await othersBike("Tile St")).id });
      const ride = (await getActiveRide(ctx, me.city, me.id))!;
      const page = await v.get(`/rides/${ride.id}`);
      expect(page.headers["content-security-policy"]).toContain(
        "img-src 'self' data: https://a.tiles.example.net https://b.tiles.example.net https://c.tiles.example.net;",
      );
      expect(page.headers["content-security-policy"]).toContain("connect-src 'self'");
      expect(page.body).toContain('data-tiles="https://{s}.tiles.example.net/{z}/{x}/{y}.png"');
      expect(page.body).toContain('<script src="/assets/leaflet/leaflet.js" defer></script>');

      // The default: OpenStreetMap's tile server, credited as its usage policy asks.
      const byDefault = new Visitor(app);
      for (const [k, c] of v.cookies) byDefault.cookies.set(k, c);
      const osm = await byDefault.get(`/rides/${ride.id}`);
      expect(osm.headers["content-security-policy"]).toContain(
        "img-src 'self' data: https://tile.openstreetmap.org;",
      );
      expect(osm.body).toContain('data-tiles="https://tile.openstreetmap.org/{z}/{x}/{y}.png"');
      expect(osm.body).toContain('data-attribution="© OpenStreetMap contributors"');
      expect(osm.body).toContain('data-attribution-url="https://www.openstreetmap.org/copyright"');

      // The same session on an instance with tiles off: the drawing only, and no tile origin.
      const off = await appWith({ MAP_TILE_URL: "off" });
      const w = new Visitor(off);
      for (const [k, c] of v.cookies) w.cookies.set(k, c);
      const offPage = await w.get(`/rides/${ride.id}`);
      expect(offPage.statusCode).toBe(200);
      expect(offPage.headers["content-security-policy"]).toContain("img-src 'self' data:;");
      expect(offPage.body).not.toContain("leaflet");
      expect(offPage.body).not.toContain("data-tiles");
      expect(offPage.body).toContain("Map tiles are off on this server: the route is drawn on its own.");
      await v.submit(`/rides/${ride.id}`, `/rides/${ride.id}/end`, { location: "Tile End" });
    });
  });

  describe("flows", () => {
    it("adds a vehicle in the home city and removes it; nobody else can remove it", async () => {
      const v = await signUp(app, { username: "ownerflow", city: "seattle" });
      const form = await v.get("/vehicles/new");
      expect(form.body).toContain("your home city, Seattle");
      const add = await v.post("/vehicles", {
        _csrf: csrfOf(form.body),
        type: "skateboard",
        color: "green",
        brand: "Sector 9",
        location: "Pike Place",
      });
      expect(add.headers.location).toBe("/profile");
      const profile = await v.follow(add);
      expect(flashOf(profile.body)).toBe("Green Sector 9 skateboard added in Seattle.");
      const me = await userOf("ownerflow");
      const [vehicle] = await listOwnerVehicles(ctx, "seattle", me.id);
      expect(vehicle).toMatchObject({
        city: "seattle",
        type: "skateboard",
        brand: "Sector 9",
        location: "Pike Place",
      });
      expect((await getUser(ctx, "seattle", me.id)).isOwner).toBe(true);

      const invalid = await v.submit("/vehicles/new", "/vehicles", {
        type: "bike",
        color: "red",
        location: " ",
      });
      const back = await v.follow(invalid);
      expect(invalid.headers.location).toBe("/vehicles/new");
      expect(flashOf(back.body)).toBe("location must not be empty.");

      const thief = await signUp(app, { username: "thief", city: "seattle" });
      const steal = await thief.submit("/profile", `/vehicles/${vehicle!.id}/remove`, {});
      expect(flashOf((await thief.follow(steal)).body)).toBe("Only the owner of a vehicle can remove it.");
      expect((await getVehicle(ctx, "seattle", vehicle!.id)).status).toBe("available");

      const remove = await v.submit("/profile", `/vehicles/${vehicle!.id}/remove`, {});
      expect(flashOf((await v.follow(remove)).body)).toBe("The vehicle is off MovR now.");
      expect((await getVehicle(ctx, "seattle", vehicle!.id)).status).toBe("removed");
      expect(await listOwnerVehicles(ctx, "seattle", me.id)).toEqual([]);
    });

    it("starts a ride, refuses a second, ends it with the fare, and shows it newest first", async () => {
      const v = await signUp(app, { username: "rider1" });
      const me = await userOf("rider1");
      const bike = await othersBike("10 Start St");
      const list = await v.get("/vehicles");
      expect(list.body).toContain(`data-vehicle-id="${bike.id}"`);
      const start = await v.post("/rides", { _csrf: csrfOf(list.body), vehicleId: bike.id });
      const rides = await v.follow(start);
      expect(flashOf(rides.body)).toBe("Your ride has started at 10 Start St. Enjoy!");
      const active = (await getActiveRide(ctx, me.city, me.id))!;
      expect(active).toMatchObject({ vehicleId: bike.id, startLocation: "10 Start St" });
      expect((await getVehicle(ctx, "boston", bike.id)).status).toBe("in_use");
      expect(rides.body).toContain('data-testid="active-ride"');

      // The database, not the browser, knows about the active ride: a second start is refused.
      const other = await othersBike("11 Start St");
      const second = await v.post("/rides", { _csrf: csrfOf(rides.body), vehicleId: other.id });
      expect(flashOf((await v.follow(second)).body)).toBe("You already have an active ride; end it first.");
      expect((await getVehicle(ctx, "boston", other.id)).status).toBe("available");

      // Nobody else can end it.
      const intruder = await signUp(app, { username: "intruder" });
      const hijack = await intruder.submit("/rides", `/rides/${active.id}/end`, { location: "Far away" });
      expect(flashOf((await intruder.follow(hijack)).body)).toBe("Only the rider of a ride can do that.");
      expect((await intruder.get(`/rides/${active.id}`)).statusCode).toBe(404);

      now = new Date(now.getTime() + 10 * 60_000);
      const empty = await v.post(`/rides/${active.id}/end`, { _csrf: csrfOf(rides.body), location: "" });
      expect(flashOf((await v.follow(empty)).body)).toBe("location must not be empty.");
      const end = await v.post(`/rides/${active.id}/end`, {
        _csrf: csrfOf(rides.body),
        location: "20 End Ave",
      });
      expect(end.headers.location).toBe(`/rides/${active.id}`);
      const ridePage = await v.follow(end);
      // 10 minutes on a bike: 1.00 + 10 x 0.15.
      expect(flashOf(ridePage.body)).toBe("Ride ended at 20 End Ave. Fare: $2.50.");
      expect(ridePage.body).toMatch(/data-testid="ride-fare">\$2\.50</);
      expect(ridePage.body).toMatch(/data-testid="ride-duration">10 min 0 s</);
      expect((await getRide(ctx, { city: "boston", rideId: active.id, actor: "system" })).ride).toMatchObject(
        {
          revenue: "2.50",
          endLocation: "20 End Ave",
        },
      );
      expect(await getActiveRide(ctx, me.city, me.id)).toBeNull();
      expect(await getVehicle(ctx, "boston", bike.id)).toMatchObject({
        status: "available",
        location: "20 End Ave",
      });

      const again = await v.post(`/rides/${active.id}/end`, { _csrf: csrfOf(rides.body), location: "x" });
      expect(flashOf((await v.follow(again)).body)).toBe("That ride has already ended.");

      // A second ride, later: the rides page lists it first.
      now = new Date(now.getTime() + 60_000);
      await v.submit("/vehicles", "/rides", { vehicleId: other.id });
      const page = (await v.get("/rides")).body;
      const ids = [...page.matchAll(/data-ride-id="([^"]+)"/g)].map((m) => m[1]);
      const { rides: stored } = await listMyRides(ctx, { riderCity: me.city, riderId: me.id });
      expect(ids).toEqual(stored.map((r) => r.id));
      expect(ids[1]).toBe(active.id);
      expect(page).toMatch(/class="num fare">\$2\.50</);
    });

    it("draws a ride's route from its logged locations as inline SVG", async () => {
      const v = await signUp(app, { username: "mapper" });
      const me = await userOf("mapper");
      const bike = await othersBike("Map St");
      await v.submit("/vehicles", "/rides", { vehicleId: bike.id });
      const ride = (await getActiveRide(ctx, me.city, me.id))!;
      const before = await v.get(`/rides/${ride.id}`);
      expect(before.body).toContain("No locations were logged for this ride");
      const actor = { riderCity: me.city, riderId: me.id };
      const points: [number, number][] = [
        [42.3601, -71.0589],
        [42.3611, -71.0571],
        [42.3625, -71.0552],
      ];
      for (const [i, [lat, long]] of points.entries()) {
        await logLocation(ctx, {
          city: "boston",
          rideId: ride.id,
          lat,
          long,
          actor,
          at: new Date(now.getTime() + i * 1000),
        });
      }
      const page = await v.get(`/rides/${ride.id}`);
      const polyline = /<polyline points="([^"]+)"/.exec(page.body)?.[1];
      expect(polyline?.split(" ")).toHaveLength(3);
      for (const pair of polyline!.split(" ")) {
        const [x, y] = pair.split(",").map(Number);
        expect(x).toBeGreaterThanOrEqual(0);
        expect(x).toBeLessThanOrEqual(640);
        expect(y).toBeGreaterThanOrEqual(0);
        expect(y).toBeLessThanOrEqual(320);
      }
      expect(page.body).toContain("3 logged locations");
      await v.submit(`/rides/${ride.id}`, `/rides/${ride.id}/end`, { location: "Map End" });
    });

    it("applies a promo code once, and its discount comes off the next fare", async () => {
      await createPromoCode(ctx, { code: "TEN_OFF", description: "Ten percent off", discountPercent: 10 });
      const v = await signUp(app, { username: "saver" });
      const me = await userOf("saver");
      const page = await v.get("/promo-codes");
      expect(page.body).toContain("TEN_OFF");
      const apply = await v.post("/promo-codes/apply", { _csrf: csrfOf(page.body), code: "TEN_OFF" });
      const after = await v.follow(apply);
      expect(flashOf(after.body)).toBe("Promo code TEN_OFF applied: 10% off your rides.");
      expect((await listUserPromoCodes(ctx, me.city, me.id)).map((c) => c.code)).toEqual(["TEN_OFF"]);
      expect(after.body).toContain('data-testid="my-codes"');

      const twice = await v.post("/promo-codes/apply", { _csrf: csrfOf(after.body), code: "TEN_OFF" });
      expect(flashOf((await v.follow(twice)).body)).toBe("You have already applied that promo code.");
      const unknown = await v.post("/promo-codes/apply", { _csrf: csrfOf(after.body), code: "NOPE" });
      const back = await v.follow(unknown);
      expect(flashOf(back.body)).toBe("That promo code was not found.");
      expect(back.body).toContain('value="NOPE"');

      // The fare rule's own example: 10 min 1 s on a bike with 10% off is 2.38.
      const bike = await othersBike("Promo St");
      await v.submit("/vehicles", "/rides", { vehicleId: bike.id });
      const ride = (await getActiveRide(ctx, me.city, me.id))!;
      now = new Date(now.getTime() + 601_000);
      const end = await v.submit("/rides", `/rides/${ride.id}/end`, { location: "Promo End" });
      expect(flashOf((await v.follow(end)).body)).toBe("Ride ended at Promo End. Fare: $2.38.");
      expect((await getRide(ctx, { city: "boston", rideId: ride.id, actor: "system" })).ride.revenue).toBe(
        "2.38",
      );
    });

    it("deletes the account only when confirmed, ending every session", async () => {
      const v = await signUp(app, { username: "goner" });
      const me = await userOf("goner");
      await v.submit("/vehicles/new", "/vehicles", { type: "bike", color: "black", location: "Gone St" });
      const unconfirmed = await v.submit("/profile", "/profile/delete", {});
      expect(flashOf((await v.follow(unconfirmed)).body)).toBe(
        "Tick the box to confirm that you want to delete your account.",
      );
      expect((await getUser(ctx, me.city, me.id)).active).toBe(true);
      const cookie = v.cookies.get("movr_session")!;
      const done = await v.submit("/profile", "/profile/delete", { confirm: "yes" });
      expect(done.headers.location).toBe("/login");
      expect(flashOf((await v.follow(done)).body)).toContain("Your account has been deleted.");
      expect((await getUser(ctx, me.city, me.id)).active).toBe(false);
      expect(await listOwnerVehicles(ctx, me.city, me.id)).toEqual([]);
      expect(await authenticate(ctx, cookie)).toBeUndefined();
      const relogin = await new Visitor(app).submit("/login", "/login", {
        username: "goner",
        password: "correct horse",
      });
      expect(relogin.headers.location).toBe("/login");
    });
  });
});
