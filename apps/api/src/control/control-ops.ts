import {
  type ConfigIssue,
  type ConfigSource,
  configSourceSchema,
  type DeploymentConfigV1,
  findPreset,
  type ValidateResponse,
} from "@rouse/config";
import { loadConfigText, validateConfig } from "@rouse/engines";
import { GatewayError } from "../errors.ts";
import { type Renderer, RenderRefusedError, RendererUnavailableError } from "./renderer.ts";

// The control API's work (validate, render) as plain functions from the request
// body to a JSON answer, so it can run in a worker thread under a time budget.

/** A JSON answer: status and body. */
export interface ControlAnswer {
  readonly status: number;
  readonly body: unknown;
}

export type ControlOp = "validate" | "render";

function parseSource(text: string): ConfigSource {
  let json: unknown;
  try {
    json = JSON.parse(text);
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

export type Validated =
  | { ok: true; config: DeploymentConfigV1; warnings: readonly ConfigIssue[] }
  | { ok: false; issues: readonly ConfigIssue[] };

// With the installed engine plugins' rules, so validate refuses exactly what render (and
// `rouse generate`) refuses; render takes this result and does not validate again.
function validateSource(source: ConfigSource): Validated {
  if ("text" in source) return loadConfigText(source.text);
  if ("preset" in source) {
    const preset = findPreset(source.preset);
    if (!preset) {
      throw new GatewayError(404, "not_found_error", `No preset named '${source.preset}'`, {
        code: "preset_not_found",
        param: "preset",
      });
    }
    return validateConfig(preset.config);
  }
  return validateConfig(source.config);
}

export const plainIssues = (issues: readonly ConfigIssue[]): ValidateResponse["issues"] =>
  issues.map((i) => ({ ...i, path: [...i.path] }));

/** `POST /api/v1/validate` */
export function validateAnswer(text: string): ControlAnswer {
  const result = validateSource(parseSource(text));
  const body: ValidateResponse = result.ok
    ? {
        ok: true,
        issues: plainIssues(result.warnings),
        config: result.config as unknown as Record<string, unknown>,
      }
    : { ok: false, issues: plainIssues(result.issues) };
  return { status: 200, body };
}

/** `POST /api/v1/render` */
export function renderAnswer(text: string, renderer: Renderer): Promise<ControlAnswer> {
  return renderValidated(validateSource(parseSource(text)), renderer);
}

/** The validate answer's body back as a validation result (to render it elsewhere). */
export function fromValidateBody(body: ValidateResponse): Validated {
  return body.ok
    ? { ok: true, config: body.config as unknown as DeploymentConfigV1, warnings: body.issues }
    : { ok: false, issues: body.issues };
}

/** Renders a validation result: 422 with issues when invalid. */
export async function renderValidated(result: Validated, renderer: Renderer): Promise<ControlAnswer> {
  if (!result.ok) {
    return {
      status: 422,
      body: {
        error: {
          message: `The config is invalid (${result.issues.filter((i) => i.severity === "error").length} errors); see issues`,
          type: "invalid_request_error",
          code: "invalid_config",
          param: null,
        },
        issues: plainIssues(result.issues),
      },
    };
  }
  try {
    return { status: 200, body: await renderer.render(result) };
  } catch (err) {
    if (err instanceof RenderRefusedError) {
      return {
        status: 422,
        body: {
          error: { message: err.message, type: "invalid_request_error", code: "cannot_render", param: null },
          issues: plainIssues(err.issues),
        },
      };
    }
    if (err instanceof RendererUnavailableError) {
      throw new GatewayError(501, "server_error", `Rendering is not available: ${err.message}`, {
        code: "renderer_unavailable",
      });
    }
    throw err;
  }
}

/** Runs one op; a GatewayError becomes its OpenAI-style answer. */
export async function controlAnswer(op: ControlOp, text: string, renderer: Renderer): Promise<ControlAnswer> {
  try {
    return op === "validate" ? validateAnswer(text) : await renderAnswer(text, renderer);
  } catch (err) {
    if (err instanceof GatewayError) return { status: err.status, body: err.toBody() };
    throw err;
  }
}
