import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { AuthContext } from "../../auth/auth.service.ts";
import { regionOfCity } from "../../cities/region.config.ts";
import { invalid } from "../../shared/errors.ts";
import { announcesBody } from "../body-parsers.ts";
import type { AppConfig } from "../../config.ts";
import { authRoutes } from "./auth.routes.ts";
import { promoCodeRoutes } from "./promo-code.routes.ts";
import { regionRoutes } from "./region.routes.ts";
import { rideRoutes } from "./ride.routes.ts";
import { apiValidatorCompiler } from "./validator.ts";
import { vehicleRoutes } from "./vehicle.routes.ts";

export interface RouteOptions {
  config: AppConfig;
  ctx: AuthContext;
}

/** Where a city-scoped route finds its city, for the `x-movr-region` response header. */
export type CityFrom = "params" | "body" | "caller";

declare module "fastify" {
  interface FastifyContextConfig {
    cityFrom?: CityFrom;
  }
}

export const REGION_HEADER = "x-movr-region";

const SUCCESS: Record<string, string> = { 200: "OK", 201: "Created", 204: "No content" };

function cityOf(request: FastifyRequest, from: CityFrom | undefined): unknown {
  switch (from) {
    case "params":
      return (request.params as Record<string, unknown> | undefined)?.city;
    case "body":
      return (request.body as Record<string, unknown> | undefined)?.city;
    case "caller":
      return request.auth?.user.city;
    default:
      return undefined;
  }
}

/** application/json, with or without parameters (`; charset=utf-8`), in any case. */
const JSON_TYPE = /^application\/json[ \t]*(?:;|$)/i;

/**
 * The API takes JSON bodies only (shared/spec/api.md): a form, text or multipart body is refused
 * before it is parsed, on every route, whether or not the route takes a body. The pages' form
 * parser would otherwise read `username=…&password=…` into a login, and those are the types a
 * page on any other site can make a browser send without asking (a CORS "simple" request).
 * A zero-length body is no body, whatever its Content-Type (body-parsers.ts).
 */
function requireJsonBody(request: FastifyRequest, _reply: FastifyReply, done: (err?: Error) => void): void {
  const type = request.headers["content-type"];
  if (!announcesBody(request.headers) || (type !== undefined && JSON_TYPE.test(type))) return done();
  done(invalid("body", "must be JSON, sent with Content-Type: application/json"));
}

/** The JSON API of shared/spec/api.md, one file per feature. */
export async function apiRoutes(app: FastifyInstance, opts: RouteOptions): Promise<void> {
  app.setValidatorCompiler(apiValidatorCompiler);
  // The OpenAPI document would say "Default Response" for every success otherwise.
  app.addHook("onRoute", (route) => {
    const responses = (route.schema?.response ?? {}) as Record<string, { description?: string }>;
    for (const [status, schema] of Object.entries(responses)) {
      schema.description ??= SUCCESS[status] ?? "";
    }
  });
  // Clients (and the load balancer in front of a multi-region deployment) see which region
  // owns the data they touched; errors carry it too, so a misrouted client can tell.
  app.addHook("onSend", (request, reply, _payload, done) => {
    const city = cityOf(request, request.routeOptions.config.cityFrom);
    const region = typeof city === "string" ? regionOfCity(opts.config.regions, city) : undefined;
    if (region) void reply.header(REGION_HEADER, region);
    done();
  });
  app.addHook("onRequest", requireJsonBody);
  // Not `opts` itself: it carries this plugin's prefix, which children would add again.
  const shared: RouteOptions = { config: opts.config, ctx: opts.ctx };
  for (const routes of [authRoutes, regionRoutes, vehicleRoutes, rideRoutes, promoCodeRoutes]) {
    await app.register(routes, shared);
  }
}
