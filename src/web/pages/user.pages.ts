// My profile: who I am, my vehicles (with "remove"), my promo codes, and deleting my account; and
// the riders of a city, by name.
import type { FastifyInstance } from "fastify";
import { listUserPromoCodes } from "../../promo-codes/promo-code.service.ts";
import { DomainError } from "../../shared/errors.ts";
import { deactivateUser, listUserNamesInCity } from "../../users/user.service.ts";
import { listOwnerVehicles } from "../../vehicles/vehicle.service.ts";
import { requireAuth, SESSION_COOKIE } from "../auth.plugin.ts";
import { act } from "./page.action.ts";
import { currentCity, regionLabel } from "./page.city.ts";
import { clearCookie } from "./page.cookies.ts";
import { HIDDEN, type PageDeps } from "./page.deps.ts";
import { formFields, queryFields, withQuery } from "./page.form.ts";
import { statusLabel, titleCase, vehicleName } from "./page.format.ts";
import { renderPage } from "./page.view.ts";

export async function userPages(app: FastifyInstance, { config, ctx, eta }: PageDeps): Promise<void> {
  app.get("/profile", { schema: HIDDEN }, async (request, reply) => {
    const { user } = requireAuth(request);
    const [vehicles, codes] = await Promise.all([
      listOwnerVehicles(ctx, user.city, user.id),
      listUserPromoCodes(ctx, user.city, user.id),
    ]);
    return renderPage(
      eta,
      config,
      request,
      reply,
      "profile",
      { title: "My profile", section: "profile" },
      {
        me: {
          name: user.name ?? "—",
          username: user.username ?? "—",
          email: user.email ?? "—",
          homeCity: titleCase(user.city),
          homeRegion: regionLabel(config, user.city),
        },
        vehicles: vehicles.map((v) => ({
          id: v.id,
          name: vehicleName(v),
          location: v.location ?? "—",
          status: v.status ?? "unknown",
          statusLabel: statusLabel(v.status),
          removable: v.status !== "in_use",
        })),
        codes: codes.map((c) => ({
          code: c.code,
          discount: c.discountPercent === null ? "—" : `${c.discountPercent}%`,
          uses: c.usageCount,
        })),
      },
    );
  });

  // The Flask app's "users in my city": who else rides here, by name and nothing more.
  app.get("/users", { schema: HIDDEN }, async (request, reply) => {
    const { user } = requireAuth(request);
    const q = queryFields(request);
    const city = currentCity(request, reply, config, user, q("city"));
    const page = await listUserNamesInCity(ctx, { city, limit: 50, after: q("after") || undefined });
    return renderPage(
      eta,
      config,
      request,
      reply,
      "users",
      { title: `Riders in ${titleCase(city)}`, section: "users", city },
      {
        names: page.names,
        next: page.next ? withQuery("/users", { city, after: page.next }) : null,
        firstPage: !q("after"),
      },
    );
  });

  app.post("/profile/delete", { schema: HIDDEN }, async (request, reply) => {
    const { user } = requireAuth(request);
    const confirmed = formFields(request)("confirm") === "yes";
    return act(request, reply, config, { to: "/profile" }, async () => {
      if (!confirmed) {
        throw new DomainError(
          "invalid_request",
          "Tick the box to confirm that you want to delete your account.",
        );
      }
      // Revokes every session of this user, this browser's included.
      await deactivateUser(ctx, user.city, user.id);
      clearCookie(reply, request, config, SESSION_COOKIE);
      return {
        to: "/login",
        text: "Your account has been deleted. Your ride history is kept for the records.",
      };
    });
  });
}
