// Password hashing (src/auth/password.ts): scrypt on one thread of its own, one hash at a time.
import { execFileSync } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { DUMMY_HASH, hashPassword, verifyPassword } from "../../src/auth/password.ts";
import { PROJECT_ROOT } from "../../src/config.ts";

describe("password hashing", () => {
  it("verifies the password a hash was made from, and no other", async () => {
    const stored = await hashPassword("correct horse");
    expect(stored).toMatch(/^scrypt\$16384\$8\$1\$[\w-]{22}\$[\w-]{43}$/);
    expect(await verifyPassword("correct horse", stored)).toBe(true);
    expect(await verifyPassword("correct horse ", stored)).toBe(false);
    expect(await verifyPassword("correct horse", "bcrypt$whatever")).toBe(false);
  });

  it("answers every hash asked for at once, each for its own password", async () => {
    const passwords = Array.from({ length: 6 }, (_, i) => `password ${i}`);
    const stored = await Promise.all(passwords.map((p) => hashPassword(p)));
    expect(new Set(stored).size).toBe(passwords.length);
    const checks = await Promise.all(
      stored.map((s, i) => verifyPassword(passwords[(i + 1) % passwords.length]!, s)),
    );
    expect(checks).toEqual(passwords.map(() => false));
    expect(await Promise.all(stored.map((s, i) => verifyPassword(passwords[i]!, s)))).toEqual(
      passwords.map(() => true),
    );
  });

  it("rejects a stored hash whose parameters scrypt refuses, as crypto.scrypt does", async () => {
    await expect(verifyPassword("x", "scrypt$1000$8$1$c2FsdA$a2V5")).rejects.toMatchObject({
      code: "ERR_CRYPTO_INVALID_SCRYPT_PARAMS",
    });
    // The thread is still there for the next one.
    expect(await verifyPassword("x", await hashPassword("x"))).toBe(true);
  });

  it("checks an unknown user's login against a hash of the same cost that nothing matches", async () => {
    expect(DUMMY_HASH.split("$").slice(0, 4)).toEqual((await hashPassword("x")).split("$").slice(0, 4));
    expect(await verifyPassword("", DUMMY_HASH)).toBe(false);
  });

  // glibc keeps a 16 MB block in the arena of each thread that ran a hash: on libuv's four
  // threadpool threads (crypto.scrypt), eight logins at once left a process 64 MB larger.
  it("keeps the memory of one hash, not one per thread, after many at once; the process still exits by itself", () => {
    const script = `
      const { hashPassword } = await import(${JSON.stringify(path.join(PROJECT_ROOT, "dist", "src", "auth", "password.js"))});
      const { readFileSync } = await import("node:fs");
      const rss = () => Number(/^VmRSS:\\s+(\\d+)/m.exec(readFileSync("/proc/self/status", "utf8"))[1]) / 1024;
      await hashPassword("warm up");
      const before = rss();
      for (let round = 0; round < 3; round++) await Promise.all(Array.from({ length: 8 }, (_, i) => hashPassword("p" + i)));
      console.log(JSON.stringify({ grewMb: rss() - before }));
    `;
    const out = execFileSync(process.execPath, ["--input-type=module", "-e", script], {
      encoding: "utf8",
      timeout: 120_000,
    });
    const { grewMb } = JSON.parse(out) as { grewMb: number };
    // One thread: at most one more 16 MB block than after the first hash (which glibc returns).
    expect(grewMb).toBeLessThan(40);
  });
});
