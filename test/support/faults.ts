// Outages on demand: a trigger (and a view over promo codes) that raise whatever SQLSTATE the
// test puts in movr_fault, on PGlite and the server alike. RAISE ... USING ERRCODE accepts any
// five-character code, so every class of "the database cannot answer" can be produced for real.
import type { Database } from "../../src/db/database.ts";

/** SQLSTATEs by the kind unavailabilityOf must give them (PostgreSQL appendix A; CockroachDB 40003). */
export const OUTAGE_STATES = {
  connection: ["08000", "08003", "08006", "08001", "08004"],
  shutdown: ["57P01", "57P02", "57P03", "57P04", "57P05"],
  no_database: ["3D000"],
  no_schema: ["42P01", "3F000"],
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

/**
 * CockroachDB's words for the errors it raises, with their SQLSTATEs, for faults that look like
 * CockroachDB's own. Formats from CockroachDB's transaction retry error reference
 * (https://www.cockroachlabs.com/docs/stable/transaction-retry-error-reference: every retry error
 * is 40001 and says "restart transaction"), its "result is ambiguous" errors (40003), and pgwire's
 * drain, which writes 57P01 "server is shutting down" and then closes the connection.
 */
export const COCKROACH_ERRORS = {
  retry: {
    state: "40001",
    message:
      'restart transaction: TransactionRetryWithProtoRefreshError: TransactionRetryError: retry txn (RETRY_SERIALIZABLE - failed preemptive refresh): "sql txn" meta={id=3f6a1c2b key=/Table/106/1/"boston" iso=Serializable pri=0.01 epo=0 ts=1764525600.000000000,1 min=1764525600.000000000,0 seq=1} lock=true stat=PENDING',
  },
  ambiguous: {
    state: "40003",
    message:
      "result is ambiguous: error=rpc error: code = Unavailable desc = error reading from server: EOF [exhausted]",
  },
  shutdown: { state: "57P01", message: "server is shutting down" },
} as const;

export interface CommitFaults {
  /**
   * The next `times` transactions that insert into the watched tables fail AT COMMIT with
   * `state` and `message` (then commit normally); undefined disarms.
   */
  arm(fault: { state: string; message: string } | undefined, times?: number): Promise<void>;
  /** How many commits the armed fault has been checked at (raised or let through) since arm(). */
  checked(): Promise<number>;
}

/**
 * Installs a fault that fires at COMMIT: a DEFERRABLE INITIALLY DEFERRED constraint trigger on
 * each of `tables` (AFTER INSERT), which runs when the transaction commits (for a statement on
 * its own, when its implicit transaction does) and raises the armed SQLSTATE with the armed
 * message. Its count is a sequence, which a rollback does not undo: "the first N commits".
 */
export async function installCommitFaults(
  database: Database,
  tables: readonly string[],
): Promise<CommitFaults> {
  await database.exec(
    "CREATE TABLE movr_commit_fault (state TEXT NOT NULL, message TEXT NOT NULL, times INT NOT NULL)",
  );
  await database.exec("CREATE SEQUENCE movr_commit_fault_checked");
  await database.exec(`CREATE FUNCTION movr_commit_fault_trigger() RETURNS TRIGGER LANGUAGE plpgsql AS $$
    DECLARE f movr_commit_fault%ROWTYPE;
    BEGIN
      SELECT * INTO f FROM movr_commit_fault LIMIT 1;
      IF f.state IS NOT NULL THEN
        IF nextval('movr_commit_fault_checked') <= f.times THEN
          RAISE EXCEPTION USING ERRCODE = f.state, MESSAGE = f.message;
        END IF;
      END IF;
      RETURN NULL;
    END $$`);
  for (const table of tables) {
    await database.exec(
      `CREATE CONSTRAINT TRIGGER ${table}_commit_fault AFTER INSERT ON ${table}
         DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION movr_commit_fault_trigger()`,
    );
  }
  return {
    async arm(fault, times = 1) {
      await database.exec("DELETE FROM movr_commit_fault");
      await database.query("SELECT setval('movr_commit_fault_checked', 1, false)");
      if (fault) {
        await database.query("INSERT INTO movr_commit_fault (state, message, times) VALUES ($1, $2, $3)", [
          fault.state,
          fault.message,
          times,
        ]);
      }
    },
    async checked() {
      const { rows } = await database.query<{ last_value: string | number; is_called: boolean }>(
        "SELECT last_value, is_called FROM movr_commit_fault_checked",
      );
      return rows[0]!.is_called ? Number(rows[0]!.last_value) : 0;
    },
  };
}
