// Regions are configuration, not code: a deployment may rename regions, move cities, or say
// which currency a city's fares are charged in.
export interface Region {
  name: string;
  cities: string[];
  /**
   * ISO 4217 code of each city's currency, where the configuration names one. A city left out
   * takes its reference currency (see currencyOfCity).
   */
  currencies?: Readonly<Record<string, string>>;
}
export type RegionMap = readonly Region[];

/** The reference map (section 2 of the MovR reference facts). */
export const REFERENCE_REGIONS: RegionMap = [
  { name: "us-east", cities: ["new york", "boston", "washington dc"] },
  { name: "us-west", cities: ["san francisco", "seattle", "los angeles"] },
  { name: "europe-west", cities: ["amsterdam", "paris", "rome"] },
];

export const REFERENCE_CITIES: readonly string[] = REFERENCE_REGIONS.flatMap((r) => r.cities);

/** The reference cities' currencies: dollars in the US cities, euros in the European ones. */
const REFERENCE_CURRENCIES: Readonly<Record<string, string>> = {
  "new york": "USD",
  boston: "USD",
  "washington dc": "USD",
  "san francisco": "USD",
  seattle: "USD",
  "los angeles": "USD",
  amsterdam: "EUR",
  paris: "EUR",
  rome: "EUR",
};

/** A city with no configured currency and no reference one is charged in this. */
export const DEFAULT_CURRENCY = "USD";

// Intl.supportedValuesOf is in Node 18+; a code it does not know could not be formatted.
const KNOWN_CURRENCIES = new Set(Intl.supportedValuesOf("currency"));

/** `eur` → `EUR`; throws when it is not an ISO 4217 code this runtime can format. */
function currencyCode(text: string, where: string): string {
  const code = text.trim().toUpperCase();
  if (!/^[A-Z]{3}$/.test(code) || !KNOWN_CURRENCIES.has(code)) {
    throw new Error(`"${text.trim()}" (${where}) is not an ISO 4217 currency code such as USD or EUR`);
  }
  return code;
}

/** `name:CUR` → [name, CUR]; `name` → [name, undefined]. */
function withCurrency(text: string, where: (name: string) => string): [string, string | undefined] {
  const colon = text.indexOf(":");
  if (colon < 0) return [text.trim(), undefined];
  const name = text.slice(0, colon).trim();
  return [name, currencyCode(text.slice(colon + 1), where(name))];
}

const REGION_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const REGION_NAME_RULE =
  "is not a region name: letters, digits, '.', '_' and '-', starting with a letter or digit, at most 63 characters (us-east1, eastus, aws-us-east-1)";

/**
 * Parses `region=city,city;region=city` (the form of MOVR_REGIONS and of `--region-city` flags
 * joined together). Each city may belong to one region only. A currency may follow a region
 * (`europe-west:EUR=amsterdam,paris`, for all its cities) or a city (`london:GBP`, which wins).
 * Throws an Error with a sentence naming the bad part.
 */
export function parseRegionMap(text: string): RegionMap {
  const regions = new Map<string, { cities: string[]; currencies: Record<string, string> }>();
  const seen = new Set<string>();
  for (const part of text
    .split(";")
    .map((p) => p.trim())
    .filter(Boolean)) {
    const eq = part.indexOf("=");
    const [name, regionCurrency] =
      eq > 0 ? withCurrency(part.slice(0, eq), (n) => `region ${n}`) : ["", undefined];
    const cities =
      eq > 0
        ? part
            .slice(eq + 1)
            .split(",")
            .map((c) => c.trim())
            .filter(Boolean)
            .map((c) => withCurrency(c, (n) => `city ${n}`))
        : [];
    if (!name || cities.length === 0) throw new Error(`"${part}" is not of the form region=city,city`);
    // Sent in the x-movr-region header and named in CockroachDB's region statements: a name
    // outside Latin-1 or with a control character made Node refuse the header (500 on every
    // city route). Cloud regions are named so anyway (us-east1, eastus, aws-us-east-1).
    if (!REGION_NAME_RE.test(name)) throw new Error(`region "${name}" ${REGION_NAME_RULE}`);
    const region = regions.get(name) ?? { cities: [], currencies: {} };
    for (const [city, cityCurrency] of cities) {
      if (!city) throw new Error(`"${part}" names a currency without a city`);
      if (seen.has(city)) throw new Error(`city "${city}" is listed in more than one region`);
      seen.add(city);
      region.cities.push(city);
      const currency = cityCurrency ?? regionCurrency;
      if (currency) region.currencies[city] = currency;
    }
    regions.set(name, region);
  }
  if (regions.size === 0) throw new Error("no regions given");
  return [...regions].map(([name, r]) =>
    Object.keys(r.currencies).length > 0
      ? { name, cities: r.cities, currencies: r.currencies }
      : { name, cities: r.cities },
  );
}

export function citiesOf(regions: RegionMap): string[] {
  return regions.flatMap((r) => r.cities);
}

export function regionOfCity(regions: RegionMap, city: string): string | undefined {
  return regions.find((r) => r.cities.includes(city))?.name;
}

/**
 * The ISO 4217 code of the currency a city's fares are in: the configured one, else the
 * reference city's (USD in the US cities, EUR in Amsterdam, Paris and Rome), else USD.
 */
export function currencyOfCity(regions: RegionMap, city: string): string {
  for (const r of regions) {
    const configured = r.currencies?.[city];
    if (configured) return configured;
  }
  return REFERENCE_CURRENCIES[city] ?? DEFAULT_CURRENCY;
}
