// Which cities this instance's pages offer (its region's, or all when no region is set) and
// which one the rider is browsing now (remembered in a cookie).
import type { FastifyReply, FastifyRequest } from "fastify";
import { citiesOf, regionOfCity } from "../../cities/region.config.ts";
import type { AppConfig } from "../../config.ts";
import type { User } from "../../users/user.service.ts";
import { truncateText } from "../../shared/text.ts";
import { CITY_COOKIE, cookieOptions } from "./page.cookies.ts";
import { showNow } from "./page.flash.ts";
import { titleCase } from "./page.format.ts";

export function pageCities(config: AppConfig): string[] {
  const region = config.region ? config.regions.find((r) => r.name === config.region) : undefined;
  return region ? [...region.cities] : citiesOf(config.regions);
}

export function regionLabel(config: AppConfig, city: string): string {
  return config.region ?? regionOfCity(config.regions, city) ?? "—";
}

/**
 * A city as a hand-typed or old link spells it ("Boston", " new  york "), in the form the cities
 * are named ("boston", "new york").
 */
export function cityName(asked: string): string {
  return asked.trim().replace(/\s+/g, " ").toLowerCase();
}

/**
 * The city asked for in the query (remembered from now on), else the remembered one, else the
 * user's home city when this instance serves it, else the region's first city. A city asked for
 * that this instance does not serve is not swapped silently: the page says so (showNow).
 */
export function currentCity(
  request: FastifyRequest,
  reply: FastifyReply,
  config: AppConfig,
  user: User | null,
  asked?: string,
): string {
  const cities = pageCities(config);
  const wanted = cityName(asked ?? "");
  if (wanted && cities.includes(wanted)) {
    if (request.cookies[CITY_COOKIE] !== wanted)
      void reply.setCookie(CITY_COOKIE, wanted, cookieOptions(config, request, 365 * 24 * 3600));
    return wanted;
  }
  const city = fallbackCity(request, cities, user);
  if (wanted) {
    showNow(request, {
      kind: "error",
      text: `MovR does not serve "${truncateText(asked!.trim(), 60)}" here; showing ${titleCase(city)}.`,
    });
  }
  return city;
}

function fallbackCity(request: FastifyRequest, cities: string[], user: User | null): string {
  const remembered = request.cookies[CITY_COOKIE];
  if (remembered && cities.includes(remembered)) return remembered;
  if (user && cities.includes(user.city)) return user.city;
  return cities[0] ?? user?.city ?? "";
}
