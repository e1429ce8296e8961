// COPY ... FROM STDIN on the embedded database: PGlite waited for the data in a busy loop that
// held the whole process (100% CPU, no timer, no socket, not even SIGTERM). psql's `\copy` on the
// SQL port of `npm start` or `movr demo` stopped them for good, and `movr sql -e "COPY t FROM
// STDIN"` never returned. Run in child processes: on the old code the hang is theirs, not the
// test runner's.
import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { spawnMovr } from "../cli/support.ts";

const REFUSAL = /COPY \.\.\. FROM STDIN .*is not supported on the embedded database/;

function psql(url: string, args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    execFile("psql", [url, ...args], { timeout: 20_000, killSignal: "SIGKILL" }, (err, _stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, stderr }),
    );
  });
}

/** Rejects when `p` has not settled within `ms`: the process on the other end stopped answering. */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([
    p,
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`${what}: no answer in ${ms} ms`)), ms),
    ),
  ]);
}

describe("COPY FROM STDIN on the embedded database", () => {
  it("is refused on the SQL port (psql's \\copy, pg's simple and extended protocol), and the process keeps serving", async () => {
    const demo = spawnMovr(["demo", "--city", "boston"]);
    try {
      const [, url] = await demo.waitFor(/^#\s+(postgresql:\/\/\S+)$/m, 150_000);
      const dir = mkdtempSync(path.join(tmpdir(), "movr-copy-"));
      const csv = path.join(dir, "codes.csv");
      writeFileSync(csv, "FROM_CSV,a code from a file\n");

      const copied = await psql(url!, ["-c", `\\copy promo_codes (code, description) from '${csv}' csv`]);
      expect(copied.code).not.toBe(0);
      expect(copied.stderr).toMatch(REFUSAL);

      const client = new pg.Client({ connectionString: url });
      client.on("error", () => undefined);
      await within(client.connect(), 20_000, "connect");
      try {
        for (const query of [
          client.query("COPY promo_codes (code) FROM STDIN"),
          client.query({ text: "COPY promo_codes (code) FROM STDIN", values: [] }),
        ]) {
          await expect(within(query, 20_000, "COPY")).rejects.toMatchObject({ code: "0A000" });
        }
        // The session goes on: the same client, and the demo's own shell.
        const after = await within(
          client.query<{ n: string }>("SELECT count(*) AS n FROM users"),
          20_000,
          "query",
        );
        expect(Number(after.rows[0]!.n)).toBe(50);
      } finally {
        await client.end().catch(() => undefined);
      }
      demo.child.stdin.write("SELECT 40 + 2 AS answer;\n");
      await demo.waitFor(/^ 42$/m, 20_000);
      demo.child.stdin.write("\\q\n");
      expect(await demo.exited).toBe(0);
    } finally {
      demo.child.kill("SIGKILL");
    }
  }, 240_000);

  it("is refused by movr sql on the embedded database, in one line, and the script stops there", async () => {
    const sql = spawnMovr([
      "sql",
      "--url",
      "memory://",
      "-e",
      "CREATE TABLE t (a INT)",
      "-e",
      "COPY t FROM STDIN",
      "-e",
      "SELECT 'not reached'",
    ]);
    const killer = setTimeout(() => sql.child.kill("SIGKILL"), 60_000);
    try {
      sql.child.stdin.end();
      expect(await sql.exited).toBe(1);
    } finally {
      clearTimeout(killer);
    }
    expect(sql.stderr().trim().split("\n")).toHaveLength(1);
    expect(sql.stderr()).toMatch(REFUSAL);
    expect(sql.stdout()).not.toContain("not reached");
  }, 120_000);
});
