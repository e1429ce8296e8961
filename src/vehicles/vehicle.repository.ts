import { and, asc, eq, exists, getTableColumns, gt, isNull, ne, or, sql } from "drizzle-orm";
import { ascNullsFirst } from "../db/order.ts";
import { firstAfterPivot } from "../db/pick.ts";
import { preparedQuery, preparedRead } from "../db/prepared.ts";
import type { Tx } from "../db/transaction.ts";
import { rides } from "../rides/ride.table.ts";
import { vehicles, type VehicleRow, type VehicleStatus, type VehicleType } from "./vehicle.table.ts";

const P = sql.placeholder;

const insertVehicleStatement = preparedQuery("insert_vehicle", (db) =>
  db
    .insert(vehicles)
    .values({
      id: P("id"),
      city: P("city"),
      type: P("type"),
      ownerId: P("ownerId"),
      // Raw placeholders: Drizzle's encoding of these columns cannot take a NULL.
      creationTime: sql`${P("creationTime")}`,
      status: P("status"),
      currentLocation: P("currentLocation"),
      ext: sql`${P("ext")}`,
    })
    .returning(),
);

export async function insertVehicle(tx: Tx, row: typeof vehicles.$inferInsert): Promise<VehicleRow> {
  const [inserted] = await insertVehicleStatement(tx).execute({
    id: row.id,
    city: row.city,
    type: row.type ?? null,
    ownerId: row.ownerId ?? null,
    creationTime: row.creationTime?.toISOString() ?? null,
    status: row.status ?? null,
    currentLocation: row.currentLocation ?? null,
    ext: row.ext == null ? null : JSON.stringify(row.ext),
  });
  return inserted!;
}

const vehicleStatement = preparedQuery("vehicle", (db) =>
  db
    .select()
    .from(vehicles)
    .where(and(eq(vehicles.city, P("city")), eq(vehicles.id, P("id")))),
);

export async function findVehicle(tx: Tx, city: string, id: string): Promise<VehicleRow | undefined> {
  const [row] = await vehicleStatement(tx).execute({ city, id });
  return row;
}

export interface VehicleFilter {
  city: string;
  status?: VehicleStatus | undefined;
  type?: VehicleType | undefined;
  afterId?: string | undefined;
  limit: number;
}

const VEHICLE_COLUMNS = getTableColumns(vehicles);

/**
 * listVehicles' statement for one combination of filters (eight at most), each prepared once.
 * The hottest read of the API (GET a city's vehicles): its rows skip Drizzle's mapping (ADR 020).
 */
const vehiclePages = new Map<string, ReturnType<typeof vehiclePage>>();
function vehiclePage(status: boolean, type: boolean, after: boolean) {
  return preparedRead(
    `vehicles_${Number(status)}${Number(type)}${Number(after)}`,
    VEHICLE_COLUMNS,
    (db, columns) =>
      db
        .select(columns)
        .from(vehicles)
        .where(
          and(
            eq(vehicles.city, P("city")),
            status ? eq(vehicles.status, P("status")) : undefined,
            type ? eq(vehicles.type, P("type")) : undefined,
            after ? gt(vehicles.id, P("afterId")) : undefined,
          ),
        )
        .orderBy(asc(vehicles.id))
        .limit(P("limit")),
  );
}

/** One page of a city's vehicles in primary-key order: the keyset cursor is the last id. */
export async function listVehicles(tx: Tx, f: VehicleFilter): Promise<VehicleRow[]> {
  const shape = `${f.status ? 1 : 0}${f.type ? 1 : 0}${f.afterId ? 1 : 0}`;
  let page = vehiclePages.get(shape);
  if (!page) {
    page = vehiclePage(Boolean(f.status), Boolean(f.type), Boolean(f.afterId));
    vehiclePages.set(shape, page);
  }
  return page(tx, {
    city: f.city,
    status: f.status ?? null,
    type: f.type ?? null,
    afterId: f.afterId ?? null,
    limit: f.limit,
  });
}

export async function listVehiclesOfOwner(tx: Tx, city: string, ownerId: string): Promise<VehicleRow[]> {
  return tx
    .select()
    .from(vehicles)
    .where(and(eq(vehicles.city, city), eq(vehicles.ownerId, ownerId), ne(vehicles.status, "removed")))
    .orderBy(ascNullsFirst(vehicles.creationTime), asc(vehicles.id));
}

/** Status changes only from `from`; returns the changed vehicle, or undefined when it was not in that state. */
export async function changeVehicleStatus(
  tx: Tx,
  city: string,
  id: string,
  from: VehicleStatus,
  to: VehicleStatus,
  location?: string,
): Promise<{ currentLocation: string | null } | undefined> {
  const [changed] = await tx
    .update(vehicles)
    .set({ status: to, ...(location === undefined ? {} : { currentLocation: location }) })
    .where(and(eq(vehicles.city, city), eq(vehicles.id, id), eq(vehicles.status, from)))
    .returning({ currentLocation: vehicles.currentLocation });
  return changed;
}

/**
 * One of the owner's vehicles that is in a ride (status `in_use`, or named by an active ride),
 * or undefined. Read in the transaction that would remove them: under SERIALIZABLE a ride
 * starting concurrently on one of them makes one of the two transactions retry (40001).
 */
export async function findOwnedVehicleInRide(
  tx: Tx,
  city: string,
  ownerId: string,
): Promise<string | undefined> {
  const [row] = await tx
    .select({ id: vehicles.id })
    .from(vehicles)
    .where(
      and(
        eq(vehicles.city, city),
        eq(vehicles.ownerId, ownerId),
        or(
          eq(vehicles.status, "in_use"),
          exists(
            tx
              .select({ one: sql`1` })
              .from(rides)
              .where(
                and(
                  eq(rides.vehicleCity, vehicles.city),
                  eq(rides.vehicleId, vehicles.id),
                  isNull(rides.endTime),
                ),
              ),
          ),
        ),
      ),
    )
    .limit(1);
  return row?.id;
}

/** Takes the owner's vehicles off the platform; never one in a ride (its status stays `in_use`). */
export async function removeAllVehiclesOfOwner(tx: Tx, city: string, ownerId: string): Promise<void> {
  await tx
    .update(vehicles)
    .set({ status: "removed" })
    .where(
      and(
        eq(vehicles.city, city),
        eq(vehicles.ownerId, ownerId),
        ne(vehicles.status, "removed"),
        ne(vehicles.status, "in_use"),
      ),
    );
}

const pickAvailableStatement = preparedQuery("pick_available_vehicle", (db) =>
  firstAfterPivot(
    db,
    vehicles,
    vehicles.id,
    and(eq(vehicles.city, P("city")), eq(vehicles.status, "available")),
    P("pivot"),
  ),
);

export async function pickAvailableVehicleId(
  tx: Tx,
  city: string,
  pivot: string,
): Promise<string | undefined> {
  const [row] = await pickAvailableStatement(tx).execute({ city, pivot });
  return row?.key as string | undefined;
}
