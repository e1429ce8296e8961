// The error of a connect that ran out of time, apart from the client that raises it
// (connect-timeout.ts): describeError reads it on every command's error path, and the CLI must not
// load the driver to print `movr --help` (test/cli/startup.test.ts).

/** `code` of the error a connect that ran out of time fails with. */
export const CONNECT_TIMEOUT = "MOVR_CONNECT_TIMEOUT";

/** A connect that got no answer within `timeoutMs`; `cause` is the driver's own error. */
export class ConnectTimeoutError extends Error {
  override name = "ConnectTimeoutError";
  readonly code = CONNECT_TIMEOUT;
  constructor(
    readonly timeoutMs: number,
    cause: unknown,
  ) {
    super(`the database did not answer within ${formatSeconds(timeoutMs)} (connect timeout)`, { cause });
  }
}

/** "2 s", "0.5 s": the limit as a person set it (connect_timeout is in seconds). */
function formatSeconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
}
