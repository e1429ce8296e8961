// The SQL shell (`movr sql`, `movr demo`): statements split at semicolons outside quotes,
// aligned tables, SHOW TABLES / SHOW CREATE TABLE from the catalogs, errors that do not end the
// session; and `movr demo` serving the same database to other PostgreSQL clients.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { renderTable } from "../../src/cli/shell/render.ts";
import { splitStatements } from "../../src/cli/shell/split.ts";
import { runSql } from "../../src/cli/sql.command.ts";
import { databaseConfigFor } from "../../src/config.ts";
import { openDatabase } from "../../src/db/database.ts";
import { migrate } from "../../src/db/migrate.ts";
import { createServerDatabase, dropServerDatabases, SERVER_URL } from "../support/databases.ts";
import { runMovr, spawnMovr, testIo } from "./support.ts";

afterAll(dropServerDatabases);
const exec = promisify(execFile);

describe("splitting statements", () => {
  it("splits at semicolons outside quotes, dollar quotes and comments, keeping the unfinished rest", () => {
    expect(splitStatements("select 1; select 'a;b';\nselect 2")).toEqual({
      statements: ["select 1", "select 'a;b'"],
      rest: "\nselect 2",
    });
    expect(
      splitStatements(`select "x;y", 'it''s;' -- a comment; still one\n; select $$;$$, $tag$ ; $tag$;`),
    ).toEqual({
      statements: [`select "x;y", 'it''s;' -- a comment; still one`, "select $$;$$, $tag$ ; $tag$"],
      rest: "",
    });
    expect(splitStatements("select /* ; */ 1;;  ;").statements).toEqual(["select /* ; */ 1"]);
    expect(splitStatements("select 'unterminated;").statements).toEqual([]);
    expect(splitStatements("-- only a comment;\n").statements).toEqual([]);
  });
});

describe("rendering", () => {
  it("aligns columns, prints NULL, splits multi-line cells and counts rows", () => {
    expect(
      renderTable(
        ["id", "name"],
        [
          ["1", "Ada"],
          ["22", null],
          ["3", "two\nlines"],
        ],
      ),
    ).toEqual([
      " id | name",
      "----+-------",
      " 1  | Ada",
      " 22 | NULL",
      " 3  | two",
      "    | lines",
      "(3 rows)",
    ]);
    expect(renderTable(["x"], [["1"]]).at(-1)).toBe("(1 row)");
  });
});

const SESSION = [
  "CREATE TABLE owners (id INT PRIMARY KEY, name VARCHAR(20) NOT NULL DEFAULT 'anon');",
  "CREATE TABLE pets (",
  "  id INT NOT NULL,",
  "  owner_id INT REFERENCES owners (id),",
  "  legs INT CHECK (legs >= 0),",
  "  CONSTRAINT pets_pkey PRIMARY KEY (id)",
  ");",
  "CREATE INDEX pets_by_owner ON pets (owner_id);",
  "INSERT INTO owners (id) VALUES (1), (2);",
  "SELECT id,",
  "       name",
  "  FROM owners ORDER BY id;",
  "SHOW TABLES;",
  "show create table pets;",
  "\\q",
  "SELECT 'after quit';",
].join("\n");

describe("movr sql on the embedded database", () => {
  it("runs multi-line statements and stops at \\q", async () => {
    const io = testIo(undefined, `${SESSION}\n`);
    const summary = await runSql(databaseConfigFor("memory://", {}), io);
    expect(summary).toEqual({ statements: 7, errors: 0, stoppedOnError: false });
    expect(io.stderr.text).toBe("");
    expect(io.stdout.lines).toEqual([
      "CREATE TABLE",
      "CREATE TABLE",
      "CREATE INDEX",
      "INSERT 2",
      " id | name",
      "----+------",
      " 1  | anon",
      " 2  | anon",
      "(2 rows)",
      " schema_name | table_name | type",
      "-------------+------------+-------",
      " public      | owners     | table",
      " public      | pets       | table",
      "(2 rows)",
      " table_name  | create_statement",
      "-------------+---------------------------------------------------------------------------------",
      " public.pets | CREATE TABLE public.pets (",
      "             |     id INT4 NOT NULL,",
      "             |     owner_id INT4 NULL,",
      "             |     legs INT4 NULL,",
      "             |     CONSTRAINT pets_pkey PRIMARY KEY (id),",
      "             |     CONSTRAINT pets_owner_id_fkey FOREIGN KEY (owner_id) REFERENCES owners(id),",
      "             |     CONSTRAINT pets_legs_check CHECK ((legs >= 0))",
      "             | );",
      "             | CREATE INDEX pets_by_owner ON public.pets USING btree (owner_id);",
      "(1 row)",
    ]);
  });
});

if (SERVER_URL) {
  describe("movr sql on the PostgreSQL server", () => {
    it("answers SHOW TABLES and SHOW CREATE TABLE users from the catalogs, with piped input", async () => {
      const url = await createServerDatabase();
      const database = await openDatabase(databaseConfigFor(url, {}));
      await migrate(database);
      await database.close();
      const io = testIo(
        undefined,
        "SHOW TABLES;\nSHOW CREATE TABLE users;\nSELECT count(*) AS n FROM users\n",
      );
      const summary = await runSql(databaseConfigFor(url, {}), io);
      expect(summary).toEqual({ statements: 3, errors: 0, stoppedOnError: false });
      expect(io.stdout.text).toMatch(/^ public +\| vehicle_location_histories +\| table$/m);
      expect(io.stdout.text).toContain("CONSTRAINT users_pkey PRIMARY KEY (city, id)");
      expect(io.stdout.text).toContain("is_owner BOOL NOT NULL DEFAULT false,");
      expect(io.stdout.text).toContain(
        "CREATE UNIQUE INDEX users_username_key ON public.users USING btree (username);",
      );
      // The last statement had no semicolon: piped input runs it at the end anyway.
      expect(io.stdout.text).toMatch(/ n\n---+\n 0\n\(1 row\)/);
    });

    it("starts its session with the URL's own ?options= (search_path, timeouts), as the other commands do", async () => {
      const url = new URL(await createServerDatabase());
      url.searchParams.set("options", "-c search_path=elsewhere -c statement_timeout=4321");
      const io = testIo(undefined, "SHOW search_path;\nSHOW statement_timeout;\n");
      expect(await runSql(databaseConfigFor(url.toString(), {}), io)).toMatchObject({ errors: 0 });
      expect(io.stdout.text).toMatch(/^ elsewhere$/m);
      expect(io.stdout.text).toMatch(/^ 4321ms$/m);
    });
  });
}

describe("movr demo", () => {
  it("preloads movr data, answers SHOW CREATE TABLE users, and serves pg and psql clients on the printed URL", async () => {
    const demo = spawnMovr(["demo", "--seed", "3"]);
    try {
      const [, url] = await demo.waitFor(/^#\s+(postgresql:\/\/\S+)$/m, 150_000);
      // A pg client stays connected (and queries) while the shell keeps working.
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        const users = await client.query<{ n: string }>("SELECT count(*) AS n FROM users");
        expect(Number(users.rows[0]!.n)).toBe(50);

        demo.child.stdin.write("SHOW CREATE\n  TABLE users;\n");
        await demo.waitFor(
          /CREATE UNIQUE INDEX users_username_key ON public\.users USING btree \(username\);/,
        );
        expect(demo.stdout()).toContain("| CREATE TABLE public.users (");
        expect(demo.stdout()).toContain("|     CONSTRAINT users_pkey PRIMARY KEY (city, id)");

        await client.query(
          "INSERT INTO promo_codes (code, description) VALUES ('FROM_PG', 'written by a pg client')",
        );
        demo.child.stdin.write("SELECT code, description FROM promo_codes WHERE code = 'FROM_PG';\n");
        await demo.waitFor(/^ FROM_PG \| written by a pg client$/m);

        const psql = await exec("psql", [url!, "-At", "-c", "SELECT count(*) FROM vehicles"]);
        expect(psql.stdout.trim()).toBe("15");
      } finally {
        await client.end();
      }
      demo.child.stdin.write("\\q\n");
      expect(await demo.exited).toBe(0);
      expect(demo.stderr()).toBe("");
    } finally {
      demo.child.kill();
    }
  }, 240_000);

  it("ends with one line and exit code 2 for an unknown city", async () => {
    const r = await runMovr(["demo", "--city", "atlantis"]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/^movr: "atlantis" is not a MovR city/);
  });
});
