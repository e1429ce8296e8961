// Numbers in the environment are read as the CLI's flags and the API's query numbers are: whole
// numbers in decimal digits. Number() alone would turn "0x10" into 16 and "1e3" into 1000.
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config.ts";

// Every numeric variable, with a value in its range.
const NUMERIC: Record<string, string> = {
  PORT: "3000",
  METRICS_PORT: "9464",
  MOVR_EMBEDDED_SQL_PORT: "5433",
  SESSION_TTL_HOURS: "24",
  DB_POOL_MAX: "12",
  DB_POOL_MIN: "2",
  DB_POOL_IDLE_TIMEOUT_MS: "1000",
  DB_POOL_MAX_LIFETIME_SECONDS: "600",
  DB_CONNECT_TIMEOUT_MS: "1000",
  DB_POOL_ACQUIRE_TIMEOUT_MS: "1000",
  DB_STATEMENT_TIMEOUT_MS: "1000",
  MOVR_TX_MAX_ATTEMPTS: "16",
  LOGIN_RATE_LIMIT_PER_MINUTE: "16",
  BODY_LIMIT_BYTES: "4096",
  SHUTDOWN_GRACE_MS: "1000",
  WEB_CONCURRENCY: "2",
};

describe("numeric environment variables", () => {
  it.each(Object.entries(NUMERIC))("%s takes decimal digits, spaces around them trimmed", (name, value) => {
    expect(() => loadConfig({ [name]: ` ${value} ` })).not.toThrow();
  });

  it.each(Object.entries(NUMERIC))(
    "%s refuses hex, binary, exponent and fraction notation",
    (name, value) => {
      const n = Number(value);
      for (const written of [
        `0x${n.toString(16)}`,
        `0b${n.toString(2)}`,
        `${n / 10}e1`,
        `${value}.0`,
        `+${value}`,
      ]) {
        const attempt = () => loadConfig({ [name]: written });
        expect(attempt, `${name}=${written}`).toThrow(ConfigError);
        expect(attempt, `${name}=${written}`).toThrow(new RegExp(`${name}: `));
      }
    },
  );

  it("reads the decimal value itself", () => {
    expect(loadConfig({ PORT: "8080" }).port).toBe(8080);
  });
});

describe("a number out of range or not a number", () => {
  // zod's own messages ("Too big: expected int to be <=9007199254740991", twice; "Invalid input")
  // named neither the limits nor what to write.
  it.each([
    ["PORT", "99999999999999999999", "PORT: must be a whole number from 0 to 65535"],
    ["PORT", "65536", "PORT: must be a whole number from 0 to 65535"],
    ["DB_POOL_MAX", "0", "DB_POOL_MAX: must be a whole number from 1 to 1000"],
    ["SHUTDOWN_GRACE_MS", "ten", "SHUTDOWN_GRACE_MS: must be a whole number from 0 to 600000"],
    [
      "MOVR_EMBEDDED_SQL_PORT",
      "abc",
      'MOVR_EMBEDDED_SQL_PORT: must be "off" or a whole number from 0 to 65535',
    ],
    [
      "MOVR_EMBEDDED_SQL_PORT",
      "70000",
      'MOVR_EMBEDDED_SQL_PORT: must be "off" or a whole number from 0 to 65535',
    ],
  ])("%s=%s is refused in one sentence naming the range", (name, value, message) => {
    expect(() => loadConfig({ [name]: value })).toThrow(new ConfigError(`Invalid configuration: ${message}`));
  });

  it("MOVR_EMBEDDED_SQL_PORT still takes off and a port, trimmed", () => {
    expect(loadConfig({ MOVR_EMBEDDED_SQL_PORT: " off " }).embeddedSql.port).toBeNull();
    expect(loadConfig({ MOVR_EMBEDDED_SQL_PORT: " 7000" }).embeddedSql.port).toBe(7000);
  });
});
