// A city in a page's query as a hand-typed or old link spells it: any case, spaces around, is the
// city; a city MovR does not serve is not swapped silently for another, the page says so.
import { randomUUID } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { useTestApp } from "../support/test-app.ts";
import { flashOf, signUp, type Visitor } from "../support/visitor.ts";

const t = useTestApp();
let seattle: Visitor;
beforeAll(async () => {
  seattle = await signUp(t.app, { username: `s${randomUUID().slice(0, 8)}`, city: "seattle" });
  await seattle.get("/vehicles"); // takes the login's welcome message
});

const heading = (html: string): string | undefined => /<h1>([^<]*)<\/h1>/.exec(html)?.[1];

describe.each([
  ["/vehicles", "Vehicles in"],
  ["/users", "Riders in"],
])("%s?city=", (path, title) => {
  it.each([["Boston"], ["BOSTON"], ["  boston "], ["New%20York"], ["%20new%20%20york%20"]])(
    "%s is that city, remembered, with no message",
    async (asked) => {
      const res = await seattle.get(`${path}?city=${asked.replaceAll(" ", "%20")}`);
      expect(res.statusCode, res.body.slice(0, 300)).toBe(200);
      const wanted = /york/i.test(asked) ? "New York" : "Boston";
      expect(heading(res.body)).toBe(`${title} ${wanted}`);
      expect(flashOf(res.body)).toBeUndefined();
      expect(seattle.cookies.get("movr_city")).toBe(wanted.toLowerCase());
      // Back home for the next case.
      await seattle.get(`${path}?city=seattle`);
    },
  );

  it("a city MovR does not serve shows the current city and says so", async () => {
    await seattle.get(`${path}?city=seattle`);
    const res = await seattle.get(`${path}?city=Atlantis`);
    expect(res.statusCode).toBe(200);
    expect(heading(res.body)).toBe(`${title} Seattle`);
    expect(flashOf(res.body)).toMatch(/Atlantis.*not serve|not serve.*Atlantis/);
    expect(seattle.cookies.get("movr_city")).toBe("seattle");
  });
});

it("registering with a hand-typed home city (any case, spaces around) takes that city", async () => {
  const v = await signUp(t.app, { username: `b${randomUUID().slice(0, 8)}`, city: " Boston " });
  const profile = await v.get("/profile");
  expect(profile.body).toMatch(/Home city<\/dt><dd>Boston /);
});

it("a message waiting in the flash cookie is shown on the next page, not lost to the city note", async () => {
  // Just signed up: the welcome message waits in the flash cookie for the next page.
  const v = await signUp(t.app, { username: `w${randomUUID().slice(0, 8)}`, city: "seattle" });
  const waiting = v.cookies.get("movr_flash");
  expect(waiting).toBeDefined();
  const first = await v.get("/vehicles?city=Atlantis");
  expect(flashOf(first.body)).toMatch(/Atlantis/);
  const next = await v.get("/vehicles");
  expect(flashOf(next.body)).toBeDefined();
  expect(flashOf(next.body)).not.toMatch(/Atlantis/);
});
