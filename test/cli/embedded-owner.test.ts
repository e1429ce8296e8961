// `npm start` owns its embedded data directory: a second `npm start` on it is refused at once,
// and `movr` commands without --url use the server's SQL port instead of opening the files.
// Before, both servers served and `movr sql` opened the files behind the server's back: after a
// restart, one side's acknowledged writes were gone.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { REFERENCE_CITIES } from "../../src/cities/region.config.ts";
import { databaseConfigFor } from "../../src/config.ts";
import { openDatabase } from "../../src/db/database.ts";
import { spawnHolder } from "../support/lock-holder.ts";
import { startServer, type ServerProcess } from "../support/server.ts";
import { runMovr } from "./support.ts";

const lines = (text: string) => text.split("\n").filter((l) => l.trim() !== "");

/** Ready: the "MovR is serving" line, then /readyz answering 200 (polled, generous limit). */
async function waitUntilReady(server: ServerProcess): Promise<string> {
  const base = await server.ready(150_000);
  for (let i = 0; i < 600; i++) {
    const res = await fetch(`${base}/readyz`).catch(() => undefined);
    if (res?.status === 200) return base;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error("/readyz never answered 200");
}

describe("one owner per embedded data directory", () => {
  it("refuses a second npm start, routes movr commands to the first one's SQL port, and keeps every acknowledged write", async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), "movr-owner-"));
    const env = { MOVR_DATA_DIR: dataDir, MOVR_DEMO_DATA: "false", LOGIN_RATE_LIMIT_PER_MINUTE: "10000" };
    const serverEnv = { ...env, PORT: "0", MOVR_EMBEDDED_SQL_PORT: "0", LOG_LEVEL: "info" };
    const first = startServer(serverEnv);
    const firstPid = first.child.pid!;
    const acknowledged: string[] = [];
    let cliRows = 0;
    try {
      const base = await waitUntilReady(first);
      expect(first.logLines().map((l) => l.msg)).toContainEqual(
        expect.stringMatching(/^SQL clients .* can use it at postgresql:\/\/postgres@127\.0\.0\.1:\d+\//),
      );

      const second = startServer(serverEnv);
      expect(await second.exited).toBe(1);
      expect(second.logLines().map((l) => [l.level, l.msg])).toEqual([
        [
          "fatal",
          expect.stringMatching(
            new RegExp(`^movr: The embedded database in .* is in use by process ${firstPid} \\(npm start\\)`),
          ),
        ],
      ]);

      // The server's own writes and the CLI's, at the same time.
      const register = async (i: number) => {
        const username = `owner_${i}`;
        const res = await fetch(`${base}/api/v1/auth/register`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({
            city: REFERENCE_CITIES[i % REFERENCE_CITIES.length],
            name: `Owner ${i}`,
            username,
            email: `${username}@example.com`,
            password: "correct horse battery",
          }),
        });
        if (res.status === 201) acknowledged.push(username);
        else throw new Error(`register ${username}: ${res.status} ${await res.text()}`);
      };
      const cli = async () => {
        const created = await runMovr(["sql", "-e", "CREATE TABLE cli_notes (id INT PRIMARY KEY)"], env);
        expect(created.code, created.stderr).toBe(0);
        for (let batch = 0; batch < 2; batch++) {
          const values = [1, 2, 3, 4, 5].map((k) => `(${batch * 10 + k})`).join(", ");
          const r = await runMovr(["sql", "-e", `INSERT INTO cli_notes VALUES ${values}`], env);
          expect(r.code, r.stderr).toBe(0);
          expect(lines(r.stderr)).toEqual([
            expect.stringMatching(
              new RegExp(
                `^movr: the embedded database in .* is open in process ${firstPid} \\(npm start\\); using it through postgresql://`,
              ),
            ),
          ]);
          cliRows += 5;
        }
      };
      await Promise.all([
        cli(),
        (async () => {
          for (let i = 0; i < 12; i++) await register(i);
        })(),
      ]);
    } finally {
      first.child.kill("SIGTERM");
      expect(await first.exited).toBe(0);
    }

    const database = await openDatabase({ ...databaseConfigFor(undefined, {}), dataDir });
    try {
      const users = await database.query<{ username: string }>(
        "SELECT username FROM users WHERE username LIKE 'owner\\_%' ORDER BY username",
      );
      expect(users.rows.map((r) => r.username)).toEqual([...acknowledged].sort());
      expect(acknowledged).toHaveLength(12);
      const notes = await database.query<{ n: number }>("SELECT count(*)::int AS n FROM cli_notes");
      expect(notes.rows[0]?.n).toBe(cliRows);
      expect(cliRows).toBe(10);
    } finally {
      await database.close();
    }
  }, 400_000);

  it("fails with one line naming the PID when the owner serves no SQL port", async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), "movr-owner-"));
    const holder = spawnHolder(dataDir);
    try {
      await holder.settled;
      const r = await runMovr(["sql", "-e", "SELECT 1"], { MOVR_DATA_DIR: dataDir });
      expect(r.code).toBe(1);
      expect(lines(r.stderr)).toEqual([
        expect.stringMatching(
          new RegExp(
            `^movr: The embedded database in .* is in use by process ${holder.child.pid} .*; stop that process`,
          ),
        ),
      ]);
      expect(r.stdout).toBe("");
    } finally {
      holder.child.stdin.end();
      await holder.exited;
    }
  }, 120_000);
});
