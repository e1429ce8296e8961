// scrypt from node:crypto: memory-hard, no native addon to build. Format: scrypt$N$r$p$salt$hash.
//
// Every hash runs on one thread of its own (a worker thread, started at the first hash), one at a
// time. Each hash takes 16 MB (N=16384, r=8), and glibc's allocator keeps that much in the arena
// of the thread that ran it once it has raised its mmap threshold for a 16 MB block: on libuv's
// four threadpool threads (crypto.scrypt) a server that had served a few logins kept 64 MB more;
// on one thread it keeps 16 MB, however many logins come at once. The thread costs ~10 MB and
// hashes at one core's speed (a login waits behind those before it). ADR 021.
import { randomBytes, timingSafeEqual, type ScryptOptions } from "node:crypto";
import { Worker } from "node:worker_threads";

const PARAMS = { N: 16384, r: 8, p: 1 };
const KEY_LENGTH = 32;
const MAX_MEMORY = 64 * 1024 * 1024;

interface HashJob {
  id: number;
  password: string;
  salt: Buffer;
  keylen: number;
  options: ScryptOptions;
}

type HashReply = { id: number; key: Uint8Array } | { id: number; error: { message: string; code?: string } };

// CommonJS, evaluated by the worker: nothing to resolve on disk, under dist/ or the test runner alike.
const HASHER_SOURCE = `
const { parentPort } = require("node:worker_threads");
const { scryptSync } = require("node:crypto");
parentPort.on("message", ({ id, password, salt, keylen, options }) => {
  try {
    parentPort.postMessage({ id, key: scryptSync(password, salt, keylen, options) });
  } catch (err) {
    parentPort.postMessage({ id, error: { message: String(err && err.message), code: err && err.code } });
  }
});
`;

let hasher: Worker | undefined;
let nextId = 0;
const waiting = new Map<number, { resolve: (key: Buffer) => void; reject: (err: Error) => void }>();

/** The hashing thread, started on first use; it keeps the process alive only while hashes are waiting. */
function hashingThread(): Worker {
  if (hasher) return hasher;
  const worker = new Worker(HASHER_SOURCE, { eval: true, execArgv: [] });
  worker.unref();
  const fail = (err: Error) => {
    if (hasher === worker) hasher = undefined;
    for (const job of waiting.values()) job.reject(err);
    waiting.clear();
  };
  worker.on("message", (reply: HashReply) => {
    const job = waiting.get(reply.id);
    if (!job) return;
    waiting.delete(reply.id);
    if (waiting.size === 0) worker.unref();
    if ("key" in reply) job.resolve(Buffer.from(reply.key));
    else job.reject(Object.assign(new Error(reply.error.message), { code: reply.error.code }));
  });
  worker.on("error", fail);
  worker.on("exit", (code) => fail(new Error(`the password hashing thread exited (code ${code})`)));
  hasher = worker;
  return worker;
}

function scrypt(password: string, salt: Buffer, keylen: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const worker = hashingThread();
    const id = nextId++;
    waiting.set(id, { resolve, reject });
    worker.ref();
    const job: HashJob = { id, password, salt, keylen, options };
    worker.postMessage(job);
  });
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, KEY_LENGTH, { ...PARAMS, maxmem: MAX_MEMORY });
  return ["scrypt", PARAMS.N, PARAMS.r, PARAMS.p, salt.toString("base64url"), key.toString("base64url")].join(
    "$",
  );
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split("$");
  if (scheme !== "scrypt" || !salt || !hash) return false;
  const expected = Buffer.from(hash, "base64url");
  const key = await scrypt(password, Buffer.from(salt, "base64url"), expected.length, {
    N: Number(n),
    r: Number(r),
    p: Number(p),
    maxmem: MAX_MEMORY,
  });
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/**
 * Verified against when the username is unknown, so response time does not reveal which usernames
 * exist: the same parameters as a stored hash, so the same work. Its key is random bytes rather
 * than a hash of anything (login fails without an account whatever it matches), so no process
 * spends a hash at start-up to make it.
 */
export const DUMMY_HASH = [
  "scrypt",
  PARAMS.N,
  PARAMS.r,
  PARAMS.p,
  randomBytes(16).toString("base64url"),
  randomBytes(KEY_LENGTH).toString("base64url"),
].join("$");
