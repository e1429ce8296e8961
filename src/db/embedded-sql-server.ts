// The embedded database served on a loopback PostgreSQL port, like `cockroach demo`: psql, the
// `movr` tool and any driver can use the database that `npm start` (or `movr demo`) has open.
//
// Why not PGLiteSocketServer from @electric-sql/pglite-socket: it queues the wire protocol one
// message at a time and only keeps a client's *explicit* transaction (BEGIN ... COMMIT) to
// itself. Another client's messages can still run between a Parse and its Sync (the extended
// protocol's implicit transaction; the unnamed statement is shared), and the process's own
// queries are not in its queue at all, so they run inside a wire client's open transaction and
// the client's statements inside the process's transactions. Here every user of the one PGlite
// session takes the same SessionGate and keeps it until the backend says ReadyForQuery "idle".
import { createServer, type Server, type Socket } from "node:net";
import type { PGlite } from "@electric-sql/pglite";
import type { EmbeddedSqlConfig } from "../config.ts";
import { DatabaseUnavailableError } from "../shared/errors.ts";
import type { Database } from "./database.ts";
import { copiesFromClient, COPY_FROM_CLIENT_REFUSING_SQL } from "./embedded-copy.ts";
import type { SessionGate } from "./session-gate.ts";

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;
const PROTOCOL_3 = 196608;
const TERMINATE = 0x58; // 'X'
const READY_FOR_QUERY = 0x5a; // 'Z'
const IDLE = 0x49; // 'I'

export interface SqlServerOptions {
  /** Loopback address to listen on. */
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** At most this many clients at once; more are refused with SQLSTATE 53300. */
  maxConnections?: number;
  /**
   * A client that keeps the session (inside a transaction, or between Parse and Sync) and sends
   * nothing for this long while others wait for it is disconnected and its transaction rolled
   * back, so one forgotten `BEGIN` in psql cannot stop the web server for good. Milliseconds;
   * 0 never. Default 30 s.
   */
  idleInTransactionTimeoutMs?: number;
}

export interface SqlServer {
  readonly host: string;
  readonly port: number;
  /** A postgresql:// URL for clients. */
  readonly url: string;
  /** Stops listening, disconnects every client (rolling back what they had open), and waits. */
  stop(): Promise<void>;
}

/** A backend ErrorResponse with severity FATAL. */
function fatal(code: string, message: string): Buffer {
  const fields = Buffer.from(`SFATAL\0VFATAL\0C${code}\0M${message}\0\0`, "utf8");
  const head = Buffer.alloc(5);
  head[0] = 0x45; // 'E'
  head.writeInt32BE(4 + fields.length, 1);
  return Buffer.concat([head, fields]);
}

function frontend(type: string, body: string): Uint8Array {
  const payload = Buffer.from(body, "utf8");
  const msg = Buffer.alloc(5 + payload.length);
  msg[0] = type.charCodeAt(0);
  msg.writeInt32BE(4 + payload.length, 1);
  payload.copy(msg, 5);
  return msg;
}

const SYNC = frontend("S", "");
const ROLLBACK = frontend("Q", "ROLLBACK\0");
/** Close of a prepared statement (no error when there is none). */
const closeStatement = (name: string) => frontend("C", `S${name}\0`);

const QUERY = 0x51; // 'Q'
const PARSE = 0x50; // 'P'
const BIND = 0x42; // 'B'
const DESCRIBE = 0x44; // 'D'
const CLOSE = 0x43; // 'C'
const STATEMENT = 0x53; // 'S', in Describe and Close

/** Where a frontend message's prepared-statement name starts, or -1 when it names none. */
function statementNameAt(message: Buffer): number {
  switch (message[0]) {
    case PARSE:
      return 5;
    case BIND:
      return message.indexOf(0, 5) + 1; // after the portal's name (0: malformed)
    case DESCRIBE:
    case CLOSE:
      return message[5] === STATEMENT ? 6 : -1;
    default:
      return -1;
  }
}

/**
 * The message with its statement name under `prefix`, and that name; unchanged when it names no
 * statement or the unnamed one (which lives only until the client's Sync, while it holds the
 * session). PGlite has one session, so without this every client shares one namespace of
 * prepared statements: two connections preparing the same name (pg's `name`, JDBC's S_1, two
 * connections of `movr run`) fail with 42P05.
 */
function withStatementPrefix(message: Buffer, prefix: Buffer): { message: Buffer; name?: string } {
  const at = statementNameAt(message);
  if (at <= 0) return { message };
  const end = message.indexOf(0, at);
  if (end <= at) return { message };
  const out = Buffer.concat([message.subarray(0, at), prefix, message.subarray(at)]);
  out.writeInt32BE(out.length - 1, 1);
  return { message: out, name: `${prefix.toString("utf8")}${message.toString("utf8", at, end)}` };
}

/**
 * A Query or Parse whose text would COPY from the client (embedded-copy.ts) with the text
 * replaced by a statement that fails saying why; any other message unchanged. PGlite handed the
 * COPY alone would wait for its data in a busy loop and stop the whole process.
 */
function withoutCopyFromClient(message: Buffer): Buffer {
  const type = message[0];
  if (type !== QUERY && type !== PARSE) return message;
  const start = type === QUERY ? 5 : message.indexOf(0, 5) + 1; // Parse: after the statement's name
  const end = message.indexOf(0, start);
  if (start <= 0 || end < start || !copiesFromClient(message.toString("utf8", start, end))) return message;
  // Parse keeps its statement name; it declares no parameter types (the text takes none).
  const body = [message.subarray(5, start), Buffer.from(`${COPY_FROM_CLIENT_REFUSING_SQL}\0`, "utf8")];
  if (type === PARSE) body.push(Buffer.alloc(2));
  const out = Buffer.concat([message.subarray(0, 5), ...body]);
  out.writeInt32BE(out.length - 1, 1);
  return out;
}

/** Numbers the connections: each one's statement names get a prefix of their own. */
let connectionCount = 0;

/** Follows backend message boundaries across chunks; remembers the last ReadyForQuery status. */
class ReadyScanner {
  #header = Buffer.alloc(0);
  #remaining = 0;
  #type = 0;
  /** Status byte of the last complete message if it was ReadyForQuery, else 0. */
  lastReady = 0;

  feed(chunk: Uint8Array): void {
    let i = 0;
    while (i < chunk.length) {
      if (this.#remaining > 0) {
        const take = Math.min(this.#remaining, chunk.length - i);
        if (this.#type === READY_FOR_QUERY && this.#remaining === 1) this.lastReady = chunk[i]!;
        this.#remaining -= take;
        i += take;
        continue;
      }
      const need = 5 - this.#header.length;
      this.#header = Buffer.concat([this.#header, chunk.subarray(i, i + need)]);
      i += Math.min(need, chunk.length - i);
      if (this.#header.length < 5) return;
      this.#type = this.#header[0]!;
      this.#remaining = this.#header.readInt32BE(1) - 4;
      this.#header = Buffer.alloc(0);
      this.lastReady = 0;
    }
  }
}

/** One client connection: frames its messages and runs them on PGlite holding the gate. */
class Connection {
  #buffer = Buffer.alloc(0);
  #started = false;
  #closed = false;
  #release: (() => void) | undefined;
  #chain: Promise<void> = Promise.resolve();
  #scanner = new ReadyScanner();
  #idleTimer: NodeJS.Timeout | undefined;
  /** "m<n>_": prefixes never start one another (no "_" in n), nor MovR's own "movr_" names. */
  readonly #prefix = Buffer.from(`m${(++connectionCount).toString(36)}_`);
  /** The statements it prepared (prefixed), closed when it goes. */
  readonly #statements = new Set<string>();
  #finish!: () => void;
  /** Resolves once the client is gone and the session given back. */
  readonly finished = new Promise<void>((resolve) => (this.#finish = resolve));

  constructor(
    private readonly socket: Socket,
    private readonly pglite: PGlite,
    private readonly gate: SessionGate,
    private readonly idleTimeoutMs: number,
  ) {
    socket.setNoDelay(true);
    socket.on("data", (data: Buffer) => {
      this.#buffer = Buffer.concat([this.#buffer, data]);
      this.#enqueue(() => this.#drain());
    });
    socket.on("error", () => undefined); // 'close' follows
    socket.on("close", () => {
      this.#closed = true;
      this.#enqueue(() => this.#cleanUp());
      void this.#chain.then(() => this.#finish());
    });
  }

  close(): void {
    this.socket.destroy();
  }

  #enqueue(step: () => Promise<void>): void {
    this.#chain = this.#chain.then(step).catch(() => {
      this.socket.destroy();
    });
  }

  #write(data: Uint8Array): void {
    if (!this.#closed && this.socket.writable) this.socket.write(data);
  }

  async #drain(): Promise<void> {
    clearTimeout(this.#idleTimer);
    while (!this.#closed) {
      if (!this.#started) {
        if (this.#buffer.length < 8) break;
        const length = this.#buffer.readInt32BE(0);
        if (this.#buffer.length < length) break;
        const code = this.#buffer.readInt32BE(4);
        const message = this.#buffer.subarray(0, length);
        this.#buffer = this.#buffer.subarray(length);
        if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
          this.#write(Buffer.from("N")); // no TLS on a loopback port
        } else if (code === PROTOCOL_3) {
          this.#started = true;
          await this.#execute(message);
        } else {
          // CancelRequest (PGlite has no backend to signal) or a protocol we do not speak.
          if (code !== CANCEL_REQUEST) this.#write(fatal("08P01", "unsupported frontend protocol"));
          this.socket.end();
          return;
        }
        continue;
      }
      if (this.#buffer.length < 5) break;
      const length = 1 + this.#buffer.readInt32BE(1);
      if (this.#buffer.length < length) break;
      const message = this.#buffer.subarray(0, length);
      this.#buffer = this.#buffer.subarray(length);
      if (message[0] === TERMINATE) {
        this.socket.end();
        return;
      }
      const own = withStatementPrefix(withoutCopyFromClient(message), this.#prefix);
      if (own.name !== undefined && message[0] === PARSE) this.#statements.add(own.name);
      if (own.name !== undefined && message[0] === CLOSE) this.#statements.delete(own.name);
      await this.#execute(own.message);
    }
    if (this.#release && this.idleTimeoutMs > 0 && !this.#closed) {
      this.#armIdleTimer();
    }
  }

  /** While idle holding the session: after the timeout, give it up if anyone is waiting for it. */
  #armIdleTimer(): void {
    this.#idleTimer = setTimeout(() => {
      if (this.gate.waiting === 0) {
        this.#armIdleTimer();
        return;
      }
      this.#write(
        fatal(
          "25P03",
          "terminating connection due to idle-in-transaction timeout (the embedded database is shared)",
        ),
      );
      this.socket.end();
      this.socket.destroy();
    }, this.idleTimeoutMs);
    this.#idleTimer.unref();
  }

  /** Runs one message with the session to ourselves; gives it back once the backend is idle. */
  async #execute(message: Buffer): Promise<void> {
    this.#release ??= await this.gate.acquire();
    if (this.#closed) return; // cleanUp (queued behind us) resets and releases
    // PGlite keeps the last onRawData as its output hook after the call (until another stream
    // call replaces it): later output of execProtocolRaw, or of anyone else, would reach this
    // client out of turn. Only what answers this message is passed on.
    let answering = true;
    try {
      await this.pglite.runExclusive(() =>
        this.pglite.execProtocolRawStream(new Uint8Array(message), {
          onRawData: (data) => {
            if (!answering) return;
            this.#scanner.feed(data);
            this.#write(data);
          },
        }),
      );
    } finally {
      answering = false;
    }
    if (this.#scanner.lastReady === IDLE) {
      this.#release();
      this.#release = undefined;
    }
  }

  /**
   * The client went away: end what it left open (a batch without Sync, a transaction) and close
   * the statements it prepared (they would outlive it in PGlite's one session).
   */
  async #cleanUp(): Promise<void> {
    clearTimeout(this.#idleTimer);
    const statements = [...this.#statements];
    this.#statements.clear();
    const release = this.#release ?? (statements.length > 0 ? await this.gate.acquire() : undefined);
    if (!release) return;
    this.#release = undefined;
    try {
      // Streamed to nowhere: execProtocolRaw would send the replies through PGlite's output
      // hook, which still points at the last client served (see #execute).
      const run = (message: Uint8Array) =>
        this.pglite.execProtocolRawStream(message, { onRawData: () => undefined });
      await this.pglite.runExclusive(async () => {
        await run(SYNC);
        if (this.pglite.isInTransaction()) await run(ROLLBACK);
        for (const name of statements) await run(closeStatement(name));
        if (statements.length > 0) await run(SYNC);
      });
    } finally {
      release();
    }
  }
}

/**
 * Serves `pglite` on host:port over the PostgreSQL wire protocol (v3, no TLS, no password:
 * PGlite accepts any user name). Every client and the process itself share the one session
 * through `gate`, one transaction at a time.
 *
 * @throws the listen error (EADDRINUSE, EACCES, ...) if the port cannot be bound.
 */
export async function serveSql(
  pglite: PGlite,
  gate: SessionGate,
  options: SqlServerOptions,
): Promise<SqlServer> {
  const connections = new Set<Connection>();
  const max = options.maxConnections ?? 64;
  const idle = options.idleInTransactionTimeoutMs ?? 30_000;
  const server: Server = createServer((socket) => {
    if (connections.size >= max) {
      socket.end(fatal("53300", "sorry, too many clients already"));
      return;
    }
    const conn = new Connection(socket, pglite, gate, idle);
    connections.add(conn);
    void conn.finished.then(() => connections.delete(conn));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  server.on("error", () => undefined);
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : options.port;
  const host = options.host;
  return {
    host,
    port,
    url: `postgresql://postgres@${host.includes(":") ? `[${host}]` : host}:${port}/postgres?sslmode=disable`,
    async stop() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const conn of connections) conn.close();
      await Promise.all([...connections].map((c) => c.finished));
      await closed;
    },
  };
}

/** Loopback only: the port has no password (see docs/embedded-database.md). */
export const EMBEDDED_SQL_HOST = "127.0.0.1";

/**
 * `npm start` on the embedded database: serves it on MOVR_EMBEDDED_SQL_PORT (loopback), like
 * `cockroach demo`. Nothing on a server database or with the port set to `off`. When the default
 * port is taken, a free one is used instead (the URL is printed and kept in the lock file).
 *
 * @throws DatabaseUnavailableError when a configured port cannot be bound.
 */
export async function startEmbeddedSqlPort(
  database: Database,
  config: EmbeddedSqlConfig,
): Promise<SqlServer | undefined> {
  if (!database.serveSql || config.port === null) return undefined;
  const serve = (port: number) => database.serveSql!({ host: EMBEDDED_SQL_HOST, port });
  try {
    return await serve(config.port);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (config.isDefault && code === "EADDRINUSE") return serve(0);
    throw new DatabaseUnavailableError(
      `Cannot serve the embedded database on ${EMBEDDED_SQL_HOST}:${config.port} (MOVR_EMBEDDED_SQL_PORT): ${code ?? (err as Error).message}; choose another port, 0 for any free one, or off.`,
      { cause: err },
    );
  }
}
