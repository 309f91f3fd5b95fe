import type { ConfigIssue } from "@rouse/config";
import { findEnginePlugin } from "@rouse/config";
import { type AppPlan, type CodegenWarning, type Endpoint, generateApp } from "@rouse/codegen";
import { installedEngines } from "./installed.ts";
import type { EngineOptions, ValidConfig } from "./validate.ts";

/** A warning about the app: validation's (the config's rules and the plugin's) or codegen's. */
export interface AppWarning extends ConfigIssue {
  readonly severity: "warning";
  readonly source: "config" | "codegen";
}

export interface RenderedApp {
  /** The whole app.py; the same config gives the same bytes. */
  readonly source: string;
  readonly fileName: "app.py";
  /** Where the web endpoint lives (`cls` + method, `function`, or `server`), from the plan. */
  readonly endpoint: Endpoint;
  /** The Modal class serving the engine (cls and server endpoints). */
  readonly className: string;
  /** Every warning about this config and its app, each once: validation's, then codegen's. */
  readonly warnings: readonly AppWarning[];
  /** What the app was made from (ports, image, volumes, argv, lifecycle, recipe). */
  readonly plan: AppPlan;
}

/**
 * A validated config (validateConfig / loadConfigFile / loadConfigText) → its Modal app,
 * generated with the config's engine plugin. The rules ran in validation and do not run
 * again; validation's warnings come back with codegen's, so a caller reports one list.
 */
export function renderApp(valid: ValidConfig, options: EngineOptions = {}): RenderedApp {
  const plugin = findEnginePlugin(options.plugins ?? installedEngines, valid.config.engine.kind);
  const app = generateApp(valid.config, plugin);
  const warnings: AppWarning[] = [
    ...valid.warnings.map((w): AppWarning => ({ ...w, severity: "warning", source: "config" })),
    ...app.warnings.map(fromCodegen),
  ];
  return {
    source: app.source,
    fileName: app.fileName,
    endpoint: app.plan.endpoint,
    className: app.plan.className,
    warnings,
    plan: app.plan,
  };
}

/** Codegen names fields as dotted paths of identifiers (`env.HF_HOME`, `caches.compile`). */
function fromCodegen(w: CodegenWarning): AppWarning {
  return {
    severity: "warning",
    code: w.code,
    path: w.field.split("."),
    message: w.message,
    ...(w.fix ? { fix: w.fix } : {}),
    source: "codegen",
  };
}
