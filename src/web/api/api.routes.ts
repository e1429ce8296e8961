import type { FastifyInstance } from "fastify";
import type { AuthContext } from "../../auth/auth.service.ts";
import type { AppConfig } from "../../config.ts";

export interface RouteOptions {
  config: AppConfig;
  ctx: AuthContext;
}

/** The JSON API of shared/spec/api.md, one file per feature. */
export async function apiRoutes(_app: FastifyInstance, _opts: RouteOptions): Promise<void> {}
