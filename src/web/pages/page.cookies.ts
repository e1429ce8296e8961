// Every cookie the pages set, with one rule for their flags: HttpOnly (no script reads them),
// SameSite=Lax (no cross-site POST carries them), Path=/, and Secure when served over HTTPS.
import type { CookieSerializeOptions } from "@fastify/cookie";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { AppConfig } from "../../config.ts";
import { SESSION_COOKIE } from "../auth.plugin.ts";

/** The city the rider is browsing, so every page remembers it. */
export const CITY_COOKIE = "movr_city";
/** One-shot message (and form values) for the page after a redirect. */
export const FLASH_COOKIE = "movr_flash";
/** The anti-forgery token of the login and register forms, before any session exists. */
export const FORM_COOKIE = "movr_form";

export function cookieOptions(
  config: AppConfig,
  request: FastifyRequest,
  maxAgeSeconds?: number,
): CookieSerializeOptions {
  const secure =
    config.cookieSecure === "always" || (config.cookieSecure === "auto" && request.protocol === "https");
  return {
    httpOnly: true,
    sameSite: "lax",
    path: "/",
    secure,
    ...(maxAgeSeconds === undefined ? {} : { maxAge: maxAgeSeconds }),
  };
}

export function setSessionCookie(
  reply: FastifyReply,
  request: FastifyRequest,
  config: AppConfig,
  token: string,
): void {
  void reply.setCookie(SESSION_COOKIE, token, cookieOptions(config, request, config.sessionTtlHours * 3600));
}

export function clearCookie(
  reply: FastifyReply,
  request: FastifyRequest,
  config: AppConfig,
  name: string,
): void {
  void reply.clearCookie(name, cookieOptions(config, request));
}
