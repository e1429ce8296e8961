// Vehicles of the current city (filters, paging, "start ride"), and adding or removing one's own.
import type { FastifyInstance } from "fastify";
import { getActiveRide } from "../../rides/ride.service.ts";
import { DomainError } from "../../shared/errors.ts";
import { addVehicle, listVehicles, removeVehicle, VEHICLE_CHOICES } from "../../vehicles/vehicle.service.ts";
import { requireAuth } from "../auth.plugin.ts";
import { act } from "./page.action.ts";
import { currentCity } from "./page.city.ts";
import { HIDDEN, type PageDeps } from "./page.deps.ts";
import { formFields, queryFields, withQuery } from "./page.form.ts";
import { statusLabel, titleCase, vehicleName } from "./page.format.ts";
import { renderPage } from "./page.view.ts";

/** `all` is the explicit "any status"; no status at all means the ones a rider can take. */
const STATUS_FILTERS = [...VEHICLE_CHOICES.statuses, "all"] as const;

export async function vehiclePages(app: FastifyInstance, { config, ctx, eta }: PageDeps): Promise<void> {
  app.get("/vehicles", { schema: HIDDEN }, async (request, reply) => {
    const { user } = requireAuth(request);
    const q = queryFields(request);
    const city = currentCity(request, reply, config, user, q("city"));
    const type = q("type");
    const status = q("status") || "available";
    if (!(STATUS_FILTERS as readonly string[]).includes(status)) {
      throw new DomainError("invalid_request", `There is no vehicle status "${status.slice(0, 40)}".`);
    }
    const [page, active] = await Promise.all([
      listVehicles(ctx, {
        city,
        type: type || undefined,
        status: status === "all" ? undefined : status,
        after: q("after") || undefined,
      }),
      getActiveRide(ctx, user.city, user.id),
    ]);
    const canRide = city === user.city && !active;
    return renderPage(
      eta,
      config,
      request,
      reply,
      "vehicles",
      { title: `Vehicles in ${titleCase(city)}`, section: "vehicles", city },
      {
        vehicles: page.vehicles.map((v) => ({
          id: v.id,
          name: vehicleName(v),
          color: v.color ?? "none",
          location: v.location ?? "—",
          status: v.status ?? "unknown",
          statusLabel: statusLabel(v.status),
          mine: v.ownerId === user.id && v.city === user.city,
          rideable: canRide && v.status === "available",
        })),
        next: page.next ? withQuery("/vehicles", { city, type, status, after: page.next }) : null,
        filters: { type, status },
        types: VEHICLE_CHOICES.types,
        statuses: STATUS_FILTERS.map((s) => ({
          value: s,
          label: s === "all" ? "Any status" : statusLabel(s),
        })),
        homeCity: user.city,
        homeCityLabel: titleCase(user.city),
        activeRide: active ? { id: active.id } : null,
        inHomeCity: city === user.city,
      },
    );
  });

  app.get("/vehicles/new", { schema: HIDDEN }, async (request, reply) => {
    const { user } = requireAuth(request);
    return renderPage(
      eta,
      config,
      request,
      reply,
      "vehicle-new",
      { title: "Add a vehicle", section: "add", form: { type: "bike", color: "red" } },
      {
        types: VEHICLE_CHOICES.types,
        colors: VEHICLE_CHOICES.colors,
        homeCityLabel: titleCase(user.city),
      },
    );
  });

  app.post("/vehicles", { schema: HIDDEN }, async (request, reply) => {
    const { user } = requireAuth(request);
    const f = formFields(request);
    const input = { type: f("type"), color: f("color"), brand: f("brand"), location: f("location") };
    return act(request, reply, config, { to: "/vehicles/new", keep: input }, async () => {
      // A vehicle always joins its owner's home city: the form has no city to tamper with.
      const v = await addVehicle(ctx, { ownerCity: user.city, ownerId: user.id, ...input });
      return { to: "/profile", text: `${vehicleName(v)} added in ${titleCase(v.city)}.` };
    });
  });

  app.post<{ Params: { id: string } }>("/vehicles/:id/remove", { schema: HIDDEN }, async (request, reply) => {
    const { user } = requireAuth(request);
    return act(request, reply, config, { to: "/profile" }, async () => {
      await removeVehicle(ctx, {
        city: user.city,
        vehicleId: request.params.id,
        requesterCity: user.city,
        requesterId: user.id,
      });
      return { to: "/profile", text: "The vehicle is off MovR now." };
    });
  });
}
