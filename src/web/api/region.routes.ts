// Regions and their cities come from configuration (MOVR_REGIONS), not from the database.
import type { FastifyInstance } from "fastify";
import { currencyOfCity } from "../../cities/region.config.ts";
import type { RouteOptions } from "./api.routes.ts";
import { currency, errors, object } from "./schemas.ts";

export async function regionRoutes(app: FastifyInstance, { config }: RouteOptions): Promise<void> {
  const regions = config.regions.map((r) => ({
    name: r.name,
    cities: [...r.cities],
    currencies: Object.fromEntries(r.cities.map((c) => [c, currencyOfCity(config.regions, c)])),
  }));
  app.get(
    "/regions",
    {
      schema: {
        tags: ["fleet"],
        summary: "The regions, the cities each serves, and each city's currency",
        response: {
          200: object({
            regions: {
              type: "array",
              items: object({
                name: { type: "string" },
                cities: { type: "array", items: { type: "string" } },
                currencies: {
                  type: "object",
                  description: "Each city's currency (ISO 4217): what its fares are counted in.",
                  additionalProperties: currency,
                },
              }),
            },
          }),
          ...errors(401),
        },
      },
    },
    async () => ({ regions }),
  );
}
