// One login budget per client across every worker (WEB_CONCURRENCY > 1). @fastify/rate-limit's
// default store is a map in each process, so with N workers a client would get N budgets: the
// kernel spreads its connections over the workers. Here the workers keep no counts; they ask
// the primary, which holds them in @fastify/rate-limit's own LocalStore (same window rules, one
// copy). See docs/decisions/012-text-and-credentials.md.
import type { Worker } from "node:cluster";
import { createRequire } from "node:module";

const INCR = "movr:budget-incr";
const COUNTED = "movr:budget-counted";

interface IncrMessage {
  type: typeof INCR;
  id: number;
  key: string;
  timeWindow: number;
  max: number;
}

interface CountedMessage {
  type: typeof COUNTED;
  id: number;
  current: number;
  ttl: number;
}

/** What a rate-limit store answers: attempts in the current window, and ms until it ends. */
interface Counted {
  current: number;
  ttl: number;
}

type Callback = (err: Error | null, result?: Counted) => void;

interface LocalStoreLike {
  incr(key: string, cb: Callback, timeWindow: number, max: number): void;
}

type LocalStoreCtor = new (
  continueExceeding: boolean,
  exponentialBackoff: boolean,
  cache?: number,
) => LocalStoreLike;

/** Keys the primary remembers at most (least recently used go first), as LocalStore's default. */
const CACHE_SIZE = 5000;

/**
 * In the primary: answers one worker's budget requests from `store`, which every worker shares.
 * Call it once per forked worker with the same store (see `createBudgetLedger`).
 */
export function serveLoginBudget(worker: Worker, store: LocalStoreLike): void {
  worker.on("message", (m: IncrMessage) => {
    if (m?.type !== INCR) return;
    store.incr(
      m.key,
      (err, result) => {
        // LocalStore never fails; if it ever did, the worker's request would wait forever, so
        // answer with a spent budget rather than nothing (fail closed).
        const counted = err || !result ? { current: m.max + 1, ttl: m.timeWindow } : result;
        const reply: CountedMessage = { type: COUNTED, id: m.id, current: counted.current, ttl: counted.ttl };
        if (worker.isConnected()) worker.send(reply);
      },
      m.timeWindow,
      m.max,
    );
  });
}

/** In the primary: the one store all workers' budgets live in (@fastify/rate-limit's LocalStore). */
export function createBudgetLedger(): LocalStoreLike {
  // The package exports only its plugin; its store is a plain CommonJS file we load by path.
  const LocalStore = createRequire(import.meta.url)(
    "@fastify/rate-limit/store/LocalStore.js",
  ) as LocalStoreCtor;
  return new LocalStore(false, false, CACHE_SIZE);
}

/**
 * In a worker: a @fastify/rate-limit store (pass it as the plugin's `store` option) whose counts
 * live in the primary. Implements the store contract of @fastify/rate-limit 11 (`incr`, `child`).
 */
export class PrimaryBudgetStore {
  private static nextId = 1;
  private static readonly pending = new Map<number, Callback>();
  private static listening = false;

  constructor() {
    if (PrimaryBudgetStore.listening) return;
    PrimaryBudgetStore.listening = true;
    process.on("message", (m: CountedMessage) => {
      if (m?.type !== COUNTED) return;
      const cb = PrimaryBudgetStore.pending.get(m.id);
      PrimaryBudgetStore.pending.delete(m.id);
      cb?.(null, { current: m.current, ttl: m.ttl });
    });
  }

  incr(key: string, cb: Callback, timeWindow: number, max: number): void {
    if (!process.send) {
      cb(new Error("the login budget needs the primary process"));
      return;
    }
    const id = PrimaryBudgetStore.nextId++;
    PrimaryBudgetStore.pending.set(id, cb);
    const message: IncrMessage = { type: INCR, id, key, timeWindow, max };
    process.send(message);
  }

  child(): PrimaryBudgetStore {
    return new PrimaryBudgetStore();
  }
}
