// Small edges of the web layer, checked directly.
import { describe, expect, it } from "vitest";
import { DomainError } from "../../src/shared/errors.ts";
import { parseForm } from "../../src/web/body-parsers.ts";
import { safeNext } from "../../src/web/pages/page.form.ts";
import { outageOf, toHttpError } from "../../src/web/errors.ts";

describe("safeNext", () => {
  it("keeps paths on this site and refuses hosts and unprintable characters", () => {
    expect(safeNext("/rides?limit=5")).toBe("/rides?limit=5");
    expect(safeNext("//evil.example")).toBe("/vehicles");
    expect(safeNext("/\\evil.example")).toBe("/vehicles");
    expect(safeNext("https://evil.example")).toBe("/vehicles");
    expect(safeNext("/ride\x01s")).toBe("/vehicles");
    expect(safeNext("/caf\u00e9")).toBe("/vehicles");
  });
});

describe("toHttpError", () => {
  it("reads a body the client stopped sending (Fastify: ECONNRESET, statusCode 400) as the request's fault, not an outage", () => {
    const aborted = Object.assign(new Error("aborted"), { code: "ECONNRESET", statusCode: 400 });
    expect(outageOf(aborted)).toBeUndefined();
    expect(toHttpError(aborted)).toMatchObject({ status: 400, code: "invalid_request", internal: false });
    // The driver's ECONNRESET is still an outage.
    const driver = Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" });
    expect(toHttpError(driver)).toMatchObject({ status: 503, code: "unavailable" });
  });

  it("reports a wrong media type as the contract's 400 invalid_request", () => {
    const e = toHttpError(Object.assign(new Error("Unsupported Media Type: text/csv"), { statusCode: 415 }));
    expect(e).toMatchObject({ status: 400, code: "invalid_request", internal: false });
  });
});

describe("parseForm", () => {
  it("reads forms as browsers send them: + is a space, repeated names in order, empty values kept", () => {
    const form = parseForm("a=1+2&b=caf%C3%A9&a=3&a=4&flag&=x&&c=");
    expect({ ...form }).toEqual({ a: ["1 2", "3", "4"], b: "caf\u00e9", flag: "", "": "x", c: "" });
    expect(Object.getPrototypeOf(form)).toBeNull();
    expect({ ...parseForm("__proto__=x") }).toEqual({ ["__proto__"]: "x" });
  });

  it("refuses bad percent-encoding and bytes that are not UTF-8, in names and values", () => {
    for (const text of ["a=%ZZ", "a=%E", "%E9=x", "a=caf%E9", "a=%ED%A0%80", "a=%C0%80"]) {
      expect(() => parseForm(text), text).toThrow(DomainError);
    }
  });
});
