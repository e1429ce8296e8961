// The API's validators are compiled by Ajv when their route first validates a request
// (src/web/api/validator.ts), not when the server starts. This sends every documented route one
// request that reaches each of its schemas (valid path parameters, then an empty body or no
// query), so a schema Ajv cannot compile fails here instead of answering 500 to a first request.
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { useTestApp } from "../support/test-app.ts";

const t = useTestApp();

describe("the API's schemas", () => {
  it("all compile: every route validates a request without a server error", async () => {
    await t.app.ready();
    const doc = t.app.swagger() as { paths: Record<string, Record<string, { requestBody?: unknown }>> };
    const routes = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, operation]) => ({ path, method, operation })),
    );
    expect(routes.length).toBeGreaterThan(15);
    for (const { path, method, operation } of routes) {
      // Path parameters that pass (params are validated first): a city and a uuid.
      const url = path.replace(/\{(\w+)\}/g, (_, name: string) =>
        name === "city" ? "boston" : randomUUID(),
      );
      const res = await t.app.inject({
        method: method.toUpperCase() as "GET",
        url,
        ...(operation.requestBody ? { payload: {} } : {}),
      });
      expect(res.statusCode, `${method} ${url}: ${res.body}`).toBeLessThan(500);
    }
  });
});
