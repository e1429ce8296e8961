// Errors on the pages become pages: a visit without a session goes to the login page, a forged or
// stale form gets a page that says so, a service's refusal reads as its sentence, and anything
// unexpected gets a plain page that says nothing about its cause (the log has the details).
import type { Eta } from "eta";
import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import { checkCsrfToken } from "../../auth/auth.service.ts";
import type { AppConfig } from "../../config.ts";
import { databaseUnavailable, DomainError } from "../../shared/errors.ts";
import { CSRF_FIELD, CSRF_HEADER } from "../auth.plugin.ts";
import { logFailure, outageOf, retryAfterOf, STATUS_OF } from "../errors.ts";
import { redirectWith } from "./page.flash.ts";
import { withQuery } from "./page.form.ts";
import { renderPage } from "./page.view.ts";

export const FORM_EXPIRED = "This form has expired or did not come from MovR; reload the page and try again.";

/** A login or register form without its anti-forgery token (there is no session to check yet). */
export class FormTokenError extends DomainError {
  override name = "FormTokenError";
  constructor() {
    super("forbidden", FORM_EXPIRED);
  }
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** The auth plugin refused this request's CSRF token (rather than a service refusing the action). */
function isCsrfFailure(err: unknown, request: FastifyRequest, secret: string): boolean {
  if (err instanceof FormTokenError) return true;
  if (!(err instanceof DomainError) || err.code !== "forbidden") return false;
  const auth = request.auth;
  if (!auth || auth.via !== "cookie" || SAFE_METHODS.has(request.method)) return false;
  const header = request.headers[CSRF_HEADER];
  // Read directly: the form's other fields may break the text rule, which is not this question.
  const field = (request.body as Record<string, unknown> | undefined)?.[CSRF_FIELD];
  const given = typeof header === "string" ? header : typeof field === "string" ? field : undefined;
  return !checkCsrfToken(secret, auth.token, given);
}

interface ErrorPage {
  status: number;
  title: string;
  message: string;
}

function describe(err: unknown): ErrorPage & { internal: boolean; retryAfter?: number } {
  const outage = outageOf(err);
  if (outage) return describe(databaseUnavailable(outage, err));
  if (err instanceof DomainError) {
    const status = STATUS_OF[err.code] ?? 400;
    const title =
      status === 404
        ? "Not found"
        : status === 403
          ? "Not allowed"
          : status === 503
            ? "Try again shortly"
            : "That did not work";
    return {
      status,
      title,
      message: err.message,
      internal: status >= 500,
      ...(status === 503 ? { retryAfter: retryAfterOf(err) } : {}),
    };
  }
  const e = err as FastifyError;
  if (e.statusCode === 429) {
    return {
      status: 429,
      title: "Too many attempts",
      message: "Too many attempts from here; wait a minute and try again.",
      internal: false,
    };
  }
  if (e.code === "FST_ERR_CTP_BODY_TOO_LARGE") {
    return {
      status: 413,
      title: "Too much",
      message: "That form sent more than MovR accepts.",
      internal: false,
    };
  }
  if (typeof e.statusCode === "number" && e.statusCode >= 400 && e.statusCode < 500) {
    return {
      status: e.statusCode,
      title: "That did not work",
      message: "MovR could not read that request.",
      internal: false,
    };
  }
  return {
    status: 500,
    title: "Something went wrong",
    message: "Something went wrong on our side; try again.",
    internal: true,
  };
}

export function pageErrorHandler(eta: Eta, config: AppConfig) {
  return (err: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply => {
    if (err instanceof DomainError && err.code === "unauthenticated") {
      if (request.method === "GET") return reply.redirect(withQuery("/login", { next: request.url }), 302);
      return redirectWith(reply, request, config, "/login", {
        kind: "error",
        text: "Your session has ended; log in again.",
      });
    }
    if (isCsrfFailure(err, request, config.sessionSecret)) {
      return safeRender(eta, config, request, reply, {
        status: 403,
        title: "This form has expired",
        message: FORM_EXPIRED,
      });
    }
    const page = describe(err);
    if (page.internal) logFailure(request, err, "page failed");
    if (page.status === 429) void reply.header("retry-after", "60");
    if (page.retryAfter) void reply.header("retry-after", String(page.retryAfter));
    return safeRender(eta, config, request, reply, page);
  };
}

function safeRender(
  eta: Eta,
  config: AppConfig,
  request: FastifyRequest,
  reply: FastifyReply,
  page: ErrorPage,
): FastifyReply {
  try {
    return renderPage(
      eta,
      config,
      request,
      reply,
      "error",
      {
        title: page.title,
        section: "none",
        status: page.status,
      },
      { message: page.message, status: page.status },
    );
  } catch (renderErr) {
    // The error page itself failed (a broken template): a line of text still tells the user.
    logFailure(request, renderErr, "error page failed");
    return reply
      .status(page.status)
      .header("content-type", "text/plain; charset=utf-8")
      .send(`${page.title}. ${page.message}`);
  }
}
