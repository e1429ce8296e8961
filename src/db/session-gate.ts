// PGlite is one PostgreSQL session. Everything that uses it — the process's own queries and
// transactions, and each client of the SQL port — takes this gate first and keeps it for a whole
// unit of work (a statement, a transaction, a wire client's transaction), so no two users'
// statements ever run inside one another's transaction.

/** A first-come, first-served mutex. */
export class SessionGate {
  #tail: Promise<void> = Promise.resolve();
  #waiting = 0;

  /** Resolves, in call order, with the function that lets the next one in (idempotent). */
  acquire(): Promise<() => void> {
    let open!: () => void;
    const done = new Promise<void>((resolve) => (open = resolve));
    const turn = this.#tail;
    this.#tail = turn.then(() => done);
    this.#waiting++;
    return turn.then(() => {
      this.#waiting--;
      let released = false;
      return () => {
        if (released) return;
        released = true;
        open();
      };
    });
  }

  /** Runs `fn` holding the gate. */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    const release = await this.acquire();
    try {
      return await fn();
    } finally {
      release();
    }
  }

  /** Callers waiting for the gate (not counting the holder). */
  get waiting(): number {
    return this.#waiting;
  }
}
