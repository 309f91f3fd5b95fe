import { engineApi, type LocalEngines } from "@rouse/runtime";
import { Hono } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { GatewayEnv } from "../gateway.ts";

/**
 * `/api/v1/engines[/<name>[/logs|/start|/scale-to-zero|/restart]]`: the local
 * engines' state, history, stats and logs (see @rouse/runtime `engineApi`).
 */
export function engineRoutes(engines: LocalEngines): Hono<GatewayEnv> {
  const api = new Hono<GatewayEnv>();
  api.all("/*", async (c, next) => {
    const url = new URL(c.req.url);
    const answer = await engineApi(
      engines,
      c.req.method,
      url.pathname.replace(/^.*?\/api\/v1\/engines/, ""),
      url.searchParams,
    );
    if (!answer) return next();
    c.var.record.route = "/api/v1/engines";
    return c.json(answer.body as object, answer.status as ContentfulStatusCode);
  });
  return api;
}
