import type { ConfigIssue, RenderResponse } from "@rouse/config";
import type { EnginePluginV1 } from "@rouse/engine-spec";
import { type AppWarning, installedEngines, renderApp, type ValidConfig } from "@rouse/engines";

/** Turns a validated deployment config into the Modal app source. */
export interface Renderer {
  /**
   * `valid` carries validation's warnings; the answer lists every warning about the
   * config and its app, each once (validation does not run again here).
   */
  render(valid: ValidConfig): Promise<RenderResponse>;
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

function fromWarning({ source, ...w }: AppWarning): RenderResponse["warnings"][number] {
  return { ...w, path: [...w.path], message: source === "codegen" ? `${w.message} (codegen)` : w.message };
}

/**
 * The renderer backed by `renderApp` of `@rouse/engines` with the installed engine
 * plugins (vLLM, SGLang): the same app.py that `rouse generate` writes.
 */
export function codegenRenderer(plugins: readonly EnginePluginV1[] = installedEngines): Renderer {
  return {
    async render(valid) {
      if (!plugins.some((p) => p.engine === valid.config.engine.kind))
        throw new RendererUnavailableError(`no engine plugin for engine.kind '${valid.config.engine.kind}'`);
      const app = renderApp(valid, { plugins });
      return { fileName: app.fileName, source: app.source, warnings: app.warnings.map(fromWarning) };
    },
  };
}
