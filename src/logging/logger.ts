// The process's one logger (pino, which Fastify uses): one JSON object a line for machines, or
// pino-pretty's readable lines on a terminal. Start-up messages and request lines share it.
// See docs/decisions/009-metrics-and-logs.md.
import { pino, stdTimeFunctions, type DestinationStream, type Logger, type LoggerOptions } from "pino";
import type { AppConfig } from "../config.ts";
import { ERROR_SERIALIZERS } from "./error.serializer.ts";

export type LogSettings = Pick<AppConfig, "logLevel" | "logFormat"> & { region?: string | undefined };

/**
 * pino options for JSON lines: `level` as a word ("info"), `time` as ISO 8601 UTC, and the
 * request id under `requestId` (Fastify's label is set in buildApp).
 */
export function jsonLoggerOptions(level: LogSettings["logLevel"]): LoggerOptions {
  return {
    level,
    timestamp: stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    serializers: ERROR_SERIALIZERS,
  };
}

/** Whether `format` resolves to pretty lines: `auto` means "stdout is a terminal". */
export function wantsPretty(format: LogSettings["logFormat"], isTty: boolean): boolean {
  return format === "pretty" || (format === "auto" && isTty);
}

/** A request line reads `GET /api/v1/regions 200 1.2ms (request id)`; others show their message. */
export function prettyMessage(line: Record<string, unknown>, messageKey: string): string {
  const message = String(line[messageKey] ?? "");
  if (typeof line.route !== "string" || line.status === undefined) return message;
  return `${String(line.method)} ${line.route} ${String(line.status)} ${String(line.durationMs)}ms (${String(line.requestId)})`;
}

/**
 * Creates the logger for `npm start`. Pretty lines need pino-pretty, a development dependency:
 * without it (a production install) the logger writes JSON, and says so once if pretty was asked
 * for explicitly. `destination` defaults to stdout (written synchronously). With `region` (REGION)
 * every line carries it, so one log store can hold every region's instances.
 */
export async function createLogger(
  settings: LogSettings,
  destination?: DestinationStream,
  isTty: boolean = process.stdout.isTTY === true,
): Promise<Logger> {
  const logger = await createBaseLogger(settings, destination, isTty);
  return settings.region ? logger.child({ region: settings.region }) : logger;
}

async function createBaseLogger(
  settings: LogSettings,
  destination?: DestinationStream,
  isTty: boolean = process.stdout.isTTY === true,
): Promise<Logger> {
  if (wantsPretty(settings.logFormat, isTty)) {
    try {
      const { default: pretty } = await import("pino-pretty");
      const stream = pretty({
        destination: destination ?? 1,
        sync: true,
        colorize: isTty,
        translateTime: "SYS:HH:MM:ss.l",
        // One readable line per entry: the message says it all; errors still show in full.
        hideObject: true,
        ignore: "pid,hostname",
        messageFormat: prettyMessage,
      });
      return pino({ level: settings.logLevel, serializers: ERROR_SERIALIZERS }, stream);
    } catch {
      const logger = jsonLogger(settings.logLevel, destination);
      if (settings.logFormat === "pretty")
        logger.warn(
          "LOG_FORMAT=pretty needs the pino-pretty package (a development dependency); logging JSON",
        );
      return logger;
    }
  }
  return jsonLogger(settings.logLevel, destination);
}

function jsonLogger(level: LogSettings["logLevel"], destination: DestinationStream | undefined): Logger {
  const options = jsonLoggerOptions(level);
  return destination ? pino(options, destination) : pino(options);
}
