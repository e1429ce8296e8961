// Money with a currency: each city's currency from the region configuration, and fares written
// exactly, in the reader's locale. Pure functions: no database, no server.
import { describe, expect, it } from "vitest";
import { currencyOfCity, parseRegionMap, REFERENCE_REGIONS } from "../../src/cities/region.config.ts";
import { loadConfig } from "../../src/config.ts";
import { formatMoney, preferredLocale } from "../../src/web/pages/page.money.ts";

describe("city currencies", () => {
  it("are USD in the US reference cities and EUR in Amsterdam, Paris and Rome", () => {
    // Per region rather than a copy of the city table in region.config.ts: every city is asked.
    const byRegion = REFERENCE_REGIONS.map((r) => [
      r.name,
      r.cities.map((c) => currencyOfCity(REFERENCE_REGIONS, c)),
    ]);
    expect(byRegion).toEqual([
      ["us-east", ["USD", "USD", "USD"]],
      ["us-west", ["USD", "USD", "USD"]],
      ["europe-west", ["EUR", "EUR", "EUR"]],
    ]);
    // A city of a custom map with no currency named: USD.
    expect(currencyOfCity(parseRegionMap("x=gotham"), "gotham")).toBe("USD");
  });

  it("are configured per region or per city in MOVR_REGIONS, the city's winning", () => {
    const regions = loadConfig({ MOVR_REGIONS: "uk:gbp=london,dublin:EUR;us-east=boston;eu=paris" }).regions;
    expect(regions).toEqual([
      { name: "uk", cities: ["london", "dublin"], currencies: { london: "GBP", dublin: "EUR" } },
      { name: "us-east", cities: ["boston"] },
      { name: "eu", cities: ["paris"] },
    ]);
    expect(["london", "dublin", "boston", "paris"].map((c) => currencyOfCity(regions, c))).toEqual([
      "GBP",
      "EUR",
      "USD",
      "EUR",
    ]);
    expect(currencyOfCity(parseRegionMap("eu=boston:CHF"), "boston")).toBe("CHF");
  });

  it("refuse a code that is not ISO 4217, naming where it was", () => {
    expect(() => loadConfig({ MOVR_REGIONS: "uk=london:POUND" })).toThrow(
      /MOVR_REGIONS: "POUND" \(city london\) is not an ISO 4217 currency code/,
    );
    expect(() => loadConfig({ MOVR_REGIONS: "uk:XQZ=london" })).toThrow(/"XQZ" \(region uk\)/);
    expect(() => parseRegionMap("uk=:GBP")).toThrow(/currency without a city/);
  });
});

describe("money on the pages", () => {
  it("takes the reader's best supported locale from Accept-Language, en-US otherwise", () => {
    expect(preferredLocale(undefined)).toBe("en-US");
    expect(preferredLocale("")).toBe("en-US");
    expect(preferredLocale("fr-FR,fr;q=0.9,en;q=0.8")).toBe("fr-FR");
    expect(preferredLocale("en;q=0.5, de-DE;q=0.9")).toBe("de-DE");
    expect(preferredLocale("*")).toBe("en-US");
    expect(preferredLocale("not a tag!!, it;q=0.3")).toBe("it");
    expect(preferredLocale("de;q=0, x-bogus")).toBe("en-US");
    expect(preferredLocale("a".repeat(10_000))).toBe("en-US");
  });

  it("reads a weight only in RFC 9110's qvalue notation (0 to 1, three decimals at most)", () => {
    // Number() would read these as 16, 10, 5 and 2: each outranked fr's q=1.
    for (const q of ["0x10", "1e1", "+5", "2", "1.5", "0.5e1", "Infinity", "0.0001", " 0.5"]) {
      expect(preferredLocale(`de;q=${q}, fr`), q).toBe("fr");
    }
    expect(preferredLocale("de;q=0.999, fr;q=0.998")).toBe("de");
    expect(preferredLocale("fr;q=0.5, de;q=1.000")).toBe("de");
    expect(preferredLocale("fr;q=0.5, de;q=1.")).toBe("de");
    // Parameter names are case-insensitive (RFC 9110 §5.6.6): Q=0 refuses de as q=0 does.
    expect(preferredLocale("de;Q=0, fr;q=0.1")).toBe("fr");
  });

  it("writes an exact decimal string in the currency, never through a float", () => {
    expect(formatMoney("2.50", "USD", "en-US")).toBe("$2.50");
    expect(formatMoney("2.50", "EUR", "en-US")).toBe("€2.50");
    expect(formatMoney("1234.50", "EUR", "fr-FR")).toBe("1\u202f234,50\u00a0€");
    expect(formatMoney("1234.50", "EUR", "de-DE")).toBe("1.234,50\u00a0€");
    // Beyond a double's 15-16 digits the cents survive.
    expect(formatMoney("90071992547409.93", "USD", "en-US")).toBe("$90,071,992,547,409.93");
    expect(formatMoney("0.10", "USD", "en-US")).toBe("$0.10");
    expect(formatMoney("-3.05", "USD", "en-US")).toBe("-$3.05");
    // A currency without minor units keeps the amount's own digits rather than rounding.
    expect(formatMoney("2.50", "JPY", "ja-JP")).toBe("￥2.5");
    expect(formatMoney("300", "JPY", "en-US")).toBe("¥300");
    expect(formatMoney("n/a", "USD", "en-US")).toBe("n/a");
  });
});
