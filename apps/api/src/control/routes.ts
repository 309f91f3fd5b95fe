import {
  presets,
  type presetsResponseSchema,
  type UpstreamStatus,
  type upstreamsResponseSchema,
  type ValidateResponse,
} from "@rouse/config";
import { validateConfig } from "@rouse/engines";
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { z } from "zod";
import { GatewayError } from "../errors.ts";
import type { RequestRecord } from "../middleware/access-log/index.ts";
import type { Router } from "../router/router.ts";
import { type ControlAnswer, fromValidateBody, renderValidated } from "./control-ops.ts";
import type { ControlRunner } from "./control-runner.ts";
import type { Renderer } from "./renderer.ts";

export interface ControlDeps {
  readonly router: Router;
  /** Runs validate (and render with the built-in renderer) in a worker under a time budget. */
  readonly runner: ControlRunner;
  /** A custom renderer runs here, on the config the worker validated; absent: the worker renders with renderApp (@rouse/engines). */
  readonly renderer?: Renderer;
  /** Body limit of validate/render. */
  readonly maxBodyBytes: number;
}

type PresetsResponse = z.infer<typeof presetsResponseSchema>;
type UpstreamsResponse = z.infer<typeof upstreamsResponseSchema>;
type ControlEnv = { Variables: { record: RequestRecord } };
function presetSummaries(): PresetsResponse {
  return {
    presets: presets.map((p) => {
      const v = validateConfig(p.config);
      const c = v.ok ? v.config : undefined;
      return {
        name: p.name,
        description: p.description,
        ...(p.seed ? { seed: p.seed } : {}),
        engine:
          c?.engine.kind ?? String((p.config as { engine?: { kind?: string } }).engine?.kind ?? "unknown"),
        gpu: c?.resources.gpu ?? "unknown",
        snapshot: c?.snapshot.enabled ?? false,
      };
    }),
  };
}

export function upstreamStatuses(router: Router): UpstreamsResponse {
  return {
    upstreams: router.upstreams.map(
      (m): UpstreamStatus => ({
        name: m.name,
        url: m.upstream.url,
        models: [...m.upstream.models],
        state: m.state,
        ...(m.latencyMs !== undefined ? { latencyMs: Math.round(m.latencyMs * 100) / 100 } : {}),
        ...(m.checkedAt !== undefined ? { checkedAt: new Date(m.checkedAt).toISOString() } : {}),
        ...(m.detail !== undefined ? { detail: m.detail } : {}),
      }),
    ),
  };
}

/**
 * The control API, mounted at `/api/v1`. Payload shapes come from `@rouse/config`
 * (the same zod schemas generate `/openapi.json`). Expects `c.var.body` from the
 * body-limit middleware on POST routes.
 */
export function controlRoutes(deps: ControlDeps): Hono<ControlEnv> {
  const api = new Hono<ControlEnv>();

  // Control bodies have their own (smaller) limit: hono's body-limit, with an OpenAI-style 413.
  const limit = bodyLimit({
    maxSize: deps.maxBodyBytes,
    onError: () => {
      throw new GatewayError(
        413,
        "invalid_request_error",
        `Request body is larger than the control API's limit of ${deps.maxBodyBytes} bytes`,
        { code: "request_too_large" },
      );
    },
  });
  const answer = (a: ControlAnswer) =>
    new Response(JSON.stringify(a.body), {
      status: a.status as ContentfulStatusCode,
      headers: { "content-type": "application/json" },
    });

  api.post("/validate", limit, async (c) => {
    c.var.record.route = "/api/v1/validate";
    return answer(await deps.runner.run("validate", await c.req.text()));
  });

  api.post("/render", limit, async (c) => {
    c.var.record.route = "/api/v1/render";
    const text = await c.req.text();
    if (!deps.renderer) return answer(await deps.runner.run("render", text));
    const validated = await deps.runner.run("validate", text);
    if (validated.status !== 200) return answer(validated);
    return answer(await renderValidated(fromValidateBody(validated.body as ValidateResponse), deps.renderer));
  });

  api.get("/presets", (c) => {
    c.var.record.route = "/api/v1/presets";
    return c.json(presetSummaries());
  });

  api.get("/upstreams", async (c) => {
    c.var.record.route = "/api/v1/upstreams";
    if (c.req.query("probe") === "true") {
      await Promise.all(deps.router.upstreams.map((u) => u.probe().catch(() => {})));
    }
    return c.json(upstreamStatuses(deps.router));
  });

  return api;
}
