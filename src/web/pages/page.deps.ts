import type { Eta } from "eta";
import type { AuthContext } from "../../auth/auth.service.ts";
import type { AppConfig } from "../../config.ts";

/** What every page module receives from pageRoutes. */
export interface PageDeps {
  config: AppConfig;
  ctx: AuthContext;
  eta: Eta;
}

/** Pages are not part of the JSON API's OpenAPI document. */
export const HIDDEN = { hide: true } as const;
