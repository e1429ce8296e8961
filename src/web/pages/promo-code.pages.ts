// Promo codes: the ones on offer (a page at a time), the ones I hold, and applying one (once per
// rider).
import type { FastifyInstance } from "fastify";
import { applyPromoCode, listPromoCodes, listUserPromoCodes } from "../../promo-codes/promo-code.service.ts";
import { requireAuth } from "../auth.plugin.ts";
import { act } from "./page.action.ts";
import { HIDDEN, type PageDeps } from "./page.deps.ts";
import { formFields, queryFields, withQuery } from "./page.form.ts";
import { formatTime } from "./page.format.ts";
import { renderPage } from "./page.view.ts";

export async function promoCodePages(app: FastifyInstance, { config, ctx, eta }: PageDeps): Promise<void> {
  app.get("/promo-codes", { schema: HIDDEN }, async (request, reply) => {
    const { user } = requireAuth(request);
    const after = queryFields(request)("after");
    const [offered, mine] = await Promise.all([
      listPromoCodes(ctx, { after: after || undefined }),
      listUserPromoCodes(ctx, user.city, user.id),
    ]);
    const held = new Set(mine.map((c) => c.code));
    const discount = (pct: number | null) => (pct === null ? "—" : `${pct}% off`);
    return renderPage(
      eta,
      config,
      request,
      reply,
      "promo-codes",
      { title: "Promo codes", section: "promo" },
      {
        offered: offered.promoCodes.map((c) => ({
          code: c.code,
          description: c.description ?? "",
          discount: discount(c.discountPercent),
          expires: c.expiresAt ? formatTime(c.expiresAt) : "never",
          held: held.has(c.code),
        })),
        mine: mine.map((c) => ({
          code: c.code,
          discount: discount(c.discountPercent),
          appliedAt: formatTime(c.appliedAt),
          expires: c.expiresAt ? formatTime(c.expiresAt) : "never",
          uses: c.usageCount,
        })),
        next: offered.next ? withQuery("/promo-codes", { after: offered.next }) : null,
        firstPage: !after,
      },
    );
  });

  app.post("/promo-codes/apply", { schema: HIDDEN }, async (request, reply) => {
    const { user } = requireAuth(request);
    const code = formFields(request)("code").trim();
    return act(request, reply, config, { to: "/promo-codes", keep: { code } }, async () => {
      const applied = await applyPromoCode(ctx, { city: user.city, userId: user.id, code });
      const off = applied.discountPercent === null ? "" : `: ${applied.discountPercent}% off your rides`;
      return { to: "/promo-codes", text: `Promo code ${applied.code} applied${off}.` };
    });
  });
}
