// Promo codes: the unexpired ones (public, paged with `limit` and `after` as every list is), and
// applying one to one's account.
import type { FastifyInstance } from "fastify";
import { applyPromoCode, listPromoCodes, listUserPromoCodes } from "../../promo-codes/promo-code.service.ts";
import { LIMITS } from "../../shared/validation.ts";
import { requireAuth } from "../auth.plugin.ts";
import type { RouteOptions } from "./api.routes.ts";
import {
  appliedPromoCodeSchema,
  cursor,
  errors,
  limit,
  object,
  promoCodeSchema,
  text,
  PROMO_CODE_PATTERN,
} from "./schemas.ts";
import { appliedPromoCodeJson, nativeJson, promoCodeJson } from "./serialize.ts";

const tags = ["promo codes"];
const bearer = [{ bearer: [] }];

export async function promoCodeRoutes(app: FastifyInstance, { ctx }: RouteOptions): Promise<void> {
  app.get<{ Querystring: { limit: number; after?: string } }>(
    "/promo-codes",
    {
      serializerCompiler: nativeJson,
      schema: {
        tags,
        summary: "The unexpired promo codes, in code order, a page at a time",
        querystring: object({ limit, after: cursor }, []),
        response: {
          200: object({
            promoCodes: { type: "array", items: promoCodeSchema },
            next: { type: ["string", "null"] },
          }),
          ...errors(401),
        },
      },
    },
    async (request) => {
      const page = await listPromoCodes(ctx, request.query);
      return { promoCodes: page.promoCodes.map(promoCodeJson), next: page.next };
    },
  );

  app.post<{ Body: { code: string } }>(
    "/me/promo-codes",
    {
      config: { cityFrom: "caller" },
      schema: {
        tags,
        summary: "Apply a promo code to the caller's account (once per code)",
        security: bearer,
        body: object({ code: text(LIMITS.promoCode, { pattern: PROMO_CODE_PATTERN }) }),
        response: {
          201: object({ promoCode: appliedPromoCodeSchema }),
          ...errors(401, 403, 404, 409),
        },
      },
    },
    async (request, reply) => {
      const { user } = requireAuth(request);
      const applied = await applyPromoCode(ctx, {
        city: user.city,
        userId: user.id,
        code: request.body.code,
      });
      return reply.status(201).send({ promoCode: appliedPromoCodeJson(applied) });
    },
  );

  app.get(
    "/me/promo-codes",
    {
      config: { cityFrom: "caller" },
      serializerCompiler: nativeJson,
      schema: {
        tags,
        summary: "The promo codes applied to the caller's account",
        security: bearer,
        response: {
          200: object({ promoCodes: { type: "array", items: appliedPromoCodeSchema } }),
          ...errors(401),
        },
      },
    },
    async (request) => {
      const { user } = requireAuth(request);
      return { promoCodes: (await listUserPromoCodes(ctx, user.city, user.id)).map(appliedPromoCodeJson) };
    },
  );
}
