// The embedded database's SQL port: wire clients and the process itself share PGlite's one
// session a whole transaction at a time. (With @electric-sql/pglite-socket's server, the first
// test loses the process's acknowledged write: it runs inside the client's transaction and the
// client's ROLLBACK takes it away.)
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { databaseConfigFor } from "../../src/config.ts";
import { openDatabase, type Database } from "../../src/db/database.ts";
import type { SqlServer } from "../../src/db/embedded-sql-server.ts";

let database: Database;
let server: SqlServer;

beforeAll(async () => {
  database = await openDatabase(databaseConfigFor("memory://", {}));
  await database.exec("CREATE TABLE t (id INT PRIMARY KEY, who TEXT NOT NULL)");
  // The default idle-in-transaction timeout (30 s): a client between the statements of its
  // transaction on a busy machine is not cut off. The test of that timeout serves its own port.
  server = await database.serveSql!({ host: "127.0.0.1", port: 0 });
});

afterAll(async () => {
  await server?.stop();
  await database?.close();
});

async function client(on: SqlServer = server): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: on.url });
  c.on("error", () => undefined);
  await c.connect();
  return c;
}

const ids = async (who: string) =>
  (await database.query<{ id: number }>("SELECT id FROM t WHERE who = $1 ORDER BY id", [who])).rows.map(
    (r) => r.id,
  );

describe("the embedded SQL port", () => {
  it("keeps the process's own writes out of a wire client's transaction", async () => {
    const c = await client();
    try {
      await c.query("BEGIN");
      await c.query("INSERT INTO t VALUES (1, 'rolled-back')");
      const appWrite = database.exec("INSERT INTO t VALUES (2, 'app')"); // waits for the client
      await c.query("ROLLBACK");
      await appWrite;
    } finally {
      await c.end();
    }
    expect(await ids("app")).toEqual([2]);
    expect(await ids("rolled-back")).toEqual([]);
  });

  it("keeps a wire client's statements out of the process's transactions", async () => {
    const c = await client();
    try {
      let inside!: () => void;
      const entered = new Promise<void>((resolve) => (inside = resolve));
      let finish!: () => void;
      const gate = new Promise<void>((resolve) => (finish = resolve));
      const appTx = database
        .transaction(
          async (tx) => {
            await tx.execute("INSERT INTO t VALUES (10, 'app-rolled-back')" as never);
            inside();
            await gate;
            throw new Error("roll back");
          },
          { readOnly: false },
        )
        .catch((err: Error) => err.message);
      await entered;
      const wireWrite = c.query("INSERT INTO t VALUES (11, 'wire')"); // waits for the transaction
      finish();
      expect(await appTx).toBe("roll back");
      await wireWrite;
    } finally {
      await c.end();
    }
    expect(await ids("wire")).toEqual([11]);
    expect(await ids("app-rolled-back")).toEqual([]);
  });

  it("runs concurrent clients' transactions (extended protocol) and the process's one at a time", async () => {
    const clients = await Promise.all([client(), client(), client()]);
    const committed: number[] = [];
    try {
      const wire = clients.map(async (c, k) => {
        for (let i = 0; i < 15; i++) {
          const id = 1000 * (k + 1) + i;
          await c.query("BEGIN");
          await c.query("INSERT INTO t VALUES ($1, 'mixed')", [id]);
          const seen = await c.query<{ n: number }>("SELECT count(*)::int AS n FROM t WHERE id = $1", [id]);
          expect(seen.rows[0]?.n).toBe(1);
          if (i % 4 === 0) await c.query("ROLLBACK");
          else {
            await c.query("COMMIT");
            committed.push(id);
          }
        }
      });
      const own = (async () => {
        for (let i = 0; i < 15; i++) {
          const id = 9000 + i;
          await database.transaction((tx) => tx.execute(`INSERT INTO t VALUES (${id}, 'mixed')` as never), {
            readOnly: false,
          });
          committed.push(id);
        }
      })();
      await Promise.all([...wire, own]);
    } finally {
      await Promise.all(clients.map((c) => c.end()));
    }
    expect(await ids("mixed")).toEqual(committed.sort((a, b) => a - b));
  });

  it("keeps each client's named statements its own: the same name on two clients, and again after a reconnect", async () => {
    // PGlite has one session, so prepared statements were shared by every wire client: `movr run`
    // on the port of `npm start` stopped at once on 42P05 "prepared statement
    // movr_vehicles_000_... already exists" (two of its connections prepare the same name, and a
    // finished run's names stayed behind), as any driver naming its statements (pg's `name`,
    // JDBC's S_1...) did on a second connection.
    const named = (c: pg.Client, name: string, id: number) =>
      c.query({ name, text: "SELECT id FROM t WHERE id = $1", values: [id] });
    for (let round = 0; round < 2; round++) {
      const [a, b] = [await client(), await client()];
      try {
        await Promise.all([
          named(a, "s1", 2),
          named(b, "s1", 11),
          named(a, "movr_x", 2),
          named(b, "movr_x", 11),
        ]);
        expect((await named(a, "s1", 2)).rows).toEqual([{ id: 2 }]);
        expect((await named(b, "s1", 11)).rows).toEqual([{ id: 11 }]);
      } finally {
        await Promise.all([a.end(), b.end()]);
      }
    }
    // The clients' statements went with them.
    await expect
      .poll(async () => (await database.query("SELECT name FROM pg_prepared_statements")).rows)
      .toEqual([]);
  });

  it("rolls back what a client left open when it disconnects, and lets the others go on", async () => {
    const c = await client();
    await c.query("BEGIN");
    await c.query("INSERT INTO t VALUES (20, 'abandoned')");
    const waiting = database.query("SELECT 1"); // queued behind the open transaction
    (c as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
    await waiting;
    expect(await ids("abandoned")).toEqual([]);
  });

  it("disconnects a client idle in a transaction while others wait for the session", async () => {
    const short = await database.serveSql!({ host: "127.0.0.1", port: 0, idleInTransactionTimeoutMs: 300 });
    try {
      const c = await client(short);
      const lost = new Promise<Error>((resolve) => c.on("error", resolve));
      await c.query("BEGIN");
      await c.query("INSERT INTO t VALUES (30, 'idle')");
      await database.exec("INSERT INTO t VALUES (31, 'app')"); // waits until the idle client is cut off
      expect((await lost).message).toMatch(/idle-in-transaction timeout/);
      await c.end().catch(() => undefined);
    } finally {
      await short.stop();
    }
    expect(await ids("idle")).toEqual([]);
    expect(await ids("app")).toEqual([2, 31]);
  });
});

describe("the embedded SQL port under concurrent load", () => {
  it("answers every query of every pooled client with its own reply while the process runs transactions", async () => {
    // `movr run` on the port of `npm start` broke mid-run: an INSERT ... RETURNING answered with no
    // row, pg clients got "unexpected rowDescription/parseComplete", connections were lost.
    const port = await database.serveSql!({ host: "127.0.0.1", port: 0 });
    await database.exec("CREATE TABLE load (id SERIAL PRIMARY KEY, who TEXT NOT NULL, n INT NOT NULL)");
    const pool = new pg.Pool({ connectionString: port.url, max: 4 });
    pool.on("error", (err) => problems.push(`idle client: ${err.message}`));
    const problems: string[] = [];
    const check = (what: string, ok: boolean) => {
      if (!ok) problems.push(what);
    };
    const until = Date.now() + 3000;
    try {
      const worker = async (w: number) => {
        for (let i = 0; Date.now() < until; i++) {
          const tag = `w${w}-${i}`;
          const echo = await pool.query<{ v: string }>("SELECT $1::text AS v", [tag]);
          check(`echo ${tag}`, echo.rows[0]?.v === tag);
          const named = await pool.query<{ v: string; k: number }>({
            name: "echo_named",
            text: "SELECT $1::text AS v, $2::int AS k",
            values: [tag, i],
          });
          check(`named ${tag}`, named.rows[0]?.v === tag && named.rows[0]?.k === i);
          if (i % 2 === w % 2) {
            // A client that comes and goes with a statement of its own: closing it on disconnect
            // must not answer anyone else (PGlite wrote that to the last client served).
            const once = new pg.Client({ connectionString: port.url });
            once.on("error", () => undefined);
            await once.connect();
            const mine = await once.query<{ v: string }>({
              name: "once",
              text: "SELECT $1::text AS v",
              values: [tag],
            });
            check(`once ${tag}`, mine.rows[0]?.v === tag);
            await once.end();
          }
          const c = await pool.connect();
          const onError = (err: Error) => problems.push(`client: ${err.message}`);
          c.on("error", onError);
          try {
            await c.query("BEGIN");
            const ins = await c.query<{ id: number; who: string }>(
              "INSERT INTO load (who, n) VALUES ($1, $2) RETURNING id, who",
              [tag, i],
            );
            check(`insert ${tag}`, ins.rows.length === 1 && ins.rows[0]?.who === tag);
            if (i % 3 === 0) {
              const failed = await c.query("SELECT 1 / $1::int", [0]).catch((err: Error) => err);
              check(`error ${tag}`, failed instanceof Error && /division by zero/.test(failed.message));
              await c.query("ROLLBACK");
            } else {
              await c.query("COMMIT");
            }
            // An error mid-batch outside a transaction: the connection goes on in step.
            const bad = await c.query("SELECT nope FROM load WHERE who = $1", [tag]).catch((e: Error) => e);
            check(`bad ${tag}`, bad instanceof Error);
            const after = await c.query<{ v: string }>({
              name: "after",
              text: "SELECT $1::text AS v",
              values: [tag],
            });
            check(`after ${tag}`, after.rows[0]?.v === tag);
          } finally {
            c.off("error", onError);
            c.release();
          }
        }
      };
      const own = async () => {
        for (let i = 0; Date.now() < until; i++) {
          const tag = `own-${i}`;
          const rows = await database.transaction(
            async (tx) =>
              (await tx.execute(
                `INSERT INTO load (who, n) VALUES ('${tag}', ${i}) RETURNING who` as never,
              )) as unknown as { rows: { who: string }[] },
            { readOnly: false },
          );
          check(`own insert ${tag}`, rows.rows[0]?.who === tag);
          const q = await database.query<{ v: string }>("SELECT $1::text AS v", [tag]);
          check(`own echo ${tag}`, q.rows[0]?.v === tag);
        }
      };
      const results = await Promise.allSettled([0, 1, 2, 3, 4, 5].map(worker).concat([own(), own()]));
      for (const r of results) if (r.status === "rejected") problems.push(String(r.reason));
    } finally {
      await pool.end();
      await port.stop();
    }
    expect(problems).toEqual([]);
  }, 30_000);
});
