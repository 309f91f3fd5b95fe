import type { ConfigIssue, DeploymentConfigV1, RenderResponse } from "@thaw/config";

/** Turns a validated deployment config into the Modal app source. */
export interface Renderer {
  render(config: DeploymentConfigV1): Promise<RenderResponse>;
}

/** Raised when no renderer is available (→ 501). */
export class RendererUnavailableError extends Error {
  override readonly name = "RendererUnavailableError";
}

function toIssue(w: unknown): RenderResponse["warnings"][number] {
  const i = w as Partial<ConfigIssue> & { message?: string };
  return {
    severity: i.severity === "error" ? "error" : "warning",
    code: typeof i.code === "string" ? i.code : "warning",
    path: Array.isArray(i.path) ? [...i.path] : [],
    message: typeof i.message === "string" ? i.message : String(w),
    ...(i.fix ? { fix: i.fix } : {}),
  };
}

/**
 * The renderer backed by `@thaw/codegen`'s `renderApp`, loaded on first use so
 * the server starts (and every other route works) even where codegen is absent.
 * Accepts either a string result or `{ fileName?, source, warnings? }`.
 */
export function codegenRenderer(): Renderer {
  let loaded: Promise<((config: DeploymentConfigV1) => unknown) | undefined> | undefined;
  return {
    async render(config) {
      loaded ??= import("@thaw/codegen").then((m) => {
        const fn = (m as Record<string, unknown>).renderApp;
        return typeof fn === "function" ? (fn as (config: DeploymentConfigV1) => unknown) : undefined;
      });
      const renderApp = await loaded;
      if (!renderApp)
        throw new RendererUnavailableError("@thaw/codegen does not export renderApp in this build");
      const out = await renderApp(config);
      if (typeof out === "string") return { fileName: "app.py", source: out, warnings: [] };
      const o = out as { fileName?: unknown; source?: unknown; warnings?: unknown; files?: unknown };
      const source = typeof o.source === "string" ? o.source : undefined;
      if (source === undefined) throw new Error("renderApp returned no source");
      return {
        fileName: typeof o.fileName === "string" ? o.fileName : "app.py",
        source,
        warnings: Array.isArray(o.warnings) ? o.warnings.map(toIssue) : [],
      };
    },
  };
}
