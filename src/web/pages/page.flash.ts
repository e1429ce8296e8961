// Post/Redirect/Get: a form's outcome travels to the next page in a short-lived cookie, with the
// values the user typed when the outcome was an error, so the form comes back filled in.
import type { FastifyReply, FastifyRequest } from "fastify";
import type { AppConfig } from "../../config.ts";
import { isText, truncateText } from "../../shared/text.ts";
import { clearCookie, cookieOptions, FLASH_COOKIE } from "./page.cookies.ts";

export interface Flash {
  kind: "success" | "error";
  text: string;
  /** Form values to put back (never passwords). */
  form?: Record<string, string>;
}

const MAX_TEXT = 600;
const MAX_VALUE = 300;

/**
 * Bytes of the cookie's value at most. Browsers drop a whole cookie over 4096 bytes (name, value
 * and attributes: RFC 6265 section 6.1), and with it the message; the longest text (600
 * characters of 4 UTF-8 bytes, in base64) still fits.
 */
const MAX_ENCODED = 3900;

const toCookieValue = (flash: Flash): string => Buffer.from(JSON.stringify(flash)).toString("base64url");

/** The flash as a cookie value under MAX_ENCODED: the longest typed values are dropped first. */
function encode(flash: Flash): string {
  const text = truncateText(flash.text, MAX_TEXT);
  const values = Object.entries(flash.form ?? {})
    .map(([k, v]): [string, string] => [k, truncateText(v, MAX_VALUE)])
    .sort(([, a], [, b]) => Buffer.byteLength(a) - Buffer.byteLength(b));
  for (;;) {
    const form = flash.form ? { form: Object.fromEntries(values) } : {};
    const encoded = toCookieValue({ kind: flash.kind, text, ...form });
    if (encoded.length <= MAX_ENCODED || values.length === 0) return encoded;
    // Typed values are a convenience; the message is what must arrive.
    values.pop();
  }
}

/** The cookie is not signed, so its contents are checked like any other input. */
function decode(value: string): Flash | null {
  try {
    const raw = JSON.parse(Buffer.from(value, "base64url").toString("utf8")) as unknown;
    if (typeof raw !== "object" || raw === null) return null;
    const { kind, text, form } = raw as Record<string, unknown>;
    if ((kind !== "success" && kind !== "error") || typeof text !== "string") return null;
    const values: Record<string, string> = {};
    if (typeof form === "object" && form !== null) {
      for (const [k, v] of Object.entries(form)) {
        if (typeof v === "string" && isText(v)) values[k] = truncateText(v, MAX_VALUE);
      }
    }
    if (!isText(text)) return null;
    return { kind, text: truncateText(text, MAX_TEXT), form: values };
  } catch {
    return null;
  }
}

export function setFlash(
  reply: FastifyReply,
  request: FastifyRequest,
  config: AppConfig,
  flash: Flash,
): void {
  void reply.setCookie(FLASH_COOKIE, encode(flash), cookieOptions(config, request, 120));
}

/** Messages about the request being answered (no redirect in between), shown before any cookie's. */
const shownNow = new WeakMap<FastifyRequest, Flash>();

/** Shows `flash` on the page this request renders, in place of the flash cookie's message. */
export function showNow(request: FastifyRequest, flash: Flash): void {
  shownNow.set(request, flash);
}

/**
 * Reads the message for this page and clears its cookie, so a reload does not show it twice.
 * showNow's message comes first; a cookie's message then stays for the next page, not lost.
 */
export function takeFlash(request: FastifyRequest, reply: FastifyReply, config: AppConfig): Flash | null {
  const now = shownNow.get(request);
  if (now) return now;
  const value = request.cookies[FLASH_COOKIE];
  if (value === undefined) return null;
  clearCookie(reply, request, config, FLASH_COOKIE);
  return decode(value);
}

/** 303: the browser follows with a GET, so reloading the next page never re-submits the form. */
export function redirectWith(
  reply: FastifyReply,
  request: FastifyRequest,
  config: AppConfig,
  location: string,
  flash: Flash,
): FastifyReply {
  setFlash(reply, request, config, flash);
  return reply.redirect(location, 303);
}
