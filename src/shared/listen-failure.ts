// Why a listener could not be opened, as one sentence naming the variables that chose its address:
// Node's own "listen EADDRINUSE: address already in use 127.0.0.1:3000" or "getaddrinfo ENOTFOUND
// " (HOST of a typo) told an operator neither which setting to change nor, for the metrics
// listener, which of the two listeners failed.

/** The address a listener was asked for, and the environment variables that chose it. */
export interface ListenTarget {
  /** What listens, for the sentence: "the HTTP server", "the metrics listener". */
  what: string;
  host: string;
  port: number;
  hostVariable: string;
  portVariable: string;
}

/** Raised when a listener cannot be opened; its message is the one line to print. */
export class ListenError extends Error {
  override name = "ListenError";
}

/**
 * `err` as listenFailure's ListenError when it is an error of opening the listener (its syscall
 * listen, bind or getaddrinfo); any other error (a hook's, a plugin's) unchanged.
 */
export function asListenFailure(err: unknown, target: ListenTarget): unknown {
  if (err instanceof ListenError) return err;
  const syscall = (err as NodeJS.ErrnoException | undefined)?.syscall;
  return syscall === "listen" || syscall === "bind" || syscall === "getaddrinfo"
    ? listenFailure(err, target)
    : err;
}

/**
 * A listen error (EADDRINUSE, EACCES, ENOTFOUND, EADDRNOTAVAIL, ...) as a ListenError whose
 * message names the address, the variables and what to change. The original error is its cause.
 */
export function listenFailure(err: unknown, target: ListenTarget): ListenError {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const { what, host, port, hostVariable, portVariable } = target;
  const at = `${what} cannot listen on ${JSON.stringify(host)} port ${port} (${hostVariable}, ${portVariable})`;
  const why =
    code === "EADDRINUSE"
      ? `the port is in use; choose another ${portVariable} (0 for any free one) or stop what holds it`
      : code === "EACCES"
        ? `permission denied (ports below 1024 need privileges); choose another ${portVariable}`
        : code === "ENOTFOUND" || code === "EAI_AGAIN" || code === "EAI_NONAME"
          ? `no such host; set ${hostVariable} to an address of this machine (0.0.0.0 for all of them)`
          : code === "EADDRNOTAVAIL"
            ? `the address is not one of this machine's; set ${hostVariable} to one (0.0.0.0 for all of them)`
            : (code ?? (err instanceof Error ? err.message : String(err)));
  return new ListenError(`${at}: ${why}.`, { cause: err });
}
