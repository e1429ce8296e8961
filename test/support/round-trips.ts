// Counts the statements a Database sends, BEGIN and COMMIT included: one per round trip to a
// server. On PostgreSQL it counts pg's Client#query calls (every pooled connection); on PGlite it
// wraps the instance's query/exec and transaction (BEGIN, the statements inside, COMMIT/ROLLBACK).
import pg from "pg";
import type { Database } from "../../src/db/database.ts";

export interface StatementCounter {
  /** Statements sent since the last reset. */
  count(): number;
  /** Their SQL text, in order (a COPY stream's too). */
  texts(): string[];
  /** The server-side statement name each was sent under, in order; undefined when unnamed. */
  names(): (string | undefined)[];
  reset(): void;
  restore(): void;
}

type AnyFn = (...args: unknown[]) => unknown;

export function countStatements(database: Database): StatementCounter {
  let n = 0;
  let texts: string[] = [];
  let names: (string | undefined)[] = [];
  const record = (arg: unknown) => {
    n++;
    const config = typeof arg === "string" ? undefined : (arg as { text?: unknown; name?: unknown } | null);
    texts.push(typeof arg === "string" ? arg : String(config?.text ?? ""));
    names.push(typeof config?.name === "string" ? config.name : undefined);
  };
  const counted =
    (f: AnyFn, self: unknown): AnyFn =>
    (...args) => {
      record(args[0]);
      return Reflect.apply(f, self, args); // a handful of driver arguments
    };
  let restore: () => void;
  const client = database.pglite;
  if (client) {
    // Own properties in front of the prototype's methods, deleted on restore.
    const own = client as unknown as Record<string, unknown>;
    const transaction = client.transaction;
    own.query = counted(client.query as AnyFn, client);
    own.exec = counted(client.exec as AnyFn, client);
    own.transaction = (callback: (tx: unknown) => Promise<unknown>) =>
      transaction.call(client, async (tx) => {
        record("BEGIN");
        const proxy = new Proxy(tx, {
          get: (target, prop) => {
            const value = Reflect.get(target, prop) as unknown;
            return prop === "query" || prop === "exec" ? counted(value as AnyFn, target) : value;
          },
        });
        try {
          return await callback(proxy);
        } finally {
          record("COMMIT"); // or ROLLBACK
        }
      });
    restore = () => {
      for (const name of ["query", "exec", "transaction"]) delete own[name];
    };
  } else {
    const proto = pg.Client.prototype as unknown as Record<string, unknown>;
    const original = proto.query as AnyFn;
    proto.query = function (this: unknown, ...args: unknown[]) {
      record(args[0]);
      return Reflect.apply(original, this, args); // a handful of driver arguments
    };
    restore = () => {
      proto.query = original;
    };
  }
  return {
    count: () => n,
    texts: () => texts,
    names: () => names,
    reset: () => {
      n = 0;
      texts = [];
      names = [];
    },
    restore,
  };
}
