// The API's dates: isoString (src/web/api/serialize.ts) must print exactly what toISOString does.
import { describe, expect, it } from "vitest";
import { isoString } from "../../src/web/api/serialize.ts";

describe("isoString", () => {
  it("matches toISOString across the years, milliseconds and edges", () => {
    const edges = [
      "1000-01-01T00:00:00.000Z",
      "1969-12-31T23:59:59.999Z",
      "1970-01-01T00:00:00.000Z",
      "2000-02-29T12:00:00.005Z",
      "2026-11-30T19:58:00.050Z",
      "9999-12-31T23:59:59.999Z",
      "0999-12-31T23:59:59.999Z",
      "+010000-01-01T00:00:00.000Z",
      "-000001-06-15T08:30:00.000Z",
    ].map((s) => new Date(s));
    const span = Date.UTC(10100, 0, 1) - Date.UTC(900, 0, 1);
    // A fixed pseudo-random walk, so a failure reproduces.
    let seed = 12345;
    const spread = Array.from({ length: 20000 }, () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return new Date(Date.UTC(900, 0, 1) + Math.floor((seed / 2147483648) * span));
    });
    for (const d of [...edges, ...spread]) expect(isoString(d)).toBe(d.toISOString());
  });

  it("refuses an invalid date as toISOString does", () => {
    expect(() => isoString(new Date(Number.NaN))).toThrow(RangeError);
  });
});
