// The pages answered before the page templates can run (the router's refusals, an unknown
// address, Node's own refusals, a draining server's 503): fixed HTML in the templates' look.
import type { FastifyReply, FastifyRequest } from "fastify";

/** A browser asking for a page (not the API): it gets HTML where the router or 404 answer. */
export function wantsPage(request: FastifyRequest): boolean {
  return !request.url.startsWith("/api") && (request.headers.accept ?? "").includes("text/html");
}

const HTML_ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" };

/**
 * A page without the page templates (their plugin never saw the request): a title and a fixed
 * sentence, echoing nothing of the URL. It reads on a phone as the templated pages do: the same
 * viewport and stylesheet (without the viewport, a phone lays it out 980 px wide and shrinks it).
 */
export function staticPage(
  reply: FastifyReply,
  status: number,
  title: string,
  sentence: string,
): FastifyReply {
  const text = (s: string) => s.replace(/[&<>"]/g, (c) => HTML_ESCAPES[c]!);
  return reply
    .status(status)
    .type("text/html; charset=utf-8")
    .send(
      `<!doctype html><html lang="en"><head><meta charset="utf-8">` +
        `<meta name="viewport" content="width=device-width, initial-scale=1">` +
        `<title>${text(title)} · MovR</title><link rel="stylesheet" href="/assets/movr.css"></head>` +
        `<body><main class="page" id="main"><section class="card narrow"><h1>${text(title)}</h1>` +
        `<p data-testid="error-message">${text(sentence)}</p>` +
        `<p><a class="button" href="/vehicles">Find a vehicle</a></p></section></main></body></html>`,
    );
}
