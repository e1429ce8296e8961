// Rendering: Eta templates with auto-escaping (`<%= %>` escapes; only the layout's body is
// inserted raw), each page inside one layout that carries the nav bar, the flash and the CSRF token.
import { Eta } from "eta";
import type { FastifyReply, FastifyRequest } from "fastify";
import { fileURLToPath } from "node:url";
import type { AppConfig } from "../../config.ts";
import { currentCity, pageCities, regionLabel } from "./page.city.ts";
import { takeFlash } from "./page.flash.ts";
import { titleCase } from "./page.format.ts";

export const VIEWS_DIR = fileURLToPath(new URL("../views/", import.meta.url));

const ENTITIES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/** Eta's own escaping, except that a missing value prints nothing rather than "undefined". */
export function escapeHtml(value: unknown): string {
  if (value === null || value === undefined) return "";
  return String(value).replace(/[&<>"']/g, (c) => ENTITIES[c] ?? c);
}

export function createEta(): Eta {
  return new Eta({
    views: VIEWS_DIR,
    autoEscape: true,
    escapeFunction: escapeHtml,
    cache: true,
    defaultExtension: ".eta",
  });
}

export type NavSection =
  "vehicles" | "add" | "rides" | "promo" | "users" | "profile" | "login" | "register" | "none";

export interface PageOptions {
  title: string;
  section: NavSection;
  status?: number;
  /** The city the page shows, when it is not the remembered one (the vehicles page decides it). */
  city?: string;
  /** Fall back to these when the flash carries no typed values. */
  form?: Record<string, string>;
}

export function renderPage(
  eta: Eta,
  config: AppConfig,
  request: FastifyRequest,
  reply: FastifyReply,
  view: string,
  options: PageOptions,
  data: Record<string, unknown> = {},
): FastifyReply {
  const user = request.auth?.user ?? null;
  const flash = takeFlash(request, reply, config);
  const city = options.city ?? currentCity(request, reply, config, user);
  const cities = pageCities(config);
  const html = eta.render(view, {
    ...data,
    title: options.title,
    section: options.section,
    flash,
    form: { ...options.form, ...flash?.form },
    csrf: request.csrfToken ?? "",
    user: user
      ? { name: user.name ?? user.username ?? "rider", username: user.username, city: user.city }
      : null,
    city,
    cityLabel: titleCase(city),
    cities: cities.map((c) => ({ value: c, label: titleCase(c) })),
    region: regionLabel(config, city),
    titleCase,
  });
  return reply
    .status(options.status ?? 200)
    .header("content-type", "text/html; charset=utf-8")
    .send(html);
}
