// The fleet: list and read a city's vehicles (public), add, list and remove one's own.
import type { FastifyInstance } from "fastify";
import { LIMITS } from "../../shared/validation.ts";
import {
  addVehicle,
  getVehicle,
  listOwnerVehicles,
  listVehicles,
  removeVehicle,
  VEHICLE_CHOICES,
} from "../../vehicles/vehicle.service.ts";
import { requireAuth } from "../auth.plugin.ts";
import type { RouteOptions } from "./api.routes.ts";
import { city, cursor, errors, limit, noContent, object, text, uuid, vehicleSchema } from "./schemas.ts";
import { nativeJson, vehicleJson } from "./serialize.ts";

const tags = ["fleet"];
const bearer = [{ bearer: [] }];
const vehicles = { type: "array", items: vehicleSchema } as const;

interface VehicleParams {
  city: string;
  id: string;
}

export async function vehicleRoutes(app: FastifyInstance, { ctx }: RouteOptions): Promise<void> {
  const cityParams = object({ city: city(ctx.cities) });
  const vehicleParams = object({ city: city(ctx.cities), id: uuid });

  app.get<{
    Params: { city: string };
    Querystring: { status?: string; type?: string; limit: number; after?: string };
  }>(
    "/cities/:city/vehicles",
    {
      config: { cityFrom: "params" },
      serializerCompiler: nativeJson,
      schema: {
        tags,
        summary: "A page of a city's vehicles",
        params: cityParams,
        querystring: object(
          {
            status: { type: "string", enum: [...VEHICLE_CHOICES.statuses] },
            type: { type: "string", enum: [...VEHICLE_CHOICES.types] },
            limit,
            after: cursor,
          },
          [],
        ),
        response: {
          200: object({ vehicles, next: { type: ["string", "null"] } }),
          ...errors(401),
        },
      },
    },
    async (request) => {
      const page = await listVehicles(ctx, { city: request.params.city, ...request.query });
      return { vehicles: page.vehicles.map(vehicleJson), next: page.next };
    },
  );

  app.get<{ Params: VehicleParams }>(
    "/cities/:city/vehicles/:id",
    {
      config: { cityFrom: "params" },
      serializerCompiler: nativeJson,
      schema: {
        tags,
        summary: "One vehicle",
        params: vehicleParams,
        response: { 200: object({ vehicle: vehicleSchema }), ...errors(401, 404) },
      },
    },
    async (request) => ({
      vehicle: vehicleJson(await getVehicle(ctx, request.params.city, request.params.id)),
    }),
  );

  app.post<{ Body: { type: string; location: string; color: string; brand?: string } }>(
    "/vehicles",
    {
      config: { cityFrom: "caller" },
      schema: {
        tags,
        summary: "Add a vehicle in the caller's home city",
        security: bearer,
        body: object(
          {
            type: { type: "string", enum: [...VEHICLE_CHOICES.types] },
            location: text(LIMITS.address),
            color: { type: "string", enum: [...VEHICLE_CHOICES.colors] },
            brand: text(LIMITS.brand),
          },
          ["type", "location", "color"],
        ),
        response: { 201: object({ vehicle: vehicleSchema }), ...errors(401, 403) },
      },
    },
    async (request, reply) => {
      const { user } = requireAuth(request);
      const vehicle = await addVehicle(ctx, { ...request.body, ownerCity: user.city, ownerId: user.id });
      return reply.status(201).send({ vehicle: vehicleJson(vehicle) });
    },
  );

  app.get(
    "/me/vehicles",
    {
      config: { cityFrom: "caller" },
      serializerCompiler: nativeJson,
      schema: {
        tags,
        summary: "The caller's vehicles (not those taken off the platform)",
        security: bearer,
        response: { 200: object({ vehicles }), ...errors(401) },
      },
    },
    async (request) => {
      const { user } = requireAuth(request);
      return { vehicles: (await listOwnerVehicles(ctx, user.city, user.id)).map(vehicleJson) };
    },
  );

  app.delete<{ Params: VehicleParams }>(
    "/cities/:city/vehicles/:id",
    {
      config: { cityFrom: "params" },
      schema: {
        tags,
        summary: "Take one's vehicle off the platform (status becomes `removed`)",
        security: bearer,
        params: vehicleParams,
        response: { 204: noContent, ...errors(401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const { user } = requireAuth(request);
      await removeVehicle(ctx, {
        city: request.params.city,
        vehicleId: request.params.id,
        requesterCity: user.city,
        requesterId: user.id,
      });
      return reply.status(204).send();
    },
  );
}
