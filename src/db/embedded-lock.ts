// One owner process for an embedded (file-backed PGlite) data directory. PGlite has no lock of
// its own: two processes on one directory both "work" and each overwrites the other's pages, so
// acknowledged writes vanish. The owner writes `movr.lock` into the directory (atomically, with
// its PID, host, process start time and the SQL port it serves); anyone else is told who owns it.
// See docs/embedded-database.md and docs/decisions/011-one-owner-per-embedded-database.md.
import { randomBytes } from "node:crypto";
import { linkSync, mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import path from "node:path";
import { DatabaseUnavailableError } from "../shared/errors.ts";
import { fileProblem, isFileError } from "../shared/file-errors.ts";

export const LOCK_FILE = "movr.lock";

/** What the lock file holds (JSON). */
export interface LockHolder {
  pid: number;
  host: string;
  /** The process's start time as the OS reports it (Linux: /proc/PID/stat field 22), or null. */
  procStart: string | null;
  /** When the lock was taken, ISO 8601. */
  since: string;
  /** What the process is: "npm start", "movr sql", ... */
  command: string;
  /** The loopback port serving this database over the PostgreSQL protocol, or null. */
  sqlPort: number | null;
  /** Random, unique to this taking of the lock. */
  nonce: string;
}

export type Liveness = "alive" | "dead" | "elsewhere";

/** The directory is owned by another live process (or one on another host that we cannot check). */
export class EmbeddedLockHeldError extends DatabaseUnavailableError {
  override name = "EmbeddedLockHeldError";
  constructor(
    readonly dataDir: string,
    readonly holder: LockHolder,
    readonly liveness: Liveness,
  ) {
    super(heldMessage(dataDir, holder, liveness));
  }

  /** The owner's SQL URL when it serves one on this host; undefined otherwise. */
  get sqlUrl(): string | undefined {
    return this.liveness === "alive" && this.holder.sqlPort ? embeddedSqlUrl(this.holder.sqlPort) : undefined;
  }
}

/** The URL of the embedded database served on a loopback port (PGlite accepts any user, no password). */
export function embeddedSqlUrl(port: number, host = "127.0.0.1"): string {
  return `postgresql://postgres@${host}:${port}/postgres?sslmode=disable`;
}

/** The one sentence a second opener prints. */
function heldMessage(dataDir: string, h: LockHolder, liveness: Liveness): string {
  const who =
    liveness === "elsewhere" ? `process ${h.pid} on host ${h.host}` : `process ${h.pid} (${h.command})`;
  const serving =
    h.sqlPort && liveness === "alive" ? `, which serves it at ${embeddedSqlUrl(h.sqlPort)}` : "";
  const todo =
    liveness === "elsewhere"
      ? `stop it there, or delete ${path.join(dataDir, LOCK_FILE)} if it is no longer running`
      : h.sqlPort
        ? "connect to that URL, or stop that process first"
        : "stop that process (or wait for it to finish) first";
  return `The embedded database in ${dataDir} is in use by ${who}${serving}; ${todo}, or use another MOVR_DATA_DIR or a server with --url/DATABASE_URL.`;
}

/** Linux: the start time of a process in clock ticks since boot; null where /proc is missing. */
export function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) is in parentheses and may contain spaces: count from after it.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return fields[19] ?? null; // field 22 overall; fields[0] is field 3
  } catch {
    return null;
  }
}

/** Whether the holder still runs: same host, PID alive, and (where the OS tells) the same start time. */
export function livenessOf(h: LockHolder): Liveness {
  if (h.host !== hostname()) return "elsewhere";
  try {
    process.kill(h.pid, 0);
  } catch (err) {
    // EPERM: the process exists but belongs to another user.
    if (isCode(err, "ESRCH")) return "dead";
  }
  if (h.procStart !== null) {
    const now = processStartTime(h.pid);
    // Another process that got the same PID after the holder died.
    if (now !== null && now !== h.procStart) return "dead";
  }
  return "alive";
}

function describeCommand(): string {
  const script = path.basename(process.argv[1] ?? "node");
  if (/^main\.[cm]?[jt]s$/.test(script)) return "npm start";
  if (/^movr(\.[cm]?[jt]s)?$/.test(script)) {
    const sub = process.argv[2];
    return sub && /^[a-z-]+$/.test(sub) ? `movr ${sub}` : "movr";
  }
  return script;
}

const isTcpPort = (n: unknown): n is number =>
  Number.isInteger(n) && (n as number) >= 1 && (n as number) <= 65535;

function parseHolder(raw: string): LockHolder | undefined {
  try {
    const h = JSON.parse(raw) as Partial<LockHolder>;
    if (typeof h.pid !== "number" || typeof h.host !== "string" || typeof h.nonce !== "string")
      return undefined;
    return {
      pid: h.pid,
      host: h.host,
      procStart: typeof h.procStart === "string" ? h.procStart : null,
      since: typeof h.since === "string" ? h.since : "",
      command: typeof h.command === "string" ? h.command : "unknown",
      // A damaged lock's 70000 or 1.5 would become a URL the user never typed, refused as invalid.
      sqlPort: isTcpPort(h.sqlPort) ? h.sqlPort : null,
      nonce: h.nonce,
    };
  } catch {
    return undefined;
  }
}

function readRaw(file: string): string | undefined {
  try {
    return readFileSync(file, "utf8");
  } catch (err) {
    if (isCode(err, "ENOENT")) return undefined;
    throw err;
  }
}

function isCode(err: unknown, code: string): boolean {
  return (err as NodeJS.ErrnoException).code === code;
}

function removeQuietly(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // already gone
  }
}

function pause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** The current owner of a data directory, if any, and whether it still runs. */
export function readEmbeddedLock(dataDir: string): { holder: LockHolder; liveness: Liveness } | undefined {
  const raw = readRaw(path.join(dataDir, LOCK_FILE));
  const holder = raw === undefined ? undefined : parseHolder(raw);
  return holder ? { holder, liveness: livenessOf(holder) } : undefined;
}

export interface EmbeddedLock {
  readonly file: string;
  readonly holder: LockHolder;
  /** Records (or clears, with null) the SQL port this process serves the database on. */
  advertise(sqlPort: number | null): void;
  /** Removes the lock file if it is still ours. Idempotent. */
  release(): void;
}

// Locks held by this process, released when it exits however it exits (short of SIGKILL).
const held = new Set<EmbeddedLock>();
let exitHookInstalled = false;

/**
 * Makes this process the one owner of `dataDir` (created if missing). Synchronous: nothing else
 * in the process runs between looking at the lock and taking it.
 *
 * - A new lock appears with its full content in one step: written to a private temporary file,
 *   then hard-linked to `movr.lock` (link fails with EEXIST if any lock exists).
 * - A stale lock (holder dead, or its PID now belongs to a younger process) is taken over by
 *   one process only: the taker first hard-links a claim file named after the stale lock's nonce
 *   (exclusive), re-checks that `movr.lock` still is that stale lock, then renames its own file
 *   over it. A second taker finds the claim and looks again.
 *
 * @throws EmbeddedLockHeldError when a live process (or one on another host) holds the lock.
 * @throws DatabaseUnavailableError when the directory cannot be written, or a claim was left by a
 *   taker that died in the middle of a takeover (the message names the files to remove).
 */
export function acquireEmbeddedLock(dataDir: string): EmbeddedLock {
  try {
    mkdirSync(dataDir, { recursive: true });
  } catch (err) {
    throw unusableDirectory(dataDir, err);
  }
  const file = path.join(dataDir, LOCK_FILE);
  const mine: LockHolder = {
    pid: process.pid,
    host: hostname(),
    procStart: processStartTime(process.pid),
    since: new Date().toISOString(),
    command: describeCommand(),
    sqlPort: null,
    nonce: randomBytes(12).toString("hex"),
  };
  const content = (h: LockHolder) => `${JSON.stringify(h)}\n`;
  const temp = (h: LockHolder) => {
    const t = `${file}.${h.pid}.${randomBytes(6).toString("hex")}.tmp`;
    writeFileSync(t, content(h), { mode: 0o644 });
    return t;
  };

  let lockHolder = mine;
  const lock: EmbeddedLock = {
    file,
    get holder() {
      return lockHolder;
    },
    advertise(sqlPort) {
      const next = { ...lockHolder, sqlPort };
      renameSync(temp(next), file); // atomic replace of our own lock: readers see old or new
      lockHolder = next;
    },
    release() {
      if (!held.delete(lock)) return;
      const raw = readRaw(file);
      if (raw !== undefined && parseHolder(raw)?.nonce === mine.nonce) removeQuietly(file);
    },
  };

  let mineTemp: string;
  try {
    mineTemp = temp(mine);
  } catch (err) {
    throw unusableDirectory(dataDir, err);
  }
  try {
    for (let attempt = 0; attempt < 200; attempt++) {
      try {
        linkSync(mineTemp, file);
        return own(lock);
      } catch (err) {
        if (!isCode(err, "EEXIST")) throw err;
      }
      const raw = readRaw(file);
      if (raw === undefined) continue; // released in between: try again
      const current = parseHolder(raw);
      if (current) {
        const liveness = livenessOf(current);
        if (liveness !== "dead") throw new EmbeddedLockHeldError(dataDir, current, liveness);
      }
      // Stale (or unreadable, which no movr process ever writes): claim it, then replace it.
      const staleId = current?.nonce ?? `x${Buffer.from(raw).toString("hex").slice(0, 24)}`;
      const claim = `${file}.claim-${staleId}`;
      try {
        linkSync(mineTemp, claim);
      } catch (err) {
        if (!isCode(err, "EEXIST")) throw err;
        const claimer = parseHolder(readRaw(claim) ?? "");
        if (claimer && livenessOf(claimer) === "alive") {
          pause(20); // another process is taking it over right now
          continue;
        }
        throw new DatabaseUnavailableError(
          `The embedded database in ${dataDir} has a stale lock that a process stopped while taking over; if no movr process uses it, delete ${file} and ${claim}.`,
        );
      }
      try {
        if (readRaw(file) !== raw) continue; // someone else finished first
        renameSync(temp(mine), file);
        return own(lock);
      } finally {
        removeQuietly(claim);
      }
    }
    throw new DatabaseUnavailableError(`Cannot take the lock ${file}: it keeps changing; try again.`);
  } catch (err) {
    if (err instanceof DatabaseUnavailableError) throw err;
    throw unusableDirectory(dataDir, err);
  } finally {
    removeQuietly(mineTemp);
  }
}

/**
 * A data directory that cannot be made or written (a file in its place, no permission, a full
 * or read-only disk), in one sentence: Node's "EEXIST: file already exists, mkdir '...'" named
 * a system call, and its code passed for a SQLSTATE ("(SQLSTATE EPERM)").
 */
export function unusableDirectory(dataDir: string, err: unknown): DatabaseUnavailableError {
  const problem = isFileError(err) ? fileProblem(err) : (err as Error).message;
  return new DatabaseUnavailableError(
    `The embedded database's directory ${dataDir} cannot be used: ${problem}; set MOVR_DATA_DIR to a directory this user can write, or use a server with --url/DATABASE_URL.`,
    { cause: err },
  );
}

function own(lock: EmbeddedLock): EmbeddedLock {
  held.add(lock);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on("exit", () => {
      for (const l of [...held]) l.release();
    });
  }
  return lock;
}
