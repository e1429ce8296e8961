// The database going away in the middle of `movr load`: the batches committed stay, and the
// same flags finish the load. The command used to end with the driver's own line ("Connection
// terminated unexpectedly", "terminating connection due to administrator command (SQLSTATE
// 57P01)"), which said neither; Ctrl-C already said both. A private cluster, stopped for real.
import pg from "pg";
import { describe, expect, it } from "vitest";
import { usePrivateCluster } from "../support/private-cluster.ts";
import { spawnMovr } from "./support.ts";

const cluster = usePrivateCluster();

const USERS = 1_000_000;
const sizes = [
  "--city",
  "boston",
  "--num-users",
  String(USERS),
  "--num-vehicles",
  "10",
  "--num-rides",
  "0",
  "--num-histories",
  "0",
  "--num-promo-codes",
  "10",
];

describe("movr load when the database goes away", () => {
  it.each(["fast", "immediate"] as const)(
    "a %s shutdown mid-load: one line saying the rows are kept and the flags that finish it; they do",
    async (mode) => {
      const db = cluster();
      await db.start().catch(() => undefined);
      const load = spawnMovr(["load", "--url", db.url, "--drop", ...sizes]);
      await load.waitFor(/^users: [\d,]+ of /m, 120_000);
      await db.stop(mode);
      expect(await load.exited).toBe(1);
      const lines = load.stderr().trim().split("\n");
      expect(lines).toHaveLength(1);
      const m = lines[0]!.match(
        /^movr: The database (?:is restarting or shutting down|cannot be reached right now): the load stopped; the rows loaded so far are kept\. To finish the load, run the same command with (--seed \d+ --now \S+) once the database is back\.$/,
      );
      expect(m, lines[0]).not.toBeNull();

      await db.start();
      const finish = spawnMovr(["load", "--url", db.url, ...sizes, ...m![1]!.split(" ")]);
      finish.child.stdin.end();
      expect(await finish.exited, finish.stderr()).toBe(0);
      const client = new pg.Client({ connectionString: db.url });
      await client.connect();
      try {
        const { rows } = await client.query<{ n: number }>("SELECT count(*)::int AS n FROM users");
        expect(rows[0]?.n).toBe(USERS);
      } finally {
        await client.end();
      }
    },
    300_000,
  );
});
