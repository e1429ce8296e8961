import type { AuthContext } from "./auth/auth.service.ts";
import { citiesOf } from "./cities/region.config.ts";
import type { AppConfig } from "./config.ts";
import type { Database } from "./db/database.ts";

export function createContext(config: AppConfig, database: Database): AuthContext {
  return {
    database,
    cities: citiesOf(config.regions),
    clock: () => new Date(),
    sessionTtlHours: config.sessionTtlHours,
  };
}
