// node-postgres gives up on a connect that outlives connectionTimeoutMillis by destroying the
// socket, and then reports "Connection terminated unexpectedly": the same words as a server that
// hung up. A client that knows its own limit says instead that the database did not answer in time.
import pg from "pg";
import { ConnectTimeoutError } from "./connect-timeout.error.ts";

type ConnectCallback = ((err: Error) => void) | ((err: null, c: pg.Client) => void);

/**
 * pg.Client whose connect fails with ConnectTimeoutError when its connectionTimeoutMillis ran
 * out, rather than with the driver's "Connection terminated unexpectedly". Same constructor and
 * connect() (promise or callback, as pg-pool calls it) as pg.Client.
 */
export class TimedClient extends pg.Client {
  readonly #timeoutMs: number;
  constructor(config?: pg.ClientConfig) {
    super(config);
    this.#timeoutMs = config?.connectionTimeoutMillis ?? 0;
  }

  override connect(): Promise<pg.Client>;
  override connect(callback: ConnectCallback): void;
  override connect(callback?: ConnectCallback): Promise<pg.Client> | void {
    const limit = this.#timeoutMs;
    let timedOut = false;
    // Armed before the driver's own timer of the same length, so it fires first (timers of
    // equal delay run in the order they were set): by the time the failure arrives, it is known.
    const timer = limit > 0 ? setTimeout(() => (timedOut = true), limit) : undefined;
    timer?.unref();
    const explain = (err: unknown): unknown => {
      clearTimeout(timer);
      return err && timedOut ? new ConnectTimeoutError(limit, err) : err;
    };
    if (callback) {
      super.connect((err: Error | null) => {
        const failure = explain(err);
        if (failure) (callback as (err: Error) => void)(failure as Error);
        else (callback as (err: null, c: pg.Client) => void)(null, this);
      });
      return;
    }
    return super.connect().then(
      (client) => {
        explain(undefined);
        return client;
      },
      (err: unknown) => {
        throw explain(err);
      },
    );
  }
}
