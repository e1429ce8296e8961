// The query parameters of a server database URL (`postgresql://…?connect_timeout=5`) that MovR or
// its driver reads, each checked here, in one place, for `--url` and DATABASE_URL alike.
// node-postgres takes them as they come: `statement_timeout=10s` was parseInt'ed to 10 ms,
// `query_timeout=abc` timed every query out at once, `binary=false` turned binary results on
// (any text is true), and `connect_timeout` was not read at all. A value that is not what the
// parameter takes is refused in one sentence naming the parameter and what it takes.
import { isText } from "../shared/text.ts";

export const SSL_MODES = ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"] as const;
export type SslMode = (typeof SSL_MODES)[number];

/** The longest connect_timeout, in seconds: DB_CONNECT_TIMEOUT_MS's bound. */
export const MAX_CONNECT_TIMEOUT_SECONDS = 600;
/** PostgreSQL's bound for its millisecond settings (a 32-bit int). */
const MAX_MS = 2_147_483_647;

interface Rule {
  ok: (value: string) => boolean;
  /** What the parameter takes, after "; " in the message. */
  takes: string;
}

const wholeNumber = (min: number, max: number) => (value: string) =>
  /^\d{1,10}$/.test(value) && Number(value) >= min && Number(value) <= max;
const oneOf = (values: readonly string[]) => (value: string) => values.includes(value.toLowerCase());
const milliseconds = (name: string): Rule => ({
  ok: wholeNumber(0, MAX_MS),
  takes: `${name} is a whole number of milliseconds from 0 (none) to ${MAX_MS}`,
});
const applicationName = (name: string): Rule => ({
  ok: (value) => value.length <= 63 && isText(value),
  takes: `${name} is at most 63 characters without control characters`,
});
const OFF = ["false", "0"];

/** Every parameter read from the URL, and what it takes. Others are passed on untouched. */
const RULES: Record<string, Rule> = {
  port: { ok: wholeNumber(1, 65535), takes: "a port is 1 to 65535" },
  connect_timeout: {
    ok: wholeNumber(0, MAX_CONNECT_TIMEOUT_SECONDS),
    takes: `connect_timeout is a whole number of seconds from 0 (no limit) to ${MAX_CONNECT_TIMEOUT_SECONDS}`,
  },
  statement_timeout: milliseconds("statement_timeout"),
  lock_timeout: milliseconds("lock_timeout"),
  idle_in_transaction_session_timeout: milliseconds("idle_in_transaction_session_timeout"),
  query_timeout: milliseconds("query_timeout"),
  sslmode: { ok: oneOf(SSL_MODES), takes: `sslmode is one of ${SSL_MODES.join(", ")}` },
  ssl: {
    ok: oneOf(["true", "1", "no-verify", ...OFF]),
    takes: "ssl is true, 1, no-verify, false or 0 (or use sslmode)",
  },
  sslnegotiation: { ok: oneOf(["postgres", "direct"]), takes: "sslnegotiation is postgres or direct" },
  application_name: applicationName("application_name"),
  fallback_application_name: applicationName("fallback_application_name"),
  client_encoding: {
    ok: oneOf(["utf8", "utf-8", "unicode"]),
    takes: "client_encoding can only be UTF8: MovR reads and writes UTF-8",
  },
  binary: { ok: oneOf(OFF), takes: "binary can only be false: MovR reads results as text" },
  replication: {
    ok: oneOf(OFF),
    takes: "replication can only be false: MovR's SQL does not run on a replication connection",
  },
};

/** What the checked parameters mean for the connection. */
export interface UrlParameters {
  /** sslmode, or what `ssl` says; `disable` when neither is given. */
  sslMode: SslMode;
  /** connect_timeout in milliseconds (0: no limit of its own); undefined when not given. */
  connectTimeoutMs: number | undefined;
  sslNegotiation: "postgres" | "direct" | undefined;
}

/** Names the driver must not see, once read here: it would misread them (see the file's comment). */
export const READ_HERE = ["ssl", "sslmode", "sslnegotiation", "connect_timeout", "binary", "replication"];

/**
 * Checks every value of every parameter in RULES (a repeated parameter too: the driver takes the
 * last). Returns the problem as one sentence after `has ` (`port "x"; a port is 1 to 65535`), or
 * the parameters' meaning.
 */
export function readUrlParameters(params: URLSearchParams): { problem: string } | UrlParameters {
  for (const [name, value] of params) {
    const rule = RULES[name];
    // JSON's quoting: a control character in the value is shown escaped, never sent to a terminal.
    if (rule && !rule.ok(value))
      return { problem: `${name} ${JSON.stringify(value.slice(0, 20))}; ${rule.takes}` };
  }
  const last = (name: string) => params.getAll(name).at(-1)?.toLowerCase();
  const ssl = last("ssl");
  const implied: SslMode | undefined =
    ssl === undefined
      ? undefined
      : OFF.includes(ssl)
        ? "disable"
        : ssl === "no-verify"
          ? "require"
          : "verify-full";
  const given = last("sslmode") as SslMode | undefined;
  const encrypts = (mode: SslMode) => mode === "require" || mode.startsWith("verify");
  if (given && implied && encrypts(given) !== encrypts(implied)) {
    return {
      problem: `ssl "${ssl}" and sslmode "${given}"; they disagree on TLS: give sslmode alone`,
    };
  }
  const sslMode = given ?? implied ?? "disable";
  const sslNegotiation = last("sslnegotiation") as UrlParameters["sslNegotiation"];
  if (sslNegotiation === "direct" && !encrypts(sslMode)) {
    return {
      problem: `sslnegotiation "direct" and sslmode "${sslMode}"; direct TLS needs sslmode require, verify-ca or verify-full`,
    };
  }
  const timeout = last("connect_timeout");
  return {
    sslMode,
    connectTimeoutMs: timeout === undefined ? undefined : Number(timeout) * 1000,
    sslNegotiation,
  };
}
