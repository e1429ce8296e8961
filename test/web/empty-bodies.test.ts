// A zero-length body sent with a Content-Type (many HTTP clients set `application/json` on every
// request) is no body: body-less routes answer as without the header, and a route that needs a
// body refuses the missing one with the contract's 400 naming the body, not a parser's message.
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { apiAccount } from "../support/api-account.ts";
import { useTestApp } from "../support/test-app.ts";

const t = useTestApp();

const JSON_TYPE = { "content-type": "application/json" };
const empty = (method: "POST" | "DELETE", url: string, headers: Record<string, string> = {}) =>
  t.app.inject({ method, url, headers: { ...JSON_TYPE, ...headers }, payload: "" });

describe("an empty body with Content-Type: application/json, on the API", () => {
  it("POST /auth/logout answers 204 and the token stops working", async () => {
    const caller = await apiAccount(t.app);
    const res = await empty("POST", "/api/v1/auth/logout", caller.headers);
    expect(res.statusCode, res.body).toBe(204);
    const me = await t.app.inject({ method: "GET", url: "/api/v1/me", headers: caller.headers });
    expect(me.statusCode).toBe(401);
  });

  it("DELETE /cities/{city}/vehicles/{id} answers 204", async () => {
    const owner = await apiAccount(t.app);
    const added = await t.app.inject({
      method: "POST",
      url: "/api/v1/vehicles",
      headers: owner.headers,
      payload: { type: "bike", location: "1 Main St", color: "red" },
    });
    expect(added.statusCode, added.body).toBe(201);
    const { vehicle } = added.json() as { vehicle: { id: string; city: string } };
    const res = await empty("DELETE", `/api/v1/cities/${vehicle.city}/vehicles/${vehicle.id}`, owner.headers);
    expect(res.statusCode, res.body).toBe(204);
  });

  it("DELETE /me answers 204", async () => {
    const caller = await apiAccount(t.app);
    const res = await empty("DELETE", "/api/v1/me", caller.headers);
    expect(res.statusCode, res.body).toBe(204);
  });

  it.each([
    ["/api/v1/auth/register", false],
    ["/api/v1/auth/login", false],
    ["/api/v1/vehicles", true],
    ["/api/v1/rides", true],
    [`/api/v1/cities/boston/rides/${randomUUID()}/locations`, true],
    [`/api/v1/cities/boston/rides/${randomUUID()}/end`, true],
    ["/api/v1/me/promo-codes", true],
  ])("POST %s, which needs a body, answers 400 naming the body", async (url, login) => {
    const headers = login ? (await apiAccount(t.app)).headers : {};
    const res = await empty("POST", url, headers);
    expect(res.statusCode, res.body).toBe(400);
    expect(res.headers["content-type"]).toMatch(/^application\/json/);
    const { error } = res.json() as { error: { code: string; message: string } };
    expect(error.code).toBe("invalid_request");
    expect(error.message).toMatch(/\bbody\b/);
    expect(error.message).not.toMatch(/cannot be empty|content-type/i);
  });
});

describe("an empty body on the pages", () => {
  it.each([["application/json"], ["application/x-www-form-urlencoded"]])(
    "POST /logout with Content-Type %s logs out (303 to /login)",
    async (type) => {
      const res = await t.app.inject({
        method: "POST",
        url: "/logout",
        headers: { accept: "text/html", "content-type": type },
        payload: "",
      });
      expect(res.statusCode, res.body.slice(0, 300)).toBe(303);
      expect(res.headers.location).toMatch(/^\/login/);
    },
  );
});
