// A browser without JavaScript, over app.inject: a cookie jar, forms posted with their CSRF
// field, redirects followed. Shared by the page tests.
import type { FastifyInstance, LightMyRequestResponse } from "fastify";
import { expect } from "vitest";

/** A cookie jar over app.inject: what a browser without JavaScript would do. */
export class Visitor {
  readonly cookies = new Map<string, string>();
  constructor(private readonly app: FastifyInstance) {}

  private remember(res: LightMyRequestResponse): void {
    for (const c of res.cookies) {
      const expired =
        c.maxAge === 0 || (c.expires instanceof Date && c.expires.getTime() <= Date.now()) || c.value === "";
      if (expired) this.cookies.delete(c.name);
      else this.cookies.set(c.name, c.value);
    }
  }

  private header(): Record<string, string> {
    const jar = [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
    return jar ? { cookie: jar } : {};
  }

  async get(url: string, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
    const res = await this.app.inject({ method: "GET", url, headers: { ...this.header(), ...headers } });
    this.remember(res);
    return res;
  }

  async post(url: string, form: Record<string, string>): Promise<LightMyRequestResponse> {
    const res = await this.app.inject({
      method: "POST",
      url,
      headers: { ...this.header(), "content-type": "application/x-www-form-urlencoded" },
      payload: new URLSearchParams(form).toString(),
    });
    this.remember(res);
    return res;
  }

  /** Posts the form of `page` with its own CSRF field, as the browser would. */
  async submit(page: string, url: string, form: Record<string, string>): Promise<LightMyRequestResponse> {
    const html = (await this.get(page)).body;
    return this.post(url, { _csrf: csrfOf(html), ...form });
  }

  /** Follows a redirect the way a browser does after a form: GET the location, flash and all. */
  async follow(res: LightMyRequestResponse): Promise<LightMyRequestResponse> {
    expect([302, 303], `expected a redirect, got ${res.statusCode}: ${res.body.slice(0, 300)}`).toContain(
      res.statusCode,
    );
    return this.get(String(res.headers.location));
  }
}

export function csrfOf(html: string): string {
  const m = /name="_csrf" value="([^"]*)"/.exec(html);
  if (!m?.[1]) throw new Error("no _csrf field on the page");
  return m[1];
}

export function flashOf(html: string): string | undefined {
  return /class="flash flash-\w+"[^>]*>([^<]*)</.exec(html)?.[1];
}

export async function signUp(
  app: FastifyInstance,
  input: { username: string; name?: string; city?: string; password?: string },
): Promise<Visitor> {
  const v = new Visitor(app);
  const password = input.password ?? "correct horse";
  const registered = await v.submit("/register", "/register", {
    city: input.city ?? "boston",
    name: input.name ?? "Rita Rider",
    email: `${input.username}@example.com`,
    username: input.username,
    password,
  });
  expect(registered.headers.location).toBe(`/login?username=${input.username}`);
  const login = await v.submit("/login", "/login", { username: input.username, password });
  expect(login.statusCode).toBe(303);
  expect(login.headers.location).toBe("/vehicles");
  expect(v.cookies.has("movr_session")).toBe(true);
  return v;
}
