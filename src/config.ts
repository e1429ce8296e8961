// The one place that reads the environment. Everything else receives a validated AppConfig.
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { REFERENCE_REGIONS, parseRegionMap, type RegionMap } from "./cities/region.config.ts";
import { isText, TEXT_PROBLEM } from "./shared/text.ts";

/** The package's folder (where package.json is), whether this module runs from src/ or dist/src/. */
export const PROJECT_ROOT = packageRoot(path.dirname(fileURLToPath(import.meta.url)));

function packageRoot(from: string): string {
  for (let dir = from; path.dirname(dir) !== dir; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, "package.json"))) return dir;
  }
  return path.resolve(from, "..");
}

export interface PoolConfig {
  max: number;
  /** Connections kept open however idle; undefined: the dialect's default (src/db/pool-settings.ts). */
  min?: number | undefined;
  /** Undefined: the dialect's default (src/db/pool-settings.ts). */
  idleTimeoutMs?: number | undefined;
  /** Undefined: the dialect's default (src/db/pool-settings.ts). */
  maxLifetimeSeconds?: number | undefined;
  /** Longest wait for a new connection to come up. */
  connectTimeoutMs: number;
  /** Longest wait for a connection from the pool, free or new; then the request answers 503. */
  acquireTimeoutMs: number;
  applicationName: string;
}

export interface DatabaseConfig {
  /** Undefined means the embedded database. `memory://` means embedded, in memory. */
  url: string | undefined;
  dataDir: string;
  pool: PoolConfig;
  maxTxAttempts: number;
  /** Server databases: statement_timeout in ms for every pooled connection; 0 for none. */
  statementTimeoutMs: number;
}

/** The embedded database's PostgreSQL port while `npm start` runs (docs/embedded-database.md). */
export interface EmbeddedSqlConfig {
  /** Loopback port; 0 picks a free one; null serves nothing (MOVR_EMBEDDED_SQL_PORT=off). */
  port: number | null;
  /** True when the port is the default, which may fall back to a free port if taken. */
  isDefault: boolean;
}

/** The default embedded SQL port: not 5432 (a local PostgreSQL), 5433+ (Debian's further clusters) or 26257. */
export const DEFAULT_EMBEDDED_SQL_PORT = 5442;
/** Map tiles behind a ride's route (Leaflet); null `tileUrl` means no tiles: the SVG drawing only. */
export interface MapConfig {
  /** A Leaflet tile URL template with {z}, {x}, {y} (and optionally {s}, {r}). */
  tileUrl: string | null;
  /** Subdomains {s} stands for. */
  subdomains: string[];
  /** Plain text credited under the map; `attributionUrl` links it when set. */
  attribution: string;
  attributionUrl: string | null;
  /** Origins the browser fetches tiles from, for the CSP's img-src (`https://tile.openstreetmap.org`). */
  tileOrigins: string[];
}

/** OpenStreetMap's standard tile layer; its usage policy asks for this attribution. */
export const OSM_TILE_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png";
const OSM_ATTRIBUTION = "© OpenStreetMap contributors";
const OSM_COPYRIGHT_URL = "https://www.openstreetmap.org/copyright";

export interface AppConfig {
  database: DatabaseConfig;
  embeddedSql: EmbeddedSqlConfig;
  host: string;
  port: number;
  region: string | undefined;
  regions: RegionMap;
  sessionSecret: string;
  /** True when the secret was generated for this process because none was configured. */
  sessionSecretGenerated: boolean;
  sessionTtlHours: number;
  trustProxy: boolean;
  cookieSecure: "auto" | "always" | "never";
  logLevel: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
  /** `pretty`: human-readable lines; `json`: one JSON object a line; `auto`: pretty on a terminal. */
  logFormat: "auto" | "json" | "pretty";
  metrics: MetricsConfig;
  demoData: boolean;
  /**
   * Worker processes serving HTTP (node:cluster; 1 means this process serves). WEB_CONCURRENCY;
   * default the number of cores on a server database. Always 1 on the embedded database, whose
   * files have one owner.
   */
  webConcurrency: number;
  /** WEB_CONCURRENCY asked for more than one worker on the embedded database: ignored. */
  webConcurrencyIgnored: boolean;
  loginRateLimitPerMinute: number;
  bodyLimitBytes: number;
  /** On SIGTERM/SIGINT, the longest wait in ms for requests in flight before exiting. */
  shutdownGraceMs: number;
  /** Content-Security-Policy additions. */
  csp: {
    /** Origins pages may load images from besides their own (map tiles, ...). */
    imgSrc: string[];
  };
  map: MapConfig;
}

export interface MetricsConfig {
  /** When set, GET /metrics needs `Authorization: Bearer <token>`. */
  token: string | undefined;
  /** When set, /metrics is served on this port only (on `host`), not on the public one. 0 picks one. */
  port: number | undefined;
  host: string;
  /** The variable `host` came from, for messages: METRICS_HOST, or HOST when that is unset. */
  hostVariable: "HOST" | "METRICS_HOST";
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

// Whole numbers in decimal digits only: z.coerce reads as Number() does, which also takes "0x10",
// "0b11", "1e3" and "8080.0" (the CLI's flags and the API's query numbers refuse them too). One
// message naming the range, whatever is wrong: zod's own ("Too big: expected int to be
// <=9007199254740991", twice) told an operator neither the limits nor what to write.
const wholeNumberIn = (min: number, max: number, text: string): number | undefined => {
  const n = /^-?\d+$/.test(text) ? Number(text) : Number.NaN;
  return Number.isSafeInteger(n) && n >= min && n <= max ? n : undefined;
};
const intFrom = (min: number, max: number, orElse = "") =>
  z
    .string()
    .trim()
    .transform((text, ctx) => {
      const n = wholeNumberIn(min, max, text);
      if (n !== undefined) return n;
      ctx.addIssue({ code: "custom", message: `must be ${orElse}a whole number from ${min} to ${max}` });
      return z.NEVER;
    });
// A port, or "off" (MOVR_EMBEDDED_SQL_PORT): one message for both, not zod's "Invalid input".
const portOrOff = z
  .string()
  .trim()
  .pipe(
    z.union([z.literal("off"), intFrom(0, 65535)], {
      error: 'must be "off" or a whole number from 0 to 65535',
    }),
  );
const bool = z
  .enum(["1", "0", "true", "false", "yes", "no", "on", "off"])
  .transform((v) => ["1", "true", "yes", "on"].includes(v));

const EnvSchema = z.object({
  DATABASE_URL: z.string().min(1).optional(),
  MOVR_DATA_DIR: z.string().min(1).optional(),
  MOVR_EMBEDDED_SQL_PORT: portOrOff.optional(),
  HOST: z.string().min(1).default("127.0.0.1"),
  PORT: intFrom(0, 65535).default(3000),
  REGION: z.string().min(1).optional(),
  MOVR_REGIONS: z.string().min(1).optional(),
  SESSION_SECRET: z.string().min(32, "must be at least 32 characters").optional(),
  SESSION_TTL_HOURS: intFrom(1, 24 * 90).default(24 * 14),
  TRUST_PROXY: bool.default(false),
  COOKIE_SECURE: z.enum(["auto", "always", "never"]).default("auto"),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  LOG_FORMAT: z.enum(["auto", "json", "pretty"]).default("auto"),
  METRICS_TOKEN: z.string().min(16, "must be at least 16 characters").optional(),
  METRICS_PORT: intFrom(0, 65535).optional(),
  METRICS_HOST: z.string().min(1).optional(),
  MOVR_DEMO_DATA: bool.optional(),
  DB_POOL_MAX: intFrom(1, 1000).default(10),
  DB_POOL_MIN: intFrom(0, 1000).optional(),
  DB_POOL_IDLE_TIMEOUT_MS: intFrom(0, 3_600_000).optional(),
  DB_POOL_MAX_LIFETIME_SECONDS: intFrom(0, 86_400).optional(),
  DB_CONNECT_TIMEOUT_MS: intFrom(100, 600_000).default(10_000),
  DB_POOL_ACQUIRE_TIMEOUT_MS: intFrom(100, 600_000).default(10_000),
  DB_STATEMENT_TIMEOUT_MS: intFrom(0, 3_600_000).default(0),
  DB_APPLICATION_NAME: z.string().min(1).max(63).default("movr"),
  MOVR_TX_MAX_ATTEMPTS: intFrom(1, 100).default(10),
  LOGIN_RATE_LIMIT_PER_MINUTE: intFrom(1, 10_000).default(10),
  BODY_LIMIT_BYTES: intFrom(1024, 10_485_760).default(65_536),
  SHUTDOWN_GRACE_MS: intFrom(0, 600_000).default(10_000),
  WEB_CONCURRENCY: intFrom(1, 1024).optional(),
  CSP_IMG_SRC: z.string().optional(),
  MAP_TILE_URL: z.string().max(500).default(OSM_TILE_URL),
  MAP_TILE_SUBDOMAINS: z
    .string()
    .regex(/^[a-z0-9]{1,10}$/, "must be letters or digits, one per subdomain (e.g. abc)")
    .default("abc"),
  MAP_TILE_ATTRIBUTION: z.string().max(300).optional(),
  MAP_TILE_ATTRIBUTION_URL: z.url({ protocol: /^https?$/ }).optional(),
});

/** Every environment variable the server reads (deployment files are checked against it). */
export const ENV_NAMES: readonly string[] = Object.keys(EnvSchema.shape);
/**
 * MAP_TILE_URL and friends to a MapConfig; throws ConfigError when the template is not an
 * http(s) URL with {z}, {x} and {y}. `off` turns tiles off.
 */
function mapConfig(e: {
  MAP_TILE_URL: string;
  MAP_TILE_SUBDOMAINS: string;
  MAP_TILE_ATTRIBUTION?: string | undefined;
  MAP_TILE_ATTRIBUTION_URL?: string | undefined;
}): MapConfig {
  const off = e.MAP_TILE_URL.trim().toLowerCase() === "off";
  const subdomains = [...e.MAP_TILE_SUBDOMAINS];
  const isOsm = e.MAP_TILE_URL === OSM_TILE_URL;
  const attribution = e.MAP_TILE_ATTRIBUTION ?? (isOsm ? OSM_ATTRIBUTION : "");
  const attributionUrl = e.MAP_TILE_ATTRIBUTION_URL ?? (isOsm ? OSM_COPYRIGHT_URL : null);
  if (off) return { tileUrl: null, subdomains, attribution, attributionUrl, tileOrigins: [] };
  const bad = (why: string) => new ConfigError(`Invalid configuration: MAP_TILE_URL: ${why}`);
  for (const part of ["{z}", "{x}", "{y}"]) {
    if (!e.MAP_TILE_URL.includes(part)) throw bad(`must contain {z}, {x} and {y} (or be "off")`);
  }
  // Each {s} choice is its own origin; the other placeholders sit in the path or query.
  const hosts = e.MAP_TILE_URL.includes("{s}") ? subdomains : [""];
  const tileOrigins = hosts.map((sub) => {
    let url: URL;
    try {
      url = new URL(e.MAP_TILE_URL.replaceAll("{s}", sub).replace(/\{[a-z]+\}/g, "0"));
    } catch {
      throw bad("is not a URL");
    }
    if (url.protocol !== "https:" && url.protocol !== "http:") throw bad("must be an http(s) URL");
    if (url.username || url.password) throw bad("must not carry credentials");
    return url.origin;
  });
  return { tileUrl: e.MAP_TILE_URL, subdomains, attribution, attributionUrl, tileOrigins };
}

export type Env = Record<string, string | undefined>;

/** Parses and validates the environment once; throws ConfigError naming every bad variable. */
export function loadConfig(env: Env = process.env, options: { listens?: boolean } = {}): AppConfig {
  // Empty strings are "unset", as shells and .env files commonly produce them. Spaces alone are
  // a mistake, not a value: HOST=" " failed later as "getaddrinfo ENOTFOUND", MOVR_DATA_DIR=" "
  // made a directory named by spaces.
  const blank = ENV_NAMES.filter((name) => {
    const value = env[name];
    return value !== undefined && value !== "" && value.trim() === "";
  });
  if (blank.length > 0) {
    const problems = blank.map((name) => `${name}: is only spaces (leave it empty or unset for the default)`);
    throw new ConfigError(`Invalid configuration: ${problems.join("; ")}`);
  }
  // The text rule (src/shared/text.ts) of every other edge holds here too: a region named with
  // a control character made every city route answer 500 (Node refuses it in x-movr-region),
  // and a value is never echoed back to the terminal with its escape sequences.
  const notText = ENV_NAMES.filter((name) => env[name] !== undefined && !isText(env[name]));
  if (notText.length > 0) {
    throw new ConfigError(
      `Invalid configuration: ${notText.map((name) => `${name}: ${TEXT_PROBLEM}`).join("; ")}`,
    );
  }
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ""));
  const parsed = EnvSchema.safeParse(cleaned);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    throw new ConfigError(`Invalid configuration: ${problems}`);
  }
  const e = parsed.data;
  let regions: RegionMap;
  try {
    regions = e.MOVR_REGIONS ? parseRegionMap(e.MOVR_REGIONS) : REFERENCE_REGIONS;
  } catch (err) {
    throw new ConfigError(`Invalid configuration: MOVR_REGIONS: ${(err as Error).message}`);
  }
  if (e.REGION && !regions.some((r) => r.name === e.REGION)) {
    throw new ConfigError(
      `Invalid configuration: REGION "${e.REGION}" is not one of ${regions.map((r) => r.name).join(", ")}`,
    );
  }
  const embedded = e.DATABASE_URL === undefined || e.DATABASE_URL.startsWith("memory:");
  const sqlPort =
    e.MOVR_EMBEDDED_SQL_PORT === "off" ? null : (e.MOVR_EMBEDDED_SQL_PORT ?? DEFAULT_EMBEDDED_SQL_PORT);
  // The server's listeners; the `movr` tool listens on none of these (options.listens false).
  if (options.listens !== false)
    checkDistinctPorts([
      ["PORT", e.PORT],
      ["METRICS_PORT", e.METRICS_PORT],
      // Served only on the embedded database; its default gives way only when another program holds it.
      ["MOVR_EMBEDDED_SQL_PORT", embedded ? sqlPort : null],
    ]);
  if (!embedded && !e.SESSION_SECRET) {
    // Instances sharing a server database must share the secret, or CSRF tokens break between them.
    throw new ConfigError(
      "Invalid configuration: SESSION_SECRET is required when DATABASE_URL names a server",
    );
  }
  const map = mapConfig(e);
  return {
    database: {
      url: e.DATABASE_URL,
      dataDir: path.resolve(e.MOVR_DATA_DIR ?? path.join(PROJECT_ROOT, "data", "movr")),
      pool: {
        max: e.DB_POOL_MAX,
        min: e.DB_POOL_MIN,
        idleTimeoutMs: e.DB_POOL_IDLE_TIMEOUT_MS,
        maxLifetimeSeconds: e.DB_POOL_MAX_LIFETIME_SECONDS,
        connectTimeoutMs: e.DB_CONNECT_TIMEOUT_MS,
        acquireTimeoutMs: e.DB_POOL_ACQUIRE_TIMEOUT_MS,
        applicationName: e.DB_APPLICATION_NAME,
      },
      maxTxAttempts: e.MOVR_TX_MAX_ATTEMPTS,
      statementTimeoutMs: e.DB_STATEMENT_TIMEOUT_MS,
    },
    embeddedSql: {
      port: sqlPort,
      isDefault: e.MOVR_EMBEDDED_SQL_PORT === undefined,
    },
    host: e.HOST,
    port: e.PORT,
    region: e.REGION,
    regions,
    sessionSecret: e.SESSION_SECRET ?? randomBytes(32).toString("base64url"),
    sessionSecretGenerated: !e.SESSION_SECRET,
    sessionTtlHours: e.SESSION_TTL_HOURS,
    trustProxy: e.TRUST_PROXY,
    cookieSecure: e.COOKIE_SECURE,
    logLevel: e.LOG_LEVEL,
    logFormat: e.LOG_FORMAT,
    metrics: {
      token: e.METRICS_TOKEN,
      port: e.METRICS_PORT,
      host: e.METRICS_HOST ?? e.HOST,
      hostVariable: e.METRICS_HOST === undefined ? "HOST" : "METRICS_HOST",
    },
    demoData: e.MOVR_DEMO_DATA ?? embedded,
    webConcurrency: embedded ? 1 : (e.WEB_CONCURRENCY ?? availableParallelism()),
    webConcurrencyIgnored: embedded && (e.WEB_CONCURRENCY ?? 1) > 1,
    loginRateLimitPerMinute: e.LOGIN_RATE_LIMIT_PER_MINUTE,
    bodyLimitBytes: e.BODY_LIMIT_BYTES,
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
    // The map tile server's origins are images the ride page needs (MAP_TILE_URL).
    csp: { imgSrc: [...new Set([...map.tileOrigins, ...parseOrigins("CSP_IMG_SRC", e.CSP_IMG_SRC)])] },
    map,
  };
}

/**
 * Each of the server's listeners on a port of its own (0, any free port, may repeat): the second
 * of two on one port failed at start-up as "the port is in use; stop what holds it", when what
 * held it was the same server. Throws ConfigError naming both variables.
 */
function checkDistinctPorts(listeners: [string, number | null | undefined][]): void {
  const seen = new Map<number, string>();
  for (const [variable, port] of listeners) {
    if (port === null || port === undefined || port === 0) continue;
    const other = seen.get(port);
    if (other) {
      throw new ConfigError(
        `Invalid configuration: ${variable} and ${other} are both ${port}${variable === "MOVR_EMBEDDED_SQL_PORT" && port === DEFAULT_EMBEDDED_SQL_PORT ? " (MOVR_EMBEDDED_SQL_PORT's default)" : ""}: each of the server's listeners needs a port of its own`,
      );
    }
    seen.set(port, variable);
  }
}

/**
 * A list of origins (`https://tiles.example.org`), separated by spaces or commas, as CSP source
 * expressions. Throws ConfigError naming `variable` for anything that is not an http(s) origin.
 */
export function parseOrigins(variable: string, raw: string | undefined): string[] {
  if (!raw) return [];
  return raw
    .split(/[\s,]+/)
    .filter(Boolean)
    .map((item) => {
      // A wildcard subdomain, as CSP allows it: https://*.tile.example.org
      if (/^https?:\/\/\*\.[a-z0-9.-]+(:\d+)?$/i.test(item)) return item.toLowerCase();
      let u: URL | undefined;
      try {
        u = new URL(item);
      } catch {
        u = undefined;
      }
      if (!u || !/^https?:$/.test(u.protocol) || u.origin === "null") {
        throw new ConfigError(`Invalid configuration: ${variable}: "${item}" is not an http(s) origin`);
      }
      return u.origin;
    });
}

/** A database configuration for a given URL with every other setting at its default (CLI, tests). */
export function databaseConfigFor(url: string | undefined, env: Env = process.env): DatabaseConfig {
  const base = loadConfig({ ...env, DATABASE_URL: undefined, SESSION_SECRET: undefined }, { listens: false });
  return { ...base.database, url };
}

/** What the command-line tool needs from the environment: where the database is, and the regions. */
export interface ToolConfig {
  /** `url` is DATABASE_URL, or undefined for the embedded database in `dataDir`. */
  database: DatabaseConfig;
  regions: RegionMap;
}

/**
 * The `movr` tool's configuration. Unlike loadConfig it does not ask for SESSION_SECRET when
 * DATABASE_URL names a server: the tool serves no sessions.
 */
export function loadToolConfig(env: Env = process.env): ToolConfig {
  const base = loadConfig({ ...env, DATABASE_URL: undefined, SESSION_SECRET: undefined }, { listens: false });
  const url = env.DATABASE_URL === undefined || env.DATABASE_URL === "" ? undefined : env.DATABASE_URL;
  return { database: { ...base.database, url }, regions: base.regions };
}
