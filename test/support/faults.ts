// Outages on demand: a trigger (and a view over promo codes) that raise whatever SQLSTATE the
// test puts in movr_fault, on PGlite and the server alike. RAISE ... USING ERRCODE accepts any
// five-character code, so every class of "the database cannot answer" can be produced for real.
import type { Database } from "../../src/db/database.ts";

/** SQLSTATEs by the kind unavailabilityOf must give them (PostgreSQL appendix A; CockroachDB 40003). */
export const OUTAGE_STATES = {
  connection: ["08000", "08003", "08006", "08001", "08004"],
  shutdown: ["57P01", "57P02", "57P03", "57P04", "57P05"],
  no_database: ["3D000"],
  timeout: ["57014", "55P03"],
  ambiguous: ["40003"],
  resources: ["53000", "53100", "53200", "53300", "53400"],
} as const;

export interface Faults {
  /** The next inserts into users (and reads of promo codes) fail with `state`; undefined stops it. */
  set(state: string | undefined): Promise<void>;
}

/** Installs the fault trigger on a migrated database. */
export async function installFaults(database: Database): Promise<Faults> {
  await database.exec("CREATE TABLE movr_fault (state TEXT)");
  await database.exec(`CREATE FUNCTION movr_fault_check() RETURNS BOOLEAN LANGUAGE plpgsql AS $$
    DECLARE s TEXT;
    BEGIN
      SELECT state INTO s FROM movr_fault LIMIT 1;
      IF s IS NOT NULL THEN RAISE EXCEPTION 'injected fault' USING ERRCODE = s; END IF;
      RETURN TRUE;
    END $$`);
  await database.exec(`CREATE FUNCTION movr_fault_trigger() RETURNS TRIGGER LANGUAGE plpgsql AS $$
    BEGIN PERFORM movr_fault_check(); RETURN NEW; END $$`);
  await database.exec(
    "CREATE TRIGGER users_fault BEFORE INSERT ON users FOR EACH ROW EXECUTE FUNCTION movr_fault_trigger()",
  );
  // Reads fire no trigger: promo codes become a view that checks first.
  await database.exec("ALTER TABLE promo_codes RENAME TO promo_codes_stored");
  await database.exec(
    "CREATE VIEW promo_codes AS SELECT * FROM promo_codes_stored WHERE (SELECT movr_fault_check())",
  );
  return {
    async set(state) {
      await database.exec("DELETE FROM movr_fault");
      if (state) await database.query("INSERT INTO movr_fault (state) VALUES ($1)", [state]);
    },
  };
}
