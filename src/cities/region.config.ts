// Regions are configuration, not code: a deployment may rename regions or move cities.
export interface Region {
  name: string;
  cities: string[];
}
export type RegionMap = readonly Region[];

/** The reference map (section 2 of the MovR reference facts). */
export const REFERENCE_REGIONS: RegionMap = [
  { name: "us-east", cities: ["new york", "boston", "washington dc"] },
  { name: "us-west", cities: ["san francisco", "seattle", "los angeles"] },
  { name: "europe-west", cities: ["amsterdam", "paris", "rome"] },
];

export const REFERENCE_CITIES: readonly string[] = REFERENCE_REGIONS.flatMap((r) => r.cities);

/**
 * Parses `region=city,city;region=city` (the form of MOVR_REGIONS and of
 * `--region-city` flags joined together). Each city may belong to one region only.
 */
export function parseRegionMap(text: string): RegionMap {
  const regions = new Map<string, string[]>();
  const seen = new Set<string>();
  for (const part of text
    .split(";")
    .map((p) => p.trim())
    .filter(Boolean)) {
    const eq = part.indexOf("=");
    const name = eq > 0 ? part.slice(0, eq).trim() : "";
    const cities =
      eq > 0
        ? part
            .slice(eq + 1)
            .split(",")
            .map((c) => c.trim())
            .filter(Boolean)
        : [];
    if (!name || cities.length === 0) throw new Error(`"${part}" is not of the form region=city,city`);
    for (const city of cities) {
      if (seen.has(city)) throw new Error(`city "${city}" is listed in more than one region`);
      seen.add(city);
    }
    regions.set(name, [...(regions.get(name) ?? []), ...cities]);
  }
  if (regions.size === 0) throw new Error("no regions given");
  return [...regions].map(([name, cities]) => ({ name, cities }));
}

export function citiesOf(regions: RegionMap): string[] {
  return regions.flatMap((r) => r.cities);
}

export function regionOfCity(regions: RegionMap, city: string): string | undefined {
  return regions.find((r) => r.cities.includes(city))?.name;
}
