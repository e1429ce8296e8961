import type { Database } from "../db/database.ts";

/** What every service needs: the database, the cities it serves, and a clock (tests pin it). */
export interface MovrContext {
  readonly database: Database;
  readonly cities: readonly string[];
  readonly clock: () => Date;
}
