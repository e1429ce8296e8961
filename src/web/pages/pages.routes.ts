import type { FastifyInstance } from "fastify";
import type { RouteOptions } from "../api/api.routes.ts";

/** The server-rendered pages. */
export async function pageRoutes(_app: FastifyInstance, _opts: RouteOptions): Promise<void> {}
