// Log in, register, log out. The two public forms are rate limited per client address and carry
// a double-submit token (cookie + field), so another site cannot log a browser into its account.
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { randomBytes, timingSafeEqual } from "node:crypto";
import { login, logout, register } from "../../auth/auth.service.ts";
import type { AppConfig } from "../../config.ts";
import { DomainError } from "../../shared/errors.ts";
import { CSRF_FIELD, SESSION_COOKIE } from "../auth.plugin.ts";
import { act } from "./page.action.ts";
import { HIDDEN, type PageDeps } from "./page.deps.ts";
import { cityName, pageCities } from "./page.city.ts";
import { clearCookie, cookieOptions, FORM_COOKIE, setSessionCookie } from "./page.cookies.ts";
import { FormTokenError } from "./page.errors.ts";
import { redirectWith } from "./page.flash.ts";
import { formFields, queryFields, safeNext, withQuery } from "./page.form.ts";
import { renderPage } from "./page.view.ts";

const TOKEN_RE = /^[\w-]{43}$/;

/** The form token for a visitor without a session: reused while its cookie lasts. */
function formToken(request: FastifyRequest, reply: FastifyReply, config: AppConfig): string {
  const existing = request.cookies[FORM_COOKIE];
  if (existing && TOKEN_RE.test(existing)) return existing;
  const token = randomBytes(32).toString("base64url");
  void reply.setCookie(FORM_COOKIE, token, cookieOptions(config, request));
  return token;
}

/** A logged-in browser's token was checked by the auth plugin; a visitor's is checked here. */
function checkFormToken(request: FastifyRequest): void {
  if (request.auth?.via === "cookie") return;
  const cookie = request.cookies[FORM_COOKIE] ?? "";
  const given = formFields(request)(CSRF_FIELD);
  const ok =
    TOKEN_RE.test(cookie) &&
    given.length === cookie.length &&
    timingSafeEqual(Buffer.from(given), Buffer.from(cookie));
  if (!ok) throw new FormTokenError();
}

export async function authPages(app: FastifyInstance, { config, ctx, eta }: PageDeps): Promise<void> {
  // The same budget as the API's login and register (src/web/login-budget.ts).
  const limited = { schema: HIDDEN, preHandler: app.loginBudget };

  app.get("/", { schema: HIDDEN }, async (request, reply) =>
    reply.redirect(request.auth ? "/vehicles" : "/login", 302),
  );

  app.get("/login", { schema: HIDDEN }, async (request, reply) => {
    const q = queryFields(request);
    const next = safeNext(q("next"));
    if (request.auth) return reply.redirect(next, 302);
    const token = formToken(request, reply, config);
    return renderPage(
      eta,
      config,
      request,
      reply,
      "login",
      { title: "Log in", section: "login", form: { username: q("username") } },
      { formToken: token, next },
    );
  });

  app.post("/login", limited, async (request, reply) => {
    checkFormToken(request);
    const f = formFields(request);
    const next = safeNext(f("next"));
    const previous = request.auth?.via === "cookie" ? request.auth.token : undefined;
    return act(
      request,
      reply,
      config,
      {
        to: withQuery("/login", { next: next === "/vehicles" ? null : next }),
        keep: { username: f("username") },
      },
      async () => {
        const result = await login(ctx, { username: f("username"), password: f("password") });
        // Logging in again replaces the old session rather than leaving it alive.
        if (previous) await logout(ctx, previous);
        setSessionCookie(reply, request, config, result.token);
        return { to: next, text: `Welcome, ${result.user.name ?? result.user.username ?? "rider"}.` };
      },
    );
  });

  app.get("/register", { schema: HIDDEN }, async (request, reply) => {
    const token = request.csrfToken ?? formToken(request, reply, config);
    return renderPage(
      eta,
      config,
      request,
      reply,
      "register",
      { title: "Create an account", section: "register" },
      { formToken: token, homeCities: pageCities(config) },
    );
  });

  app.post("/register", limited, async (request, reply) => {
    checkFormToken(request);
    const f = formFields(request);
    const input = {
      city: cityName(f("city")),
      name: f("name"),
      email: f("email"),
      username: f("username"),
      password: f("password"),
    };
    const { password: _password, ...keep } = input;
    return act(request, reply, config, { to: "/register", keep }, async () => {
      // Only the cities this instance serves: an account elsewhere belongs to that region's site.
      if (!pageCities(config).includes(input.city)) {
        throw new DomainError("invalid_request", "Choose your home city from the list.");
      }
      const user = await register(ctx, input);
      return {
        to: withQuery("/login", { username: user.username }),
        text: `Your account is ready, ${user.name ?? "rider"}. Log in to start riding.`,
      };
    });
  });

  app.post("/logout", { schema: HIDDEN }, async (request, reply) => {
    // The auth plugin has already refused this POST unless it carried the session's CSRF token.
    if (request.auth?.via === "cookie") await logout(ctx, request.auth.token);
    clearCookie(reply, request, config, SESSION_COOKIE);
    return redirectWith(reply, request, config, "/login", { kind: "success", text: "You have logged out." });
  });
}
