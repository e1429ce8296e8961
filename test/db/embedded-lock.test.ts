// One owner per embedded data directory: a second opener is refused with a sentence naming the
// owner's PID; a lock left by a killed process is taken over, by exactly one of several takers.
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { databaseConfigFor } from "../../src/config.ts";
import { openDatabase } from "../../src/db/database.ts";
import {
  acquireEmbeddedLock,
  EmbeddedLockHeldError,
  LOCK_FILE,
  processStartTime,
  readEmbeddedLock,
  type LockHolder,
} from "../../src/db/embedded-lock.ts";
import { spawnHolder } from "../support/lock-holder.ts";

const freshDir = () => mkdtempSync(path.join(tmpdir(), "movr-lock-"));
const lockOf = (dir: string) => JSON.parse(readFileSync(path.join(dir, LOCK_FILE), "utf8")) as LockHolder;

describe("the embedded data directory's lock", () => {
  it("refuses a second opener in the same process with one sentence naming the owner's PID", async () => {
    const dataDir = freshDir();
    const config = { ...databaseConfigFor(undefined, {}), dataDir };
    const first = await openDatabase(config);
    try {
      await first.exec("CREATE TABLE kept (x INT)");
      const second = openDatabase(config);
      await expect(second).rejects.toBeInstanceOf(EmbeddedLockHeldError);
      const message = await second.then(
        () => "opened",
        (err: Error) => err.message,
      );
      expect(message).toContain(`in use by process ${process.pid}`);
      expect(message).toContain(dataDir);
      expect(message.split("\n")).toHaveLength(1);
      await first.exec("INSERT INTO kept VALUES (1)");
    } finally {
      await first.close();
    }
    // Released on close: the next opener gets it, and the first one's writes.
    expect(readEmbeddedLock(dataDir)).toBeUndefined();
    const again = await openDatabase(config);
    try {
      expect((await again.query<{ x: number }>("SELECT x FROM kept")).rows).toEqual([{ x: 1 }]);
    } finally {
      await again.close();
    }
  }, 180_000); // two PGlite opens and an initdb: slow on a busy machine

  it("refuses while another live process holds it, and takes over once that process is SIGKILLed", async () => {
    const dir = freshDir();
    const holder = spawnHolder(dir);
    await holder.settled;
    expect(lockOf(dir).pid).toBe(holder.child.pid);
    expect(() => acquireEmbeddedLock(dir)).toThrow(`in use by process ${holder.child.pid}`);

    holder.child.kill("SIGKILL");
    expect(await holder.exited).toBe("SIGKILL");
    expect(lockOf(dir).pid).toBe(holder.child.pid); // left behind: stale
    expect(readEmbeddedLock(dir)?.liveness).toBe("dead");

    const lock = acquireEmbeddedLock(dir);
    try {
      expect(lockOf(dir).pid).toBe(process.pid);
    } finally {
      lock.release();
    }
    expect(readdirSync(dir)).toEqual([]); // no claim or temporary files left
  });

  it("treats a live PID with another start time as a reused PID: stale", () => {
    const dir = freshDir();
    const stale: LockHolder = {
      pid: process.pid, // alive, but ...
      host: hostname(),
      procStart: `${processStartTime(process.pid)}0`, // ... not the process that wrote the lock
      since: new Date().toISOString(),
      command: "npm start",
      sqlPort: 5442,
      nonce: "n0",
    };
    writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify(stale));
    expect(readEmbeddedLock(dir)?.liveness).toBe("dead");
    const lock = acquireEmbeddedLock(dir);
    expect(lockOf(dir).nonce).not.toBe("n0");
    lock.release();
  });

  it("reads an advertised SQL port that is no TCP port (a damaged lock) as none: no URL to a port 70000", () => {
    const dir = freshDir();
    for (const sqlPort of [70000, 1.5, -5, 0, 1e300]) {
      const holder: LockHolder = {
        pid: process.pid,
        host: hostname(),
        procStart: processStartTime(process.pid),
        since: new Date().toISOString(),
        command: "npm start",
        sqlPort,
        nonce: "n2",
      };
      writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify(holder));
      expect(readEmbeddedLock(dir)?.holder.sqlPort, String(sqlPort)).toBeNull();
      let refused: unknown;
      try {
        acquireEmbeddedLock(dir).release();
      } catch (err) {
        refused = err;
      }
      expect(refused).toBeInstanceOf(EmbeddedLockHeldError);
      expect((refused as EmbeddedLockHeldError).sqlUrl).toBeUndefined();
      expect((refused as Error).message).toContain("stop that process");
    }
  });

  it("refuses a lock held on another host, saying which host and which file to delete", () => {
    const dir = freshDir();
    const foreign: LockHolder = {
      pid: 4242,
      host: `${hostname()}-elsewhere`,
      procStart: null,
      since: new Date().toISOString(),
      command: "npm start",
      sqlPort: null,
      nonce: "n1",
    };
    writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify(foreign));
    expect(() => acquireEmbeddedLock(dir)).toThrow(
      `in use by process 4242 on host ${foreign.host}; stop it there, or delete ${path.join(dir, LOCK_FILE)}`,
    );
  });

  it("lets exactly one of several processes take over one stale lock", async () => {
    const dir = freshDir();
    const first = spawnHolder(dir);
    await first.settled;
    first.child.kill("SIGKILL");
    await first.exited;

    const takers = [spawnHolder(dir), spawnHolder(dir), spawnHolder(dir)];
    const outcomes = await Promise.all(
      takers.map((t) =>
        t.settled.then(
          () => "won",
          () => "refused",
        ),
      ),
    );
    try {
      expect(outcomes.filter((o) => o === "won")).toHaveLength(1);
      const winner = takers[outcomes.indexOf("won")]!;
      expect(lockOf(dir).pid).toBe(winner.child.pid);
      for (const [i, t] of takers.entries()) {
        if (outcomes[i] === "refused") {
          expect(await t.exited).toBe(1);
          expect(t.output()).toContain(`in use by process ${winner.child.pid}`);
        }
      }
    } finally {
      for (const t of takers) t.child.stdin.end();
      await Promise.all(takers.map((t) => t.exited));
    }
    expect(readdirSync(dir)).toEqual([]); // the winner released it on exit
  }, 120_000);
});
