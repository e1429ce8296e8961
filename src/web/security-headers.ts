// Response headers that protect browsers, from helmet (see docs/decisions/013-security-headers.md):
// a Content-Security-Policy that lets the pages and Swagger UI load only our own scripts and
// styles, no framing by anyone (frame-ancestors 'none', X-Frame-Options: DENY), nosniff, and
// `Cache-Control: no-store` on API answers and on anything answered to a logged-in caller.
// Also the answer to requests Node rejects before Fastify sees them (header too large, malformed
// request line): the contract's error shape instead of Fastify's default body.
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import helmet, { type HelmetOptions } from "helmet";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import type { AppConfig } from "../config.ts";

/** The CSP's img-src: our own images, inline data: images, and the configured extra origins. */
export function imgSources(config: Pick<AppConfig, "csp">): string[] {
  return ["'self'", "data:", ...config.csp.imgSrc];
}

/**
 * The pages' policy, for every answer: nothing inline, nothing from elsewhere but the configured
 * image origins, so an injected tag could do nothing; no framing by anyone.
 */
export function contentSecurityPolicy(config: Pick<AppConfig, "csp">): Record<string, string[]> {
  return {
    "default-src": ["'none'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": imgSources(config),
    "connect-src": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
    "base-uri": ["'none'"],
    "object-src": ["'none'"],
  };
}

/**
 * Swagger UI's pages (/api/docs) under their own policy (set by @fastify/swagger-ui's
 * `staticCSP`): its scripts set style attributes, and "Try it out" calls the API.
 */
export function docsContentSecurityPolicy(): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'self'",
    "object-src 'none'",
  ].join("; ");
}

export function helmetOptions(config: Pick<AppConfig, "csp" | "cookieSecure">): HelmetOptions {
  return {
    // Only our own directives: helmet's defaults include upgrade-insecure-requests, which breaks
    // pages served over plain HTTP (localhost, behind a TLS-terminating proxy).
    contentSecurityPolicy: { useDefaults: false, directives: contentSecurityPolicy(config) },
    frameguard: { action: "deny" },
    referrerPolicy: { policy: "same-origin" },
    // Only an operator who says every request comes over HTTPS gets HSTS.
    strictTransportSecurity: config.cookieSecure === "always",
  };
}

/**
 * The headers helmet sets with these options, worked out once: they depend on nothing in the
 * request, so building helmet's middleware (and parsing the CSP) per request, as @fastify/helmet
 * does, is wasted work on every answer.
 */
export function securityHeaderValues(options: HelmetOptions): Record<string, string> {
  const headers: Record<string, string> = {};
  const response = {
    setHeader(name: string, value: string | number) {
      headers[name.toLowerCase()] = String(value);
    },
    removeHeader(name: string) {
      delete headers[name.toLowerCase()];
    },
  };
  helmet(options)({} as IncomingMessage, response as unknown as ServerResponse, (err?: unknown) => {
    if (err) throw err;
  });
  return headers;
}

/**
 * What every answer carries: helmet's headers (worked out once) and the no-store rule. The hooks
 * of securityHeaders apply them; where no hook runs (the router's own refusals, app.ts
 * frameworkErrors; Node's, clientErrorHandler) they are applied by hand.
 */
export interface AnswerHeaders {
  /** helmet's headers, name to value. */
  readonly values: Readonly<Record<string, string>>;
  /** Sets helmet's headers on a reply. */
  set(reply: FastifyReply): void;
  /** `Cache-Control: no-store` on API answers and answers to a caller with credentials, unless set. */
  noStore(request: FastifyRequest, reply: FastifyReply): void;
}

export function answerHeaders(config: Pick<AppConfig, "csp" | "cookieSecure">): AnswerHeaders {
  const values = securityHeaderValues(helmetOptions(config));
  return {
    values,
    set: (reply) => void reply.headers(values),
    noStore: (request, reply) => {
      if (reply.hasHeader("cache-control")) return;
      const api = request.url.startsWith("/api/v1/") || request.url === "/api/v1";
      const credentials = request.headers.authorization !== undefined || request.auth != null;
      if (api || credentials) void reply.header("cache-control", "no-store");
    },
  };
}

/**
 * Sets helmet's headers on every answer, and the no-store rule. Register before any other
 * onRequest hook: one that answers early (draining's 503) must find the headers already set.
 */
export function securityHeaders(app: FastifyInstance, headers: AnswerHeaders): void {
  app.addHook("onRequest", (_request, reply, done) => {
    headers.set(reply);
    done();
  });
  app.addHook("onSend", (request, reply, _payload, done) => {
    headers.noStore(request, reply);
    done();
  });
}

const CLIENT_ERRORS: Record<string, [number, string, string]> = {
  HPE_HEADER_OVERFLOW: [431, "Request Header Fields Too Large", "The request headers are too large."],
  ERR_HTTP_REQUEST_TIMEOUT: [408, "Request Timeout", "The request took too long to arrive."],
};

/**
 * Fastify's clientErrorHandler: Node could not parse a request (malformed request line or
 * headers, headers over the limit, too slow). Answers in the contract's shape, with helmet's
 * headers as every answer, and closes. No request id: there is no request to log one under.
 */
export function clientErrorHandler(
  headers: AnswerHeaders,
): (err: NodeJS.ErrnoException, socket: Socket) => void {
  const lines = headerLines(headers);
  return (err, socket) => answerClientError(err, socket, lines);
}

/**
 * The server's `connect` listener: Node drops a CONNECT request (a proxy's method) without an
 * answer unless one listens. Answers 404 in the contract's shape, as any method and path the app
 * does not serve, with helmet's headers, and closes.
 */
export function connectRefusal(headers: AnswerHeaders): (request: IncomingMessage, socket: Duplex) => void {
  const lines = headerLines(headers);
  return (_request, socket) => {
    if (!socket.writable) return void socket.destroy();
    rawAnswer(
      socket,
      lines,
      404,
      "Not Found",
      "not_found",
      "There is nothing at CONNECT: MovR is not a proxy.",
    );
  };
}

function answerClientError(err: NodeJS.ErrnoException, socket: Socket, headerLines: string): void {
  if (err.code === "ECONNRESET" || !socket.writable) {
    socket.destroy();
    return;
  }
  const [status, reason, message] = CLIENT_ERRORS[err.code ?? ""] ?? [
    400,
    "Bad Request",
    "The request is malformed: it is not valid HTTP.",
  ];
  rawAnswer(socket, headerLines, status, reason, "invalid_request", message);
}

/** helmet's headers as the lines of a raw answer. */
function headerLines(headers: AnswerHeaders): string {
  return Object.entries(headers.values)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join("");
}

/** An answer written on the socket itself, in the contract's shape, and the connection closed. */
function rawAnswer(
  socket: Duplex,
  headerLines: string,
  status: number,
  reason: string,
  code: string,
  message: string,
): void {
  const body = JSON.stringify({ error: { code, message } });
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\n` +
      "Content-Type: application/json; charset=utf-8\r\n" +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      headerLines +
      "Cache-Control: no-store\r\nConnection: close\r\n\r\n" +
      body,
  );
}
