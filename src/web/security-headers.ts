// Response headers that protect browsers, set by @fastify/helmet (see docs/decisions/013-security-headers.md):
// a Content-Security-Policy that lets the pages and Swagger UI load only our own scripts and
// styles, no framing by anyone (frame-ancestors 'none', X-Frame-Options: DENY), nosniff, and
// `Cache-Control: no-store` on API answers and on anything answered to a logged-in caller.
// Also the answer to requests Node rejects before Fastify sees them (header too large, malformed
// request line): the contract's error shape instead of Fastify's default body.
import helmet, { type FastifyHelmetOptions } from "@fastify/helmet";
import type { FastifyInstance } from "fastify";
import type { Socket } from "node:net";
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

export function helmetOptions(config: Pick<AppConfig, "csp" | "cookieSecure">): FastifyHelmetOptions {
  return {
    global: true,
    // Only our own directives: helmet's defaults include upgrade-insecure-requests, which breaks
    // pages served over plain HTTP (localhost, behind a TLS-terminating proxy).
    contentSecurityPolicy: { useDefaults: false, directives: contentSecurityPolicy(config) },
    frameguard: { action: "deny" },
    referrerPolicy: { policy: "same-origin" },
    // Only an operator who says every request comes over HTTPS gets HSTS.
    strictTransportSecurity: config.cookieSecure === "always",
  };
}

/** Registers helmet and the no-store rule; call before any route. */
export async function securityHeaders(
  app: FastifyInstance,
  config: Pick<AppConfig, "csp" | "cookieSecure">,
): Promise<void> {
  await app.register(helmet, helmetOptions(config));
  app.addHook("onSend", async (request, reply) => {
    if (reply.hasHeader("cache-control")) return;
    const api = request.url.startsWith("/api/v1/") || request.url === "/api/v1";
    const credentials = request.headers.authorization !== undefined || request.auth != null;
    if (api || credentials) void reply.header("cache-control", "no-store");
  });
}

const CLIENT_ERRORS: Record<string, [number, string, string]> = {
  HPE_HEADER_OVERFLOW: [431, "Request Header Fields Too Large", "The request headers are too large."],
  ERR_HTTP_REQUEST_TIMEOUT: [408, "Request Timeout", "The request took too long to arrive."],
};

/**
 * Fastify's clientErrorHandler: Node could not parse a request (malformed request line or
 * headers, headers over the limit, too slow). Answers in the contract's shape and closes.
 */
export function clientErrorHandler(err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === "ECONNRESET" || !socket.writable) {
    socket.destroy();
    return;
  }
  const [status, reason, message] = CLIENT_ERRORS[err.code ?? ""] ?? [
    400,
    "Bad Request",
    "The request is malformed: it is not valid HTTP.",
  ];
  const body = JSON.stringify({ error: { code: "invalid_request", message } });
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\n` +
      "Content-Type: application/json; charset=utf-8\r\n" +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      "X-Content-Type-Options: nosniff\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n" +
      body,
  );
}
