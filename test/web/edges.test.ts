// Small edges of the web layer, checked directly.
import { describe, expect, it } from "vitest";
import { safeNext } from "../../src/web/pages/page.form.ts";
import { toHttpError } from "../../src/web/errors.ts";

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
  it("reports a wrong media type as the contract's 400 invalid_request", () => {
    const e = toHttpError(Object.assign(new Error("Unsupported Media Type: text/csv"), { statusCode: 415 }));
    expect(e).toMatchObject({ status: 400, code: "invalid_request", internal: false });
  });
});
