// COPY ... FROM STDIN on the embedded database. PGlite runs the backend in this process's thread:
// given such a statement without its data in the same call, it waits for the CopyData that can
// never arrive in a busy loop, holding the event loop for good (100% CPU, timers, sockets and
// even SIGTERM unheard). psql's `\copy t from 'file'` sends exactly that, so one psql user on the
// SQL port of `npm start` stopped the web server until it was killed with SIGKILL, and
// `movr sql -e "COPY t FROM STDIN"` never returned. Such statements are refused before PGlite
// sees them, by the SQL port (embedded-sql-server.ts) and the in-process shell alike.

/**
 * True when `sql` may run a COPY that reads from the client (`COPY t FROM STDIN`, what psql's
 * `\copy ... from` sends). Errs on the side of refusing: the words in that order anywhere, so a
 * comment between them or another statement before them does not slip through.
 */
export function copiesFromClient(sql: string): boolean {
  return /\bcopy\b[\s\S]*\bfrom\b[\s\S]*\bstdin\b/i.test(sql);
}

/** The SQLSTATE of the refusal: feature_not_supported. */
export const COPY_FROM_CLIENT_SQLSTATE = "0A000";

/** The refusal's message, as the client shows it after "ERROR:". */
export const COPY_FROM_CLIENT_REFUSAL =
  "COPY ... FROM STDIN (psql's \\copy ... from) is not supported on the embedded database: PGlite would stop answering; use INSERT statements, or a PostgreSQL server";

/**
 * A statement that fails with the refusal, run in place of the refused one: PGlite then answers
 * with the error as it would for any failing statement (an aborted transaction block stays
 * aborted, the extended protocol skips to Sync), so the protocol state stays its own.
 */
export const COPY_FROM_CLIENT_REFUSING_SQL = `DO $movr$ BEGIN RAISE EXCEPTION USING ERRCODE = '${COPY_FROM_CLIENT_SQLSTATE}', MESSAGE = '${COPY_FROM_CLIENT_REFUSAL.replaceAll("'", "''")}'; END $movr$`;
