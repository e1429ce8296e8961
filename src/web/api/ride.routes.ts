// Rides: start, follow (locations), end, read one's own. Only the rider may touch a ride.
import type { FastifyInstance } from "fastify";
import { currencyOfCity } from "../../cities/region.config.ts";
import {
  endRide,
  getRide,
  listMyRides,
  logLocation,
  startRide,
  type Ride,
} from "../../rides/ride.service.ts";
import { LIMITS } from "../../shared/validation.ts";
import { requireAuth } from "../auth.plugin.ts";
import type { RouteOptions } from "./api.routes.ts";
import {
  city,
  cursor,
  errors,
  limit,
  noContent,
  object,
  pathPointSchema,
  rideSchema,
  text,
  uuid,
} from "./schemas.ts";
import { nativeJson, pathPointJson, rideJson } from "./serialize.ts";

const tags = ["rides"];
const bearer = [{ bearer: [] }];

interface RideParams {
  city: string;
  id: string;
}

export async function rideRoutes(app: FastifyInstance, { config, ctx }: RouteOptions): Promise<void> {
  const json = (ride: Ride) => rideJson(ride, currencyOfCity(config.regions, ride.city));
  const rideParams = object({ city: city(ctx.cities), id: uuid });

  app.post<{ Body: { city: string; vehicleId: string } }>(
    "/rides",
    {
      config: { cityFrom: "body" },
      serializerCompiler: nativeJson,
      schema: {
        tags,
        summary: "Start a ride on an available vehicle of the caller's home city",
        security: bearer,
        body: object({ city: city(ctx.cities), vehicleId: uuid }),
        response: { 201: object({ ride: rideSchema }), ...errors(401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const { user } = requireAuth(request);
      const ride = await startRide(ctx, { ...request.body, riderId: user.id });
      return reply.status(201).send({ ride: json(ride) });
    },
  );

  app.get<{ Querystring: { limit: number; after?: string } }>(
    "/me/rides",
    {
      config: { cityFrom: "caller" },
      serializerCompiler: nativeJson,
      schema: {
        tags,
        summary: "The caller's rides, newest first",
        security: bearer,
        querystring: object({ limit, after: cursor }, []),
        response: {
          200: object({ rides: { type: "array", items: rideSchema }, next: { type: ["string", "null"] } }),
          ...errors(401),
        },
      },
    },
    async (request) => {
      const { user } = requireAuth(request);
      const page = await listMyRides(ctx, { riderCity: user.city, riderId: user.id, ...request.query });
      return { rides: page.rides.map(json), next: page.next };
    },
  );

  app.get<{ Params: RideParams }>(
    "/cities/:city/rides/:id",
    {
      config: { cityFrom: "params" },
      schema: {
        tags,
        summary: "One of the caller's rides, with the path logged so far",
        security: bearer,
        params: rideParams,
        response: {
          200: object({ ride: rideSchema, path: { type: "array", items: pathPointSchema } }),
          ...errors(401, 404),
        },
      },
    },
    async (request) => {
      const { user } = requireAuth(request);
      const { ride, path } = await getRide(ctx, {
        city: request.params.city,
        rideId: request.params.id,
        actor: { riderCity: user.city, riderId: user.id },
      });
      return { ride: json(ride), path: path.map(pathPointJson) };
    },
  );

  app.post<{ Params: RideParams; Body: { lat: number; long: number } }>(
    "/cities/:city/rides/:id/locations",
    {
      config: { cityFrom: "params" },
      schema: {
        tags,
        summary: "Log where the vehicle of an active ride is",
        security: bearer,
        params: rideParams,
        body: object({
          lat: { type: "number", minimum: -90, maximum: 90 },
          long: { type: "number", minimum: -180, maximum: 180 },
        }),
        response: { 201: noContent, ...errors(401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const { user } = requireAuth(request);
      await logLocation(ctx, {
        city: request.params.city,
        rideId: request.params.id,
        ...request.body,
        actor: { riderCity: user.city, riderId: user.id },
      });
      return reply.status(201).send();
    },
  );

  app.post<{ Params: RideParams; Body: { location: string } }>(
    "/cities/:city/rides/:id/end",
    {
      config: { cityFrom: "params" },
      serializerCompiler: nativeJson,
      schema: {
        tags,
        summary: "End a ride where the vehicle is left; charges the fare",
        security: bearer,
        params: rideParams,
        body: object({ location: text(LIMITS.address) }),
        response: { 200: object({ ride: rideSchema }), ...errors(401, 403, 404, 409) },
      },
    },
    async (request) => {
      const { user } = requireAuth(request);
      const ride = await endRide(ctx, {
        city: request.params.city,
        rideId: request.params.id,
        location: request.body.location,
        actor: { riderCity: user.city, riderId: user.id },
      });
      return { ride: json(ride) };
    },
  );
}
