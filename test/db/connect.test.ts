// Connecting: URL schemes, TLS parameters, dialect detection, and one clear line on failure.
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type AddressInfo, type Socket } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, databaseConfigFor, loadConfig } from "../../src/config.ts";
import { sql } from "drizzle-orm";
import { openDatabase, parseServerUrl, redact } from "../../src/db/database.ts";
import { runTransaction } from "../../src/db/transaction.ts";
import { DatabaseUnavailableError } from "../../src/shared/errors.ts";
import { SERVER_URL } from "../support/databases.ts";
import { BAD_URL_PARAMETERS } from "../support/url-parameters.ts";

describe("parseServerUrl", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "movr-tls-"));
  const ca = path.join(dir, "ca.crt");
  writeFileSync(ca, "-----BEGIN CERTIFICATE-----\nfake\n-----END CERTIFICATE-----\n");

  it("takes cockroachdb:// as PostgreSQL with the CockroachDB dialect and port 26257", () => {
    const p = parseServerUrl("cockroachdb://root@db.example:/movr?sslmode=disable");
    expect(p.forcedCockroach).toBe(true);
    expect(p.host).toBe("db.example:26257");
    expect(p.connectionString).toBe("postgresql://root@db.example:26257/movr");
    expect(p.ssl).toBe(false);
  });

  it("loads the root certificate for verify-full and strips TLS parameters from the URL", () => {
    const p = parseServerUrl(
      `postgresql://u:secret@h:26257/movr?sslmode=verify-full&sslrootcert=${ca}&application_name=x`,
    );
    expect(p.connectionString).toBe("postgresql://u:secret@h:26257/movr?application_name=x");
    expect(p.ssl).toMatchObject({ rejectUnauthorized: true });
    expect(String((p.ssl as { ca: Buffer }).ca)).toContain("BEGIN CERTIFICATE");
  });

  it("names a missing certificate file", () => {
    expect(() => parseServerUrl("postgresql://h/movr?sslmode=verify-full&sslrootcert=/nope/ca.crt")).toThrow(
      /sslrootcert file "\/nope\/ca.crt" does not exist/,
    );
    expect(() => parseServerUrl(`postgresql://h/movr?sslmode=require&sslcert=${ca}`)).toThrow(/sslkey/);
    expect(() => parseServerUrl("postgresql://h/movr?sslmode=sometimes")).toThrow(/sslmode "sometimes"/);
  });

  it("reads connect_timeout (seconds), ssl and a repeated parameter's last value as the driver does", () => {
    expect(parseServerUrl("postgresql://h/movr?connect_timeout=5").connectTimeoutMs).toBe(5000);
    expect(parseServerUrl("postgresql://h/movr?connect_timeout=0").connectTimeoutMs).toBe(0);
    expect(parseServerUrl("postgresql://h/movr").connectTimeoutMs).toBeUndefined();
    expect(parseServerUrl("postgresql://h/movr?ssl=true").ssl).toMatchObject({ rejectUnauthorized: true });
    expect(parseServerUrl("postgresql://h/movr?ssl=no-verify").ssl).toMatchObject({
      rejectUnauthorized: false,
    });
    expect(parseServerUrl("postgresql://h/movr?ssl=0&sslmode=prefer").ssl).toBe(false);
    // The driver would read "false" as true, and ignore connect_timeout: read here, never passed on.
    const p = parseServerUrl(
      "postgresql://h/movr?binary=false&replication=0&connect_timeout=3&ssl=false&statement_timeout=250",
    );
    expect(p.connectionString).toBe("postgresql://h/movr?statement_timeout=250");
    expect(() => parseServerUrl("postgresql://h/movr?connect_timeout=5&connect_timeout=abc")).toThrow(
      /has connect_timeout "abc"/,
    );
  });

  it("refuses, in one sentence naming it, every parameter value the URL cannot have", () => {
    for (const [query, problem] of BAD_URL_PARAMETERS) {
      const url = `postgresql://me:hunter2@h/movr?${query}`;
      const err = (() => {
        try {
          parseServerUrl(url);
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(err, query).toBeInstanceOf(DatabaseUnavailableError);
      expect((err as Error).message, query).toBe(
        `The database URL "postgresql://me:***@h/movr?${query}" has ${problem}`,
      );
    }
  });

  it("refuses a user, password or database name that is no text the server takes (NUL, bad %XX), naming the part", () => {
    for (const [url, part] of [
      ["postgresql://post%00gres@h/movr", "user name"],
      ["postgresql://me:pa%00ss@h/movr", "password"],
      ["postgresql://me:pa%ZZss@h/movr", "password"],
      ["postgresql://me@h/mo%00vr", "database name"],
      ["postgresql://me@h/mo%E9vr", "database name"],
      ["postgresql://me@h/mo%1Bvr", "database name"],
    ] as const) {
      expect(() => parseServerUrl(url), url).toThrow(
        new RegExp(
          `^The database URL ".*" has a ${part} that is not validly percent-encoded text without control characters$`,
        ),
      );
    }
    // What PostgreSQL allows in names stays allowed: spaces, Unicode, percent-encoded delimiters.
    for (const url of [
      "postgresql://m%C3%A9%20x:p%40ss%2Fw@h/caf%C3%A9%20db",
      "postgresql://h",
      "postgresql://me@h/",
    ]) {
      expect(() => parseServerUrl(url), url).not.toThrow();
    }
  });

  it("never prints a password", () => {
    expect(redact("postgresql://me:hunter2@h/db")).toBe("postgresql://me:***@h/db");
  });
});

describe("openDatabase", () => {
  it("reports an unreachable server in one line naming the host", async () => {
    const err = await openDatabase(databaseConfigFor("postgresql://postgres@127.0.0.1:1/movr", {})).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DatabaseUnavailableError);
    expect((err as Error).message).toBe(
      "Cannot reach the database at 127.0.0.1:1: connection refused (is the server running?)",
    );
  });

  it("refuses an unknown scheme", async () => {
    await expect(openDatabase(databaseConfigFor("mysql://h/db", {}))).rejects.toThrow(
      /Unsupported database URL scheme/,
    );
  });

  it("opens an embedded database in memory", async () => {
    const db = await openDatabase(databaseConfigFor("memory://", {}));
    expect(db).toMatchObject({ kind: "embedded", dialect: "postgres" });
    await db.close();
  });

  it("persists an embedded database in its data directory", async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), "movr-data-"));
    const config = { ...databaseConfigFor(undefined, {}), dataDir };
    const first = await openDatabase(config);
    await first.exec("CREATE TABLE kept (x INT)");
    await first.exec("INSERT INTO kept VALUES (7)");
    await first.close();
    const second = await openDatabase(config);
    expect((await second.query<{ x: number }>("SELECT x FROM kept")).rows).toEqual([{ x: 7 }]);
    expect(second.description).toContain(dataDir);
    await second.close();
  });

  it("gives up connecting after the URL's connect_timeout, whatever DB_CONNECT_TIMEOUT_MS says", async () => {
    // A server that accepts and never answers: only a connect timeout ends the wait.
    const sockets: Socket[] = [];
    const silent = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const port = (silent.address() as AddressInfo).port;
    try {
      const config = databaseConfigFor(`postgresql://postgres@127.0.0.1:${port}/movr?connect_timeout=1`, {
        DB_CONNECT_TIMEOUT_MS: "600000",
        DB_POOL_ACQUIRE_TIMEOUT_MS: "600000",
      });
      const err = await openDatabase(config).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DatabaseUnavailableError);
      expect((err as Error).message).toMatch(/^Cannot reach the database at 127\.0\.0\.1:\d+: .*timeout/i);
    } finally {
      for (const socket of sockets) socket.destroy();
      silent.close();
    }
  });

  it.runIf(SERVER_URL)("passes the URL's timeouts to the server as numbers of milliseconds", async () => {
    const url = new URL(SERVER_URL!);
    url.searchParams.set("statement_timeout", "2500");
    url.searchParams.set("binary", "false");
    const db = await openDatabase(databaseConfigFor(url.toString(), {}));
    try {
      const r = await db.query<{ t: string; n: number; d: Date }>(
        "SELECT current_setting('statement_timeout') AS t, 7 AS n, now() AS d",
      );
      // binary=false left results as text, parsed as ever: a number, a Date.
      expect(r.rows[0]).toMatchObject({ t: "2500ms", n: 7 });
      expect(r.rows[0]?.d).toBeInstanceOf(Date);
    } finally {
      await db.close();
    }
  });

  it.runIf(SERVER_URL)("detects PostgreSQL from SELECT version() and sets application_name", async () => {
    const config = databaseConfigFor(SERVER_URL, {});
    const db = await openDatabase({ ...config, pool: { ...config.pool, applicationName: "movr-test-app" } });
    expect(db).toMatchObject({ kind: "server", dialect: "postgres" });
    const r = await db.query<{ name: string }>("SELECT current_setting('application_name') AS name");
    expect(r.rows[0]?.name).toBe("movr-test-app");
    await db.close();
  });
});

type Rows = { rows: Record<string, unknown>[] };

describe("a connection lost inside a transaction", () => {
  it.runIf(SERVER_URL)("becomes 'unavailable', is not retried, and never leaks a pool slot", async () => {
    const config = databaseConfigFor(SERVER_URL, {});
    const db = await openDatabase({ ...config, pool: { ...config.pool, max: 2 } });
    const admin = await openDatabase({ ...config, pool: { ...config.pool, max: 1 } });
    try {
      // More losses than the pool has slots: a leaked slot per loss would hang the last ones.
      for (let i = 0; i < 4; i++) {
        let attempts = 0;
        const err = await runTransaction(db, async (tx) => {
          attempts++;
          const pid = ((await tx.execute(sql`SELECT pg_backend_pid() AS pid`)) as Rows).rows[0]?.pid;
          await admin.query("SELECT pg_terminate_backend($1)", [pid]);
          await tx.execute(sql`SELECT 1`);
        }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(DatabaseUnavailableError);
        expect(attempts).toBe(1);
      }
      const ok = await runTransaction(
        db,
        async (tx) => ((await tx.execute(sql`SELECT 42 AS n`)) as Rows).rows[0]?.n,
      );
      expect(ok).toBe(42);
    } finally {
      await admin.close();
      await db.close();
    }
  });
});

describe("loadConfig", () => {
  it("has working defaults for the embedded database", () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ port: 3000, host: "127.0.0.1", demoData: true, sessionSecretGenerated: true });
    expect(c.database.url).toBeUndefined();
    expect(c.regions.map((r) => r.name)).toEqual(["us-east", "us-west", "europe-west"]);
  });

  it("names every bad variable", () => {
    expect(() => loadConfig({ PORT: "http", DB_POOL_MAX: "0" })).toThrow(ConfigError);
    expect(() => loadConfig({ PORT: "http", DB_POOL_MAX: "0" })).toThrow(
      /PORT.*DB_POOL_MAX|DB_POOL_MAX.*PORT/,
    );
    expect(() => loadConfig({ REGION: "mars" })).toThrow(/REGION "mars"/);
    expect(() => loadConfig({ MOVR_REGIONS: "a=x;b=x" })).toThrow(/more than one region/);
  });

  it("requires a session secret against a server database, and no demo data there", () => {
    expect(() => loadConfig({ DATABASE_URL: "postgresql://h/db" })).toThrow(/SESSION_SECRET/);
    const c = loadConfig({ DATABASE_URL: "postgresql://h/db", SESSION_SECRET: "s".repeat(32) });
    expect(c.demoData).toBe(false);
  });

  it("reads the embedded SQL port: default 5442 (may fall back), a number, 0, or off", () => {
    expect(loadConfig({}).embeddedSql).toEqual({ port: 5442, isDefault: true });
    expect(loadConfig({ MOVR_EMBEDDED_SQL_PORT: "6000" }).embeddedSql).toEqual({
      port: 6000,
      isDefault: false,
    });
    expect(loadConfig({ MOVR_EMBEDDED_SQL_PORT: "0" }).embeddedSql).toEqual({ port: 0, isDefault: false });
    expect(loadConfig({ MOVR_EMBEDDED_SQL_PORT: "off" }).embeddedSql).toEqual({
      port: null,
      isDefault: false,
    });
    expect(() => loadConfig({ MOVR_EMBEDDED_SQL_PORT: "on" })).toThrow(/MOVR_EMBEDDED_SQL_PORT/);
    expect(() => loadConfig({ MOVR_EMBEDDED_SQL_PORT: "70000" })).toThrow(/MOVR_EMBEDDED_SQL_PORT/);
  });

  it("reads a region map from MOVR_REGIONS", () => {
    const c = loadConfig({
      MOVR_REGIONS: "us-central=chicago,detroit; us-east=new york",
      REGION: "us-central",
    });
    expect(c.regions).toEqual([
      { name: "us-central", cities: ["chicago", "detroit"] },
      { name: "us-east", cities: ["new york"] },
    ]);
  });
});

describe("a pooled connection used again and again", () => {
  it.runIf(SERVER_URL)("keeps one 'error' listener of ours, however many sessions it serves", async () => {
    const config = databaseConfigFor(SERVER_URL, {});
    const db = await openDatabase({ ...config, pool: { ...config.pool, max: 1 } });
    try {
      // One connection, so every session and transaction below reuses the same client.
      for (let i = 0; i < 15; i++) {
        await db.withSession((s) => s.query("SELECT 1"));
        await runTransaction(db, (tx) => tx.execute(sql`SELECT 1`));
      }
      const client = await db.pool!.connect();
      try {
        // Checked out, pg-pool's idle listener is off: what is left is the client's own, for life.
        expect(client.listenerCount("error")).toBe(1);
      } finally {
        client.release();
      }
    } finally {
      await db.close();
    }
  });
});
