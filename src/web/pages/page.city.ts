// Which cities this instance's pages offer (its region's, or all when no region is set) and
// which one the rider is browsing now (remembered in a cookie).
import type { FastifyReply, FastifyRequest } from "fastify";
import { citiesOf, regionOfCity } from "../../cities/region.config.ts";
import type { AppConfig } from "../../config.ts";
import type { User } from "../../users/user.service.ts";
import { CITY_COOKIE, cookieOptions } from "./page.cookies.ts";

export function pageCities(config: AppConfig): string[] {
  const region = config.region ? config.regions.find((r) => r.name === config.region) : undefined;
  return region ? [...region.cities] : citiesOf(config.regions);
}

export function regionLabel(config: AppConfig, city: string): string {
  return config.region ?? regionOfCity(config.regions, city) ?? "—";
}

/**
 * The city asked for in the query (remembered from now on), else the remembered one, else the
 * user's home city when this instance serves it, else the region's first city.
 */
export function currentCity(
  request: FastifyRequest,
  reply: FastifyReply,
  config: AppConfig,
  user: User | null,
  asked?: string,
): string {
  const cities = pageCities(config);
  if (asked && cities.includes(asked)) {
    if (request.cookies[CITY_COOKIE] !== asked)
      void reply.setCookie(CITY_COOKIE, asked, cookieOptions(config, request, 365 * 24 * 3600));
    return asked;
  }
  const remembered = request.cookies[CITY_COOKIE];
  if (remembered && cities.includes(remembered)) return remembered;
  if (user && cities.includes(user.city)) return user.city;
  return cities[0] ?? user?.city ?? "";
}
