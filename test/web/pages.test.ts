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
      for (const asset of ["/assets/movr.css", "/assets/movr.js", "/assets/favicon.svg"]) {
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
      expect(flashOf(ridePage.body)).toBe("Ride ended at 20 End Ave. Fare: 2.50.");
      expect(ridePage.body).toMatch(/data-testid="ride-fare">2\.50</);
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
      expect(page).toMatch(/class="num fare">2\.50</);
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
      expect(flashOf((await v.follow(end)).body)).toBe("Ride ended at Promo End. Fare: 2.38.");
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
