import type { ConfigIssue, DeploymentConfigV1, RenderResponse } from "@rouse/config";
import type { EnginePluginV1 } from "@rouse/engine-spec";
import { CodegenError, type CodegenWarning, generateApp } from "@rouse/codegen";
import { installedEngines } from "@rouse/runtime";

/** Turns a validated deployment config into the Modal app source. */
export interface Renderer {
  render(config: DeploymentConfigV1): Promise<RenderResponse>;
}

/** Raised when no renderer is available (→ 501). */
export class RendererUnavailableError extends Error {
  override readonly name = "RendererUnavailableError";
}

/** The config is valid but cannot become an app (→ 422 with issues). */
export class RenderRefusedError extends Error {
  override readonly name = "RenderRefusedError";
  readonly issues: readonly ConfigIssue[];
  constructor(message: string, issues: readonly ConfigIssue[]) {
    super(message);
    this.issues = issues;
  }
}

function fromWarning(w: CodegenWarning): RenderResponse["warnings"][number] {
  return {
    severity: "warning",
    code: w.code,
    path: w.field === "" ? [] : w.field.split("."),
    message: w.source === "config" ? w.message : `${w.message} (${w.source})`,
    ...(w.fix ? { fix: w.fix } : {}),
  };
}

/**
 * The renderer backed by `@rouse/codegen` with the built-in engine plugins (vLLM,
 * SGLang): the same app.py that `rouse render` writes.
 */
export function codegenRenderer(plugins: readonly EnginePluginV1[] = installedEngines): Renderer {
  return {
    async render(config) {
      const plugin = plugins.find((p) => p.engine === config.engine.kind);
      if (!plugin)
        throw new RendererUnavailableError(`no engine plugin for engine.kind '${config.engine.kind}'`);
      try {
        const app = generateApp(config, plugin);
        return { fileName: app.fileName, source: app.source, warnings: app.warnings.map(fromWarning) };
      } catch (err) {
        if (err instanceof CodegenError) throw new RenderRefusedError(err.message, err.issues);
        throw err;
      }
    },
  };
}
