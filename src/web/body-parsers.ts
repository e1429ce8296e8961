// The request bodies the app reads, JSON (the API) and forms (the pages), decoded as UTF-8 and
// refused when they are not: a decoder that puts U+FFFD in place of bad bytes would store another
// value than the client sent, which is why the text rule refuses unpaired surrogates (ADR 012).
import type { FastifyInstance } from "fastify";
import type { IncomingHttpHeaders } from "node:http";
import { invalid } from "../shared/errors.ts";

/** `fatal`: throws on bytes that are not UTF-8; a leading byte order mark is dropped. */
const UTF8 = new TextDecoder("utf-8", { fatal: true });

const NOT_UTF8 = "is not valid UTF-8";
const IDENTITY = /^[ \t]*identity[ \t]*$/i;
const BAD_PERCENT = /%(?![0-9a-fA-F]{2})/;

/** The body as text; throws DomainError invalid_request (field "body") when it is not UTF-8. */
function utf8(body: Buffer): string {
  try {
    return UTF8.decode(body);
  } catch {
    throw invalid("body", NOT_UTF8);
  }
}

/** One name or value of a form: `+` is a space, `%XX` bytes must spell UTF-8. */
function formPart(raw: string): string {
  if (!raw.includes("%")) return raw.includes("+") ? raw.replaceAll("+", " ") : raw;
  if (BAD_PERCENT.test(raw)) throw invalid("body", "is not validly percent-encoded");
  try {
    return decodeURIComponent(raw.replaceAll("+", " "));
  } catch {
    throw invalid("body", NOT_UTF8);
  }
}

/**
 * An application/x-www-form-urlencoded body as the pages read it: a null-prototype object, a
 * repeated name's values in an array in order. Throws DomainError invalid_request when a name or
 * value is not validly percent-encoded UTF-8 (where a lenient parser keeps "%E9" as text).
 */
export function parseForm(text: string): Record<string, string | string[]> {
  const fields = Object.create(null) as Record<string, string | string[]>;
  for (const pair of text.split("&")) {
    if (pair === "") continue;
    const eq = pair.indexOf("=");
    const name = formPart(eq === -1 ? pair : pair.slice(0, eq));
    const value = eq === -1 ? "" : formPart(pair.slice(eq + 1));
    const seen = fields[name];
    if (seen === undefined) fields[name] = value;
    else if (Array.isArray(seen)) seen.push(value);
    else fields[name] = [seen, value];
  }
  return fields;
}

/**
 * True when the request's headers announce body bytes (chunked, or a Content-Length other than
 * 0), by RFC 9112 section 6.3; the one reading of it for the hooks that refuse a body by its
 * headers before any parser runs (this file's, and the API's JSON-only check).
 */
export function announcesBody(headers: IncomingHttpHeaders): boolean {
  const length = headers["content-length"];
  return headers["transfer-encoding"] !== undefined || (length !== undefined && length !== "0");
}

/**
 * Replaces Fastify's JSON parser and adds the form parser, both over the raw bytes, both limited
 * to `bodyLimit` bytes. A zero-length JSON body is no body (undefined). JSON keeps Fastify's own parsing (prototype poisoning refused) after
 * the UTF-8 check.
 */
export function bodyParsers(app: FastifyInstance, bodyLimit: number): void {
  // Bodies are read as sent: nothing here inflates one, so a gzip (or br, deflate) body would be
  // read as if it were plain and refused for the wrong reason ("not valid UTF-8"), or a plain one
  // labelled compressed accepted. Refused before any parser runs, API and pages alike.
  app.addHook("onRequest", (request, _reply, done) => {
    const encoding = request.headers["content-encoding"];
    if (encoding === undefined || IDENTITY.test(encoding) || !announcesBody(request.headers)) return done();
    done(invalid("body", "must be sent uncompressed, without a Content-Encoding"));
  });
  const parseJson = app.getDefaultJsonParser("error", "error");
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "buffer", bodyLimit }, (request, body, done) => {
    // Zero bytes are no body: many HTTP clients send this Content-Type on every request, a
    // logout's too; a route that needs a body refuses the missing one with its usual 400.
    if ((body as Buffer).length === 0) {
      done(null, undefined);
      return;
    }
    let text: string;
    try {
      text = utf8(body as Buffer);
    } catch (err) {
      done(err as Error, undefined);
      return;
    }
    parseJson(request, text, done);
  });
  app.addContentTypeParser(
    "application/x-www-form-urlencoded",
    { parseAs: "buffer", bodyLimit },
    (_request, body, done) => {
      try {
        done(null, parseForm(utf8(body as Buffer)));
      } catch (err) {
        done(err as Error, undefined);
      }
    },
  );
}
