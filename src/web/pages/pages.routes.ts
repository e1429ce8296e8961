// The server-rendered pages for browsers. An encapsulated plugin: its error handler and headers
// apply to the pages only, while the JSON API keeps its own.
import type { FastifyInstance } from "fastify";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import type { RouteOptions } from "../api/api.routes.ts";
import { authPages } from "./auth.pages.ts";
import { HIDDEN, type PageDeps } from "./page.deps.ts";
import { pageErrorHandler } from "./page.errors.ts";
import { createEta, VIEWS_DIR } from "./page.view.ts";
import { promoCodePages } from "./promo-code.pages.ts";
import { ridePages } from "./ride.pages.ts";
import { userPages } from "./user.pages.ts";
import { vehiclePages } from "./vehicle.pages.ts";

/** Our own files, in src/web/views. */
const OWN_ASSETS = {
  "movr.css": "text/css; charset=utf-8",
  "movr.js": "text/javascript; charset=utf-8",
  "ride.js": "text/javascript; charset=utf-8",
  "favicon.svg": "image/svg+xml",
} as const;

/** Leaflet, from its npm package (resolved like an import, so from any build's location). */
const LEAFLET_ASSETS = {
  "leaflet/leaflet.js": ["leaflet/dist/leaflet.js", "text/javascript; charset=utf-8"],
  "leaflet/leaflet.css": ["leaflet/dist/leaflet.css", "text/css; charset=utf-8"],
} as const;

const require = createRequire(import.meta.url);

export async function pageRoutes(app: FastifyInstance, { config, ctx }: RouteOptions): Promise<void> {
  const deps: PageDeps = { config, ctx, eta: createEta() };

  app.setErrorHandler(pageErrorHandler(deps.eta, config));
  // Content-Security-Policy (img-src with the map tile origins, connect-src 'self' for the ride
  // page's script), nosniff, framing and referrer: security-headers.ts, for every answer.
  app.addHook("onSend", async (_request, reply) => {
    // Pages show one rider's data: no shared cache may keep them.
    if (!reply.hasHeader("cache-control")) void reply.header("cache-control", "no-store");
  });

  // Read once at start-up: small, and a missing file should fail the start, not a page view.
  const files: [string, string, string][] = [
    ...Object.entries(OWN_ASSETS).map(([name, type]): [string, string, string] => [
      name,
      path.join(VIEWS_DIR, name),
      type,
    ]),
    ...Object.entries(LEAFLET_ASSETS).map(([name, [module, type]]): [string, string, string] => [
      name,
      require.resolve(module),
      type,
    ]),
  ];
  const assets = await Promise.all(
    files.map(async ([name, file, type]) => ({ name, type, body: await readFile(file) })),
  );
  for (const asset of assets) {
    app.get(
      `/assets/${asset.name}`,
      { schema: HIDDEN, config: { anonymous: true } },
      async (_request, reply) =>
        reply
          .header("content-type", asset.type)
          .header("cache-control", "public, max-age=3600")
          .send(asset.body),
    );
  }

  await authPages(app, deps);
  await vehiclePages(app, deps);
  await ridePages(app, deps);
  await userPages(app, deps);
  await promoCodePages(app, deps);
}
