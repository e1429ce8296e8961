// Rides: start one from the vehicles page, see mine newest first with the active one on top,
// end it where the vehicle is left, and look at one ride with its fare and route.
import type { FastifyInstance } from "fastify";
import { endRide, getActiveRide, getRide, listMyRides, startRide } from "../../rides/ride.service.ts";
import { DomainError } from "../../shared/errors.ts";
import { getVehicle, type Vehicle } from "../../vehicles/vehicle.service.ts";
import { requireAuth } from "../auth.plugin.ts";
import { act } from "./page.action.ts";
import { HIDDEN, type PageDeps } from "./page.deps.ts";
import { formFields, queryFields, withQuery } from "./page.form.ts";
import { formatDuration, formatFare, formatTime, rideRow, titleCase, vehicleName } from "./page.format.ts";
import { renderPage } from "./page.view.ts";
import { routeMap } from "./ride.map.ts";

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
        rides: page.rides.map(rideRow),
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
        text: `Ride ended at ${ride.endLocation ?? location}. Fare: ${formatFare(ride.revenue)}.`,
      };
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
    return renderPage(
      eta,
      config,
      request,
      reply,
      "ride",
      { title: "Ride", section: "rides" },
      {
        ride: {
          ...rideRow(ride),
          vehicle: vehicle ? vehicleName(vehicle) : "Vehicle",
          cityLabel: titleCase(ride.city),
          endedAt: formatTime(ride.endedAt),
          duration: ride.endedAt ? formatDuration(ride.durationSeconds) : "riding",
        },
        map: routeMap(path),
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
