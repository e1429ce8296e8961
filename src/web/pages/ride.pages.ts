// Rides: start one from the vehicles page, see mine newest first with the active one on top,
// log where the active ride is, end it where the vehicle is left, and look at one ride with its
// fare and its route (on map tiles when configured).
import type { FastifyInstance } from "fastify";
import {
  endRide,
  getActiveRide,
  getRide,
  listMyRides,
  logLocation,
  startRide,
} from "../../rides/ride.service.ts";
import { DomainError } from "../../shared/errors.ts";
import { getVehicle, type Vehicle } from "../../vehicles/vehicle.service.ts";
import { requireAuth } from "../auth.plugin.ts";
import { act } from "./page.action.ts";
import { HIDDEN, type PageDeps } from "./page.deps.ts";
import { formFields, queryFields, withQuery } from "./page.form.ts";
import { formatDuration, formatTime, rideRow, titleCase, vehicleName } from "./page.format.ts";
import { moneyFor } from "./page.money.ts";
import { renderPage } from "./page.view.ts";
import { drawablePoints, routeMap } from "./ride.map.ts";

const DECIMAL_DEGREES = /^[-+]?\d{1,3}(?:[.,]\d{1,12})?$/;

/** A typed coordinate ("42.3601", or "42,3601" as many keyboards write it) in ±bound degrees. */
function coordinate(label: string, text: string, bound: number): number {
  const value = DECIMAL_DEGREES.test(text) ? Number(text.replace(",", ".")) : Number.NaN;
  if (!Number.isFinite(value) || Math.abs(value) > bound) {
    throw new DomainError(
      "invalid_request",
      `${label} must be a number of degrees between -${bound} and ${bound}, such as ${bound === 90 ? "42.3601" : "-71.0589"}.`,
    );
  }
  return value;
}

export async function ridePages(app: FastifyInstance, { config, ctx, eta }: PageDeps): Promise<void> {
  app.post("/rides", { schema: HIDDEN }, async (request, reply) => {
    const { user } = requireAuth(request);
    const f = formFields(request);
    return act(request, reply, config, { to: "/vehicles" }, async () => {
      // Riders ride in their home city; the service refuses any other, and "already riding" is
      // the database's call (a unique index), not this browser's.
      const ride = await startRide(ctx, { city: user.city, vehicleId: f("vehicleId"), riderId: user.id });
      return {
        to: "/rides",
        text: `Your ride has started at ${ride.startLocation ?? "the vehicle"}. Enjoy!`,
      };
    });
  });

  app.get("/rides", { schema: HIDDEN }, async (request, reply) => {
    const { user } = requireAuth(request);
    const after = queryFields(request)("after");
    const [page, active] = await Promise.all([
      listMyRides(ctx, { riderCity: user.city, riderId: user.id, after: after || undefined }),
      getActiveRide(ctx, user.city, user.id),
    ]);
    const activeVehicle = active?.vehicleId ? await vehicleOrNull(user.city, active.vehicleId) : null;
    return renderPage(
      eta,
      config,
      request,
      reply,
      "rides",
      { title: "My rides", section: "rides" },
      {
        active: active
          ? {
              id: active.id,
              vehicle: activeVehicle ? vehicleName(activeVehicle) : "Vehicle",
              from: active.startLocation ?? "—",
              startedAt: formatTime(active.startedAt),
            }
          : null,
        rides: page.rides.map((r) => rideRow(r, moneyFor(config, request))),
        next: page.next ? withQuery("/rides", { after: page.next }) : null,
        firstPage: !after,
      },
    );
  });

  app.post<{ Params: { id: string } }>("/rides/:id/end", { schema: HIDDEN }, async (request, reply) => {
    const { user } = requireAuth(request);
    const location = formFields(request)("location");
    return act(request, reply, config, { to: "/rides", keep: { location } }, async () => {
      const ride = await endRide(ctx, {
        city: user.city,
        rideId: request.params.id,
        location,
        actor: { riderCity: user.city, riderId: user.id },
      });
      return {
        to: `/rides/${ride.id}`,
        text: `Ride ended at ${ride.endLocation ?? location}. Fare: ${moneyFor(config, request)(ride.revenue, ride.city)}.`,
      };
    });
  });

  // Without JavaScript, the ride page's "where are you?" form posts here; with it, the page's
  // script posts the same point to the JSON API. Both call logLocation.
  app.post<{ Params: { id: string } }>("/rides/:id/locations", { schema: HIDDEN }, async (request, reply) => {
    const { user } = requireAuth(request);
    const f = formFields(request);
    const typed = { lat: f("lat").trim(), long: f("long").trim() };
    const back = `/rides/${encodeURIComponent(request.params.id)}`;
    return act(request, reply, config, { to: back, keep: typed }, async () => {
      const lat = coordinate("Latitude", typed.lat, 90);
      const long = coordinate("Longitude", typed.long, 180);
      await logLocation(ctx, {
        city: user.city,
        rideId: request.params.id,
        lat,
        long,
        actor: { riderCity: user.city, riderId: user.id },
      });
      return { to: back, text: `Location logged: ${typed.lat}, ${typed.long}.` };
    });
  });

  app.get<{ Params: { id: string } }>("/rides/:id", { schema: HIDDEN }, async (request, reply) => {
    const { user } = requireAuth(request);
    const { ride, path } = await getRide(ctx, {
      city: user.city,
      rideId: request.params.id,
      actor: { riderCity: user.city, riderId: user.id },
    });
    const vehicle = ride.vehicleId ? await vehicleOrNull(user.city, ride.vehicleId) : null;
    const located = drawablePoints(path);
    return renderPage(
      eta,
      config,
      request,
      reply,
      "ride",
      { title: "Ride", section: "rides" },
      {
        ride: {
          ...rideRow(ride, moneyFor(config, request)),
          vehicle: vehicle ? vehicleName(vehicle) : "Vehicle",
          cityLabel: titleCase(ride.city),
          endedAt: formatTime(ride.endedAt),
          duration: ride.endedAt ? formatDuration(ride.durationSeconds) : "riding",
        },
        map: routeMap(path),
        // What the page's script draws on the tiles, and where it logs and re-reads the route.
        leaflet: config.map.tileUrl !== null,
        rideScript: true,
        tiles: config.map.tileUrl
          ? {
              url: config.map.tileUrl,
              subdomains: config.map.subdomains.join(""),
              attribution: config.map.attribution,
              attributionUrl: config.map.attributionUrl ?? "",
            }
          : null,
        points: JSON.stringify(located.map((p) => [p.lat, p.long])),
        api: `/api/v1/cities/${encodeURIComponent(ride.city)}/rides/${ride.id}`,
      },
    );
  });

  /** A ride outlives its vehicle's listing; the page says "Vehicle" rather than failing. */
  async function vehicleOrNull(city: string, id: string): Promise<Vehicle | null> {
    try {
      return await getVehicle(ctx, city, id);
    } catch (err) {
      if (err instanceof DomainError && err.code === "not_found") return null;
      throw err;
    }
  }
}
