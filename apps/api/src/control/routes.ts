import {
  type ConfigIssue,
  type ConfigSource,
  configSourceSchema,
  type DeploymentConfigV1,
  findPreset,
  loadDeploymentText,
  presets,
  type presetsResponseSchema,
  type UpstreamStatus,
  type upstreamsResponseSchema,
  type ValidateResponse,
  validateDeployment,
} from "@rouse/config";
import { Hono } from "hono";
import type { z } from "zod";
import { GatewayError } from "../errors.ts";
import type { RequestRecord } from "../middleware/access-log/index.ts";
import type { Router } from "../router/router.ts";
import { type Renderer, RenderRefusedError, RendererUnavailableError } from "./renderer.ts";

export interface ControlDeps {
  readonly router: Router;
  readonly renderer: Renderer;
}

type PresetsResponse = z.infer<typeof presetsResponseSchema>;
type UpstreamsResponse = z.infer<typeof upstreamsResponseSchema>;
type ControlEnv = { Variables: { record: RequestRecord; body: Buffer } };

function parseSource(body: Buffer): ConfigSource {
  let json: unknown;
  try {
    json = JSON.parse(body.toString("utf8"));
  } catch {
    throw new GatewayError(400, "invalid_request_error", "The request body is not valid JSON", {
      code: "invalid_json",
    });
  }
  const parsed = configSourceSchema.safeParse(json);
  if (!parsed.success) {
    throw new GatewayError(
      400,
      "invalid_request_error",
      "Send one of {config: {...}}, {text: '<rouse.yaml text>'} or {preset: '<name>'}",
      { code: "invalid_config_source" },
    );
  }
  return parsed.data;
}

type Validated =
  | { ok: true; config: DeploymentConfigV1; warnings: readonly ConfigIssue[] }
  | { ok: false; issues: readonly ConfigIssue[] };

function validateSource(source: ConfigSource): Validated {
  if ("text" in source) return loadDeploymentText(source.text);
  if ("preset" in source) {
    const preset = findPreset(source.preset);
    if (!preset) {
      throw new GatewayError(404, "not_found_error", `No preset named '${source.preset}'`, {
        code: "preset_not_found",
        param: "preset",
      });
    }
    return validateDeployment(preset.config);
  }
  return validateDeployment(source.config);
}

const plainIssues = (issues: readonly ConfigIssue[]): ValidateResponse["issues"] =>
  issues.map((i) => ({ ...i, path: [...i.path] }));

function presetSummaries(): PresetsResponse {
  return {
    presets: presets.map((p) => {
      const v = validateDeployment(p.config);
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

  api.post("/validate", (c) => {
    c.var.record.route = "/api/v1/validate";
    const result = validateSource(parseSource(c.var.body));
    const body: ValidateResponse = result.ok
      ? {
          ok: true,
          issues: plainIssues(result.warnings),
          config: result.config as unknown as Record<string, unknown>,
        }
      : { ok: false, issues: plainIssues(result.issues) };
    return c.json(body);
  });

  api.post("/render", async (c) => {
    c.var.record.route = "/api/v1/render";
    const result = validateSource(parseSource(c.var.body));
    if (!result.ok) {
      return c.json(
        {
          error: {
            message: `The config is invalid (${result.issues.filter((i) => i.severity === "error").length} errors); see issues`,
            type: "invalid_request_error",
            code: "invalid_config",
            param: null,
          },
          issues: plainIssues(result.issues),
        },
        422,
      );
    }
    try {
      const rendered = await deps.renderer.render(result.config);
      return c.json({ ...rendered, warnings: [...plainIssues(result.warnings), ...rendered.warnings] });
    } catch (err) {
      if (err instanceof RenderRefusedError) {
        return c.json(
          {
            error: {
              message: err.message,
              type: "invalid_request_error",
              code: "cannot_render",
              param: null,
            },
            issues: plainIssues(err.issues),
          },
          422,
        );
      }
      if (err instanceof RendererUnavailableError) {
        throw new GatewayError(501, "server_error", `Rendering is not available: ${err.message}`, {
          code: "renderer_unavailable",
        });
      }
      throw err;
    }
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
