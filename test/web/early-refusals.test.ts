// Requests refused before any route runs: the router (bad percent-encoding, an over-long segment,
// an unknown address or method), the body parsers (too large, malformed, an unknown or malformed
// Content-Type, not UTF-8), Node itself (a malformed request line, a CONNECT) and our own checks
// of what Node would refuse bare (an HTTP/1.1 request without Host, an Expect other than
// 100-continue). Every answer carries the headers
// every other answer has (helmet's, the request id; no-store on the API), and a browser gets an
// HTML page where an API client gets the contract's JSON error, never a stack trace.
import net from "node:net";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { apiAccount } from "../support/api-account.ts";
import { useTestApp } from "../support/test-app.ts";

const t = useTestApp({}, { listen: true });

const HTML = { accept: "text/html,application/xhtml+xml,*/*;q=0.8" };
const JSON_BODY = { "content-type": "application/json" };
const FORM = { "content-type": "application/x-www-form-urlencoded" };
const TOO_LARGE = "x".repeat(70_000); // BODY_LIMIT_BYTES is 65536 by default

interface Refusal {
  what: string;
  method: "GET" | "POST" | "DELETE" | "PROPFIND";
  url: string;
  headers?: Record<string, string>;
  payload?: string | Buffer;
  status: number;
  /** A JSON error's code, or "page" for an HTML page. */
  answer: string;
}

const REFUSALS: Refusal[] = [
  {
    what: "bad percent-encoding, page",
    method: "GET",
    url: "/rides/%E0%A4%A",
    headers: HTML,
    status: 400,
    answer: "page",
  },
  {
    what: "bad percent-encoding, API",
    method: "GET",
    url: "/api/v1/cities/%E0%A4%A/vehicles",
    headers: HTML,
    status: 400,
    answer: "invalid_request",
  },
  {
    what: "over-long path segment, page",
    method: "GET",
    url: `/rides/${"a".repeat(200)}`,
    headers: HTML,
    status: 400,
    answer: "page",
  },
  {
    what: "over-long path segment, API",
    method: "GET",
    url: `/api/v1/cities/${"c".repeat(200)}/vehicles`,
    status: 400,
    answer: "invalid_request",
  },
  {
    what: "unknown address, page",
    method: "GET",
    url: "/no-such-page",
    headers: HTML,
    status: 404,
    answer: "page",
  },
  {
    what: "unknown address, API",
    method: "GET",
    url: "/api/v1/no-such-thing",
    status: 404,
    answer: "not_found",
  },
  // No 405 anywhere: Fastify answers an unrouted method with the 404 handler, as the contract's 404.
  {
    what: "method the address lacks, page",
    method: "DELETE",
    url: "/vehicles",
    headers: HTML,
    status: 404,
    answer: "page",
  },
  {
    what: "method the address lacks, API",
    method: "PROPFIND",
    url: "/api/v1/regions",
    status: 404,
    answer: "not_found",
  },
  {
    what: "body too large, API",
    method: "POST",
    url: "/api/v1/auth/login",
    headers: JSON_BODY,
    payload: TOO_LARGE,
    status: 413,
    answer: "payload_too_large",
  },
  {
    what: "body too large, page",
    method: "POST",
    url: "/login",
    headers: { ...HTML, ...FORM },
    payload: `a=${TOO_LARGE}`,
    status: 413,
    answer: "page",
  },
  {
    what: "malformed JSON",
    method: "POST",
    url: "/api/v1/auth/login",
    headers: JSON_BODY,
    payload: "{bad",
    status: 400,
    answer: "invalid_request",
  },
  {
    what: "unknown Content-Type, API",
    method: "POST",
    url: "/api/v1/auth/login",
    headers: { "content-type": "text/weird" },
    payload: "abc",
    status: 400,
    answer: "invalid_request",
  },
  {
    what: "malformed Content-Type, API",
    method: "POST",
    url: "/api/v1/auth/login",
    headers: { "content-type": ";;;" },
    payload: "{}",
    status: 400,
    answer: "invalid_request",
  },
  {
    what: "unknown Content-Type, page",
    method: "POST",
    url: "/login",
    headers: { ...HTML, "content-type": "text/weird" },
    payload: "abc",
    status: 415,
    answer: "page",
  },
  {
    what: "body not UTF-8, API",
    method: "POST",
    url: "/api/v1/auth/login",
    headers: JSON_BODY,
    payload: Buffer.from('{"username":"caf\xe9"}', "latin1"),
    status: 400,
    answer: "invalid_request",
  },
];

/**
 * A page a phone lays out at its own width, styled as every page (without the viewport tag a
 * phone renders it 980 px wide and shrinks it), its sentence in the page's error slot.
 */
function expectPhonePage(html: string, what: string): void {
  expect(html, what).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
  expect(html, what).toContain('<link rel="stylesheet" href="/assets/movr.css">');
  expect(html, what).toMatch(/data-testid="error-message">[^<]*\w[^<]*</);
}

/** helmet's headers as every answer has them (security-headers.ts). */
function expectSecurityHeaders(headers: Record<string, unknown>, what: string): void {
  expect(String(headers["content-security-policy"]), what).toContain("default-src 'none'");
  expect(String(headers["content-security-policy"]), what).toContain("frame-ancestors 'none'");
  expect(headers["x-frame-options"], what).toBe("DENY");
  expect(headers["x-content-type-options"], what).toBe("nosniff");
  expect(headers["referrer-policy"], what).toBe("same-origin");
}

describe("requests refused before any route runs", () => {
  it.each(REFUSALS.map((r, i) => ({ ...r, id: `early-${i}` })))(
    "$what: $status with the headers of every answer",
    async ({ what, method, url, headers, payload, status, answer, id }) => {
      const res = await t.app.inject({
        method,
        url,
        headers: { ...headers, "x-request-id": id },
        ...(payload === undefined ? {} : { payload }),
      });
      expect(res.statusCode, `${what}: ${res.body.slice(0, 300)}`).toBe(status);
      expectSecurityHeaders(res.headers, what);
      expect(res.headers["x-request-id"], what).toBe(id);
      expect(res.body, what).not.toMatch(/\n\s+at |stack|FST_/);
      if (answer === "page") {
        expect(res.headers["content-type"], what).toMatch(/^text\/html/);
        expect(res.body, what).toMatch(/^<!doctype html>/i);
        expectPhonePage(res.body, what);
      } else {
        expect(res.headers["content-type"], what).toMatch(/^application\/json/);
        expect(res.headers["cache-control"], what).toBe("no-store");
        const body = res.json() as { error: { code: string; message: string } };
        expect(body.error.code, what).toBe(answer);
        expect(body.error.message, what).toMatch(/\S/);
      }
    },
  );

  it("a request Node cannot parse (a malformed request line) is answered with helmet's headers too", async () => {
    const { status, headers, body } = await rawExchange("NOT HTTP AT ALL\r\n\r\n");
    expect(status).toBe(400);
    expectSecurityHeaders(headers, "malformed request line");
    expect(headers["cache-control"]).toBe("no-store");
    expect(JSON.parse(body)).toMatchObject({ error: { code: "invalid_request" } });
  });

  // Node refuses these itself unless told not to (requireHostHeader), with an empty body.
  it.each([
    { what: "API", url: "/api/v1/regions", accept: "application/json", answer: "invalid_request" },
    { what: "page", url: "/vehicles", accept: HTML.accept, answer: "page" },
  ])("an HTTP/1.1 request without Host, $what: 400 with the headers of every answer", async (row) => {
    const { status, headers, body } = await rawExchange(
      `GET ${row.url} HTTP/1.1\r\nAccept: ${row.accept}\r\nX-Request-Id: no-host\r\n\r\n`,
    );
    expect(status, body).toBe(400);
    expectSecurityHeaders(headers, row.what);
    expect(headers["x-request-id"]).toBe("no-host");
    expect(headers.connection).toBe("close");
    if (row.answer === "page") {
      expect(headers["content-type"]).toMatch(/^text\/html/);
      expect(body).toMatch(/^<!doctype html>/i);
      expectPhonePage(body, row.what);
    } else {
      expect(headers["cache-control"]).toBe("no-store");
      expect(JSON.parse(body)).toMatchObject({
        error: { code: "invalid_request", message: expect.stringMatching(/Host/) },
      });
    }
  });

  // Node answers an Expect it does not meet with a bare 417 (no body, none of our headers).
  it.each([
    { what: "API", method: "POST", url: "/api/v1/auth/login", accept: "application/json", answer: "json" },
    { what: "page", method: "GET", url: "/vehicles", accept: HTML.accept, answer: "page" },
  ])("an Expect other than 100-continue, $what: 417 with the headers of every answer", async (row) => {
    const body = row.method === "POST" ? "{}" : "";
    const {
      status,
      headers,
      body: answer,
    } = await rawExchange(
      `${row.method} ${row.url} HTTP/1.1\r\nHost: movr.test\r\nAccept: ${row.accept}\r\nExpect: 200-ok\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${body.length}\r\nX-Request-Id: expect-${row.what}\r\n\r\n${body}`,
    );
    expect(status, answer).toBe(417);
    expectSecurityHeaders(headers, row.what);
    expect(headers["x-request-id"]).toBe(`expect-${row.what}`);
    expect(headers.connection).toBe("close");
    if (row.answer === "page") {
      expect(headers["content-type"]).toMatch(/^text\/html/);
      expect(answer).toMatch(/^<!doctype html>[\s\S]*Expect/i);
      expectPhonePage(answer, row.what);
    } else {
      expect(headers["cache-control"]).toBe("no-store");
      expect(JSON.parse(answer)).toMatchObject({
        error: { code: "invalid_request", message: expect.stringMatching(/Expect/) },
      });
    }
  });

  it("Expect: 100-continue is met, in any case, and the request served", async () => {
    const { status, body } = await rawExchange(
      "GET /healthz HTTP/1.1\r\nHost: movr.test\r\nExpect: 100-Continue\r\nConnection: close\r\n\r\n",
    );
    expect(status, body).toBe(100);
    expect(body).toMatch(/^HTTP\/1\.1 200 [\s\S]*\{"status":"ok"\}$/);
  });

  // Node closes a CONNECT (a proxy's method) without answering at all.
  it("a CONNECT is answered 404 in the contract's shape, not dropped", async () => {
    const { status, headers, body } = await rawExchange(
      "CONNECT db.internal:5432 HTTP/1.1\r\nHost: db.internal:5432\r\n\r\n",
    );
    expect(status, body).toBe(404);
    expectSecurityHeaders(headers, "CONNECT");
    expect(headers["cache-control"]).toBe("no-store");
    expect(JSON.parse(body)).toMatchObject({
      error: { code: "not_found", message: expect.stringMatching(/CONNECT/) },
    });
  });

  it("an HTTP/1.0 request needs no Host and is served", async () => {
    const { status, body } = await rawExchange("GET /healthz HTTP/1.0\r\n\r\n");
    expect(status, body).toBe(200);
    expect(JSON.parse(body)).toEqual({ status: "ok" });
  });
});

// (expect.stringMatching: a bare regular expression inside toMatchObject matches any string in Vitest 4.)
// The API's bodies are JSON (shared/spec/api.md). The pages' form parser read a form body sent to
// the API as if it were JSON, so a login or a register worked as a form: the kind of request any
// other site can make a browser send without asking.
describe("the API takes JSON bodies only", () => {
  const FORMS: { what: string; type: string | undefined; body: string }[] = [
    { what: "a form", type: FORM["content-type"], body: "" },
    { what: "text", type: "text/plain", body: "" },
    { what: "multipart", type: "multipart/form-data; boundary=b", body: "" },
    { what: "no Content-Type", type: undefined, body: "" },
  ];
  it.each(FORMS)("$what: 400 naming the body and the JSON type, and nothing done", async ({ type }) => {
    const account = await apiAccount(t.app, { password: "correct horse" });
    const fields = {
      city: "boston",
      name: "Form Rider",
      username: `f${account.username}`,
      email: "form@example.com",
      password: "correct horse",
    };
    const encode = (o: Record<string, string>) =>
      type?.startsWith("multipart")
        ? Object.entries(o)
            .map(([k, v]) => `--b\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`)
            .join("") + "--b--\r\n"
        : type === FORM["content-type"]
          ? new URLSearchParams(o).toString()
          : JSON.stringify(o);
    const { headers: auth } = account;
    const attempts = [
      { method: "POST", url: "/api/v1/auth/register", payload: encode(fields) },
      {
        method: "POST",
        url: "/api/v1/auth/login",
        payload: encode({ username: account.username, password: "correct horse" }),
      },
      {
        method: "POST",
        url: "/api/v1/vehicles",
        auth,
        payload: encode({ type: "bike", location: "Here", color: "red" }),
      },
      { method: "DELETE", url: "/api/v1/me", auth, payload: encode({ confirm: "yes" }) },
    ] as const;
    for (const a of attempts) {
      const res = await t.app.inject({
        method: a.method,
        url: a.url,
        headers: { ...(type === undefined ? {} : { "content-type": type }), ...("auth" in a ? a.auth : {}) },
        payload: a.payload,
      });
      const what = `${a.method} ${a.url}`;
      expect(res.statusCode, `${what}: ${res.body}`).toBe(400);
      expect(res.json(), what).toMatchObject({
        error: {
          code: "invalid_request",
          message: expect.stringMatching(/^body must be JSON.*application\/json/),
        },
      });
    }
    // Nothing happened: no account registered, the account still there, no vehicle added.
    const login = await t.app.inject({
      method: "POST",
      url: "/api/v1/auth/login",
      payload: { username: fields.username, password: "correct horse" },
    });
    expect(login.statusCode).toBe(401);
    const mine = await t.app.inject({ method: "GET", url: "/api/v1/me/vehicles", headers: auth });
    expect(mine.statusCode).toBe(200);
    expect(mine.json()).toEqual({ vehicles: [] });
  });
});

/** Sends `request` as is over a socket and reads the answer until the server closes. */
async function rawExchange(
  request: string,
): Promise<{ status: number; headers: Record<string, string>; body: string }> {
  const port = (t.app.server.address() as net.AddressInfo).port;
  const answer = await new Promise<string>((resolve) => {
    const socket = net.connect(port, "127.0.0.1", () => socket.write(request));
    let got = "";
    socket.on("data", (d: Buffer) => (got += d.toString()));
    socket.on("close", () => resolve(got));
  });
  expect(answer).toMatch(/^HTTP\/1\.[01] \d{3} /);
  const split = answer.indexOf("\r\n\r\n");
  const head = answer.slice(0, split);
  const headers = Object.fromEntries(
    head
      .split("\r\n")
      .slice(1)
      .map((line) => [
        line.slice(0, line.indexOf(":")).toLowerCase(),
        line.slice(line.indexOf(":") + 1).trim(),
      ]),
  );
  return { status: Number(answer.slice(9, 12)), headers, body: answer.slice(split + 4) };
}

// Nothing inflates a body: one sent compressed was read as if it were plain (a real gzip body was
// "not valid UTF-8"; a plain one labelled gzip registered an account).
describe("a compressed body", () => {
  const fields = (username: string) => ({
    city: "boston",
    name: "Zip Rider",
    username,
    email: `${username}@example.com`,
    password: "correct horse",
  });
  it.each([
    { what: "gzip, really compressed", encoding: "gzip", zip: true },
    { what: "labelled gzip, sent plain", encoding: "gzip", zip: false },
    { what: "br", encoding: "br", zip: false },
  ])("API, $what: 400 naming the body, nothing registered", async ({ encoding, zip }) => {
    const username = `zip_${encoding}_${String(zip)}`;
    const json = Buffer.from(JSON.stringify(fields(username)));
    const res = await t.app.inject({
      method: "POST",
      url: "/api/v1/auth/register",
      headers: { ...JSON_BODY, "content-encoding": encoding },
      payload: zip ? gzipSync(json) : json,
    });
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json()).toMatchObject({
      error: { code: "invalid_request", message: expect.stringMatching(/^body must be sent uncompressed/) },
    });
    const login = await t.app.inject({
      method: "POST",
      url: "/api/v1/auth/login",
      payload: { username, password: "correct horse" },
    });
    expect(login.statusCode).toBe(401);
  });

  it("a page: a page with the sentence", async () => {
    const res = await t.app.inject({
      method: "POST",
      url: "/login",
      headers: { ...HTML, ...FORM, "content-encoding": "gzip" },
      payload: gzipSync(Buffer.from("username=a&password=b")),
    });
    expect(res.statusCode, res.body.slice(0, 300)).toBe(400);
    expect(res.headers["content-type"]).toMatch(/^text\/html/);
    expect(res.body).toMatch(/data-testid="error-message">body must be sent uncompressed/);
  });

  it("identity, and a bodiless request with the header, are served as ever", async () => {
    const res = await t.app.inject({
      method: "POST",
      url: "/api/v1/auth/register",
      headers: { ...JSON_BODY, "content-encoding": "identity" },
      payload: JSON.stringify(fields("zip_identity")),
    });
    expect(res.statusCode, res.body).toBe(201);
    const get = await t.app.inject({
      method: "GET",
      url: "/api/v1/regions",
      headers: { "content-encoding": "gzip" },
    });
    expect(get.statusCode).toBe(200);
  });
});
