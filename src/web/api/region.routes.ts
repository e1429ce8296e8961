// Regions and their cities come from configuration (MOVR_REGIONS), not from the database.
import type { FastifyInstance } from "fastify";
import type { RouteOptions } from "./api.routes.ts";
import { errors, object } from "./schemas.ts";

export async function regionRoutes(app: FastifyInstance, { config }: RouteOptions): Promise<void> {
  const regions = config.regions.map((r) => ({ name: r.name, cities: [...r.cities] }));
  app.get(
    "/regions",
    {
      schema: {
        tags: ["fleet"],
        summary: "The regions and the cities each serves",
        response: {
          200: object({
            regions: {
              type: "array",
              items: object({
                name: { type: "string" },
                cities: { type: "array", items: { type: "string" } },
              }),
            },
          }),
          ...errors(),
        },
      },
    },
    async () => ({ regions }),
  );
}
