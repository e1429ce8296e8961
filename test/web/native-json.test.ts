// Routes answered with JSON.stringify (src/web/api/serialize.ts nativeJson) must write exactly the
// bytes their response schema's serializer (fast-json-stringify, Fastify's default) would: the
// same fields in the same order, nothing the schema leaves out. Each answer below is serialized
// again by a bare Fastify route with the same schema and compared byte for byte; every such route
// of the app must be among them.
import { randomUUID } from "node:crypto";
import Fastify, { type FastifyInstance, type LightMyRequestResponse } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.ts";
import type { Database } from "../../src/db/database.ts";
import { createPromoCode } from "../../src/promo-codes/promo-code.service.ts";
import { NATIVE_JSON_SCHEMAS } from "../../src/web/api/serialize.ts";
import { buildApp } from "../../src/web/app.ts";
import { apiAccount } from "../support/api-account.ts";
import { dropServerDatabases, openMigrated, testContext, TARGETS } from "../support/databases.ts";

afterAll(dropServerDatabases);

const API = "/api/v1";

/** What Fastify's own schema serializer writes for `body` under `schema` with `status`. */
async function schemaBytes(schema: unknown, status: number, body: unknown): Promise<string> {
  const reference = Fastify();
  reference.post("/", { schema: { response: { [status]: schema } } }, async (_request, reply) =>
    reply.status(status).send(body),
  );
  try {
    return (await reference.inject({ method: "POST", url: "/" })).body;
  } finally {
    await reference.close();
  }
}

describe.each(TARGETS)("JSON.stringify answers on $name", (target) => {
  let database: Database;
  let app: FastifyInstance;
  const checked = new Set<string>();

  beforeAll(async () => {
    database = await openMigrated(target);
    const config = loadConfig({ SESSION_SECRET: "x".repeat(40), LOGIN_RATE_LIMIT_PER_MINUTE: "10000" });
    app = await buildApp({ config, ctx: testContext(database), logger: false });
  });
  afterAll(async () => {
    await app?.close();
    await database?.close();
  });

  /** An answer of the route `METHOD pattern`, compared with the schema serializer's bytes. */
  async function expectSameBytes(method: string, pattern: string, res: LightMyRequestResponse) {
    const key = `${method} ${API}${pattern} ${res.statusCode}`;
    const schema = NATIVE_JSON_SCHEMAS.get(key);
    expect(schema, `${key}: ${res.body}`).toBeDefined();
    expect(res.body).toBe(await schemaBytes(schema, res.statusCode, JSON.parse(res.body)));
    checked.add(key);
    return res;
  }

  /** GETs `url` (matching the route `pattern`) and compares its bytes with the schema serializer's. */
  async function expectSchemaBytes(pattern: string, url: string, headers: Record<string, string> = {}) {
    return expectSameBytes("GET", pattern, await app.inject({ method: "GET", url: API + url, headers }));
  }

  /** POSTs `payload` to `url` (matching `pattern`); its status must be `status`. */
  async function expectPostBytes(
    pattern: string,
    url: string,
    status: number,
    payload: Record<string, unknown>,
    headers: Record<string, string> = {},
  ) {
    const res = await app.inject({ method: "POST", url: API + url, headers, payload });
    expect(res.statusCode, res.body).toBe(status);
    return expectSameBytes("POST", pattern, res);
  }

  it("writes the schema serializer's bytes for every route that uses it, errors included", async () => {
    const owner = await apiAccount(app, { city: "boston" });
    const rider = await apiAccount(app, { city: "boston" });
    const vehicleIds: string[] = [];
    for (const extra of [{ brand: 'Bianchi "Celeste" \u00e9 \\ \u2028' }, {}, { brand: "Vespa" }]) {
      const res = await app.inject({
        method: "POST",
        url: `${API}/vehicles`,
        headers: owner.headers,
        payload: { type: "scooter", location: "1 Main St “back”", color: "blue", ...extra },
      });
      expect(res.statusCode, res.body).toBe(201);
      vehicleIds.push((res.json() as { vehicle: { id: string } }).vehicle.id);
    }
    // Starting and ending a ride, and their refusals (validation details, conflicts, no session).
    const start = "/rides";
    const bostonRide = { city: "boston", vehicleId: vehicleIds[0] };
    await expectPostBytes(start, start, 401, bostonRide);
    await expectPostBytes(start, start, 400, { city: "boston", vehicleId: "nope" }, rider.headers);
    await expectPostBytes(start, start, 404, { ...bostonRide, vehicleId: randomUUID() }, rider.headers);
    const started = await expectPostBytes(start, start, 201, bostonRide, rider.headers);
    await expectPostBytes(start, start, 409, { ...bostonRide, vehicleId: vehicleIds[1] }, rider.headers);
    const rideId = (started.json() as { ride: { id: string } }).ride.id;
    const end = "/cities/:city/rides/:id/end";
    const endAt = { location: "2 Main St “back” \u00e9 \\ \u2028" };
    await expectPostBytes(end, `/cities/boston/rides/${randomUUID()}/end`, 404, endAt, rider.headers);
    await expectPostBytes(end, `/cities/boston/rides/${rideId}/end`, 403, endAt, owner.headers);
    await expectPostBytes(end, `/cities/boston/rides/${rideId}/end`, 400, { location: "" }, rider.headers);
    await expectPostBytes(end, `/cities/boston/rides/${rideId}/end`, 200, endAt, rider.headers);
    await expectPostBytes(end, `/cities/boston/rides/${rideId}/end`, 409, endAt, rider.headers);
    await createPromoCode(testContext(database), {
      code: "NATIVE_10",
      discountPercent: 10,
      expiresAt: new Date(Date.now() + 86_400_000),
    });
    const applied = await app.inject({
      method: "POST",
      url: `${API}/me/promo-codes`,
      headers: rider.headers,
      payload: { code: "NATIVE_10" },
    });
    expect(applied.statusCode, applied.body).toBe(201);

    const list = "/cities/:city/vehicles";
    const first = await expectSchemaBytes(list, "/cities/boston/vehicles?limit=2");
    const { next } = first.json() as { next: string | null };
    expect(next).not.toBeNull();
    await expectSchemaBytes(list, `/cities/boston/vehicles?limit=2&after=${next}`);
    await expectSchemaBytes(list, "/cities/boston/vehicles?status=flying");
    await expectSchemaBytes(list, "/cities/boston/vehicles?after=garbage");
    const one = "/cities/:city/vehicles/:id";
    await expectSchemaBytes(one, `/cities/boston/vehicles/${vehicleIds[0]}`);
    await expectSchemaBytes(one, "/cities/boston/vehicles/00000000-0000-4000-8000-000000000000");
    await expectSchemaBytes("/me/vehicles", "/me/vehicles", owner.headers);
    await expectSchemaBytes("/me/vehicles", "/me/vehicles");
    await expectSchemaBytes("/me/rides", "/me/rides", rider.headers);
    await expectSchemaBytes("/me/rides", "/me/rides?limit=0", rider.headers);
    await expectSchemaBytes("/promo-codes", "/promo-codes");
    await expectSchemaBytes("/me/promo-codes", "/me/promo-codes", rider.headers);

    const successes = [...NATIVE_JSON_SCHEMAS.keys()].filter((k) => /^(GET|POST) \S+ 2\d\d$/.test(k));
    expect(successes.length).toBeGreaterThan(0);
    for (const key of successes) expect(checked, `${key} was not checked`).toContain(key);
  });
});
