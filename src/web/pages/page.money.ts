// Money on the pages: an exact decimal string (as the database keeps it) in the city's currency,
// written the way the reader's language writes money (Accept-Language; en-US by default).
import type { FastifyRequest } from "fastify";
import { currencyOfCity } from "../../cities/region.config.ts";
import type { AppConfig } from "../../config.ts";

export const DEFAULT_LOCALE = "en-US";

/** Headers longer than this are not worth reading further: no browser sends one. */
const MAX_HEADER = 500;

/** RFC 9110 §12.4.2's qvalue: 0 to 1 with at most three decimals; anything else ranks a tag out. */
const QVALUE_RE = /^(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/;

/**
 * The best locale of an Accept-Language header (RFC 9110 §12.5.4: tags with optional `;q=`
 * weights) that this runtime's Intl can format, else en-US. Malformed tags and weights are skipped.
 */
export function preferredLocale(header: string | undefined): string {
  if (!header) return DEFAULT_LOCALE;
  const ranked = header
    .slice(0, MAX_HEADER)
    .split(",")
    .map((part, index) => {
      const [tag = "", ...params] = part.split(";").map((s) => s.trim());
      const q = params.find((p) => /^q=/i.test(p));
      // Number() would read "0x10", "1e1" or "+5" as weights above any real one's 1.
      const weight = q === undefined ? 1 : QVALUE_RE.test(q.slice(2)) ? Number(q.slice(2)) : 0;
      return { tag, weight, index };
    })
    .filter((t) => t.tag !== "" && t.tag !== "*" && t.weight > 0)
    .sort((a, b) => b.weight - a.weight || a.index - b.index);
  for (const { tag } of ranked) {
    try {
      const [supported] = Intl.NumberFormat.supportedLocalesOf(tag);
      if (supported) return supported;
    } catch {
      // RangeError: not a well-formed language tag; try the next one.
    }
  }
  return DEFAULT_LOCALE;
}

const DECIMAL_RE = /^-?\d+(?:\.(\d+))?$/;
const formatters = new Map<string, Intl.NumberFormat>();

function formatter(locale: string, currency: string, decimals: number): Intl.NumberFormat {
  const key = `${locale}|${currency}|${decimals}`;
  let f = formatters.get(key);
  if (!f) {
    const base = new Intl.NumberFormat(locale, { style: "currency", currency });
    const minimum = base.resolvedOptions().minimumFractionDigits ?? 2;
    // Never fewer digits than the amount has: a yen fare of "2.50" is not rounded to ¥3.
    f = new Intl.NumberFormat(locale, {
      style: "currency",
      currency,
      minimumFractionDigits: minimum,
      maximumFractionDigits: Math.max(minimum, decimals),
    });
    if (formatters.size > 500) formatters.clear();
    formatters.set(key, f);
  }
  return f;
}

/**
 * `"12.35"`, `"USD"`, `"en-US"` → `"$12.35"`; `"fr-FR"` → `"12,35 €"` for EUR. The amount is
 * handed to Intl as a string, which formats it as the exact decimal it is (ECMA-402
 * "Intl.NumberFormat v3"), never through a binary float. Something that is not a decimal string
 * is shown as it is.
 */
export function formatMoney(amount: string, currency: string, locale: string): string {
  const m = DECIMAL_RE.exec(amount);
  if (!m) return amount;
  const f = formatter(locale, currency, m[1]?.length ?? 0);
  // The string overload of format() is newer than TypeScript's lib for ES2022.
  return (f.format as unknown as (value: string) => string)(amount);
}

/** Formats a city's money for this request's reader; null (not yet known) is a dash. */
export type Money = (amount: string | null, city: string) => string;

export function moneyFor(config: AppConfig, request: FastifyRequest): Money {
  const locale = preferredLocale(request.headers["accept-language"]);
  return (amount, city) =>
    amount === null ? "—" : formatMoney(amount, currencyOfCity(config.regions, city), locale);
}
