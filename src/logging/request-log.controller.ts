// One log line per request, written when the response has gone: method, route pattern, status and
// duration, with the request id the logger binds to every line of the request (`requestId`).
// No URL, query string or body: those can carry personal data and parameter values.
// Fastify's LogController is its documented seam for its own request lines.
import { LogController, type FastifyReply, type FastifyRequest } from "fastify";

/** The label of the request id on every line logged during a request. */
export const REQUEST_ID_LABEL = "requestId";

/** Label for requests that matched no route: raw URLs would carry whatever a client sent. */
export const UNMATCHED_ROUTE = "(unmatched)";

/** The route pattern a request matched (`/api/v1/rides/:id`), or UNMATCHED_ROUTE. */
export function routeOf(request: FastifyRequest): string {
  return request.routeOptions.url ?? UNMATCHED_ROUTE;
}

export class RequestLogController extends LogController {
  constructor() {
    super({ requestIdLogLabel: REQUEST_ID_LABEL });
  }

  /** Nothing when a request arrives: its one line is written when it completes. */
  override incomingRequest(): void {}

  /** `request completed` at info, or `request errored` at error when the response stream failed. */
  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    const line = {
      method: request.method,
      route: routeOf(request),
      status: reply.statusCode,
      durationMs: Math.round(reply.elapsedTime * 100) / 100,
    };
    if (error) reply.log.error({ ...line, err: error }, "request errored");
    else reply.log.info(line, "request completed");
  }
}
