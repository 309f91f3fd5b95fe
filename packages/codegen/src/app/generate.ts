import { crossFieldIssues, type DeploymentConfigV1, engineIssues, resolveEnginePlugin } from "@rouse/config";
import type { EnginePluginV1 } from "@rouse/engine-spec";
import { PyPrinter } from "../python/printer.ts";
import { codegenWarnings } from "./checks.ts";
import { emitBoot } from "./emit/boot.ts";
import { emitClient } from "./emit/client.ts";
import { emitEngine } from "./emit/engine.ts";
import { emitGuard } from "./emit/guard.ts";
import { emitHeader } from "./emit/header.ts";
import { emitImage } from "./emit/image.ts";
import { emitService } from "./emit/service.ts";
import { emitStorage } from "./emit/storage.ts";
import { CodegenError, type CodegenWarning, warningFromIssue } from "./errors.ts";
import { type AppPlan, planApp } from "./plan.ts";

export interface GenerateOptions {
  /**
   * Tests only: emit even what rouse's rules refuse, so a test can show the Modal SDK
   * refuses it too. Never use it to ship an app.
   */
  readonly unchecked?: boolean;
}

export interface GeneratedApp {
  /** The whole app.py, deterministic: the same config and plugin give the same bytes. */
  readonly source: string;
  readonly fileName: "app.py";
  readonly warnings: readonly CodegenWarning[];
  /** What the source was made from (for `--explain`-style output and tests). */
  readonly plan: AppPlan;
}

/**
 * A validated config + its engine plugin → a self-contained Python Modal app.
 * Throws CodegenError (a ConfigError) for configs the Modal SDK would refuse.
 */
export function generateApp(
  config: DeploymentConfigV1,
  plugin: EnginePluginV1,
  options: GenerateOptions = {},
): GeneratedApp {
  const engine = resolveEnginePlugin(plugin);
  if (engine.engine !== config.engine.kind) {
    throw new Error(`engine.kind is '${config.engine.kind}', but the plugin given is for '${engine.engine}'`);
  }
  // The rules live in validation (@rouse/config + the plugin's check), run by
  // validateDeployment; this guard runs the same rules for callers that skipped it.
  const errors = [...crossFieldIssues(config), ...engineIssues(config, [engine])].filter((i) => i.severity === "error");
  if (errors.length && !options.unchecked) throw new CodegenError(errors);
  const { plan, overriddenEnv, unusedCaches } = planApp(config, engine);

  const warnings: CodegenWarning[] = [
    ...crossFieldIssues(config)
      .filter((i) => i.severity === "warning")
      .map(warningFromIssue),
    ...engine.validate(config).map((w) => ({ ...w, source: "plugin" as const })),
    ...(engine.check?.(config) ?? [])
      .filter((i) => i.severity === "warning")
      .map((i) => ({ ...warningFromIssue(i), source: "plugin" as const })),
    ...codegenWarnings(plan, overriddenEnv, unusedCaches),
  ];

  const p = new PyPrinter();
  emitHeader(p, plan);
  emitStorage(p, plan);
  emitImage(p, plan);
  emitEngine(p, plan);
  emitBoot(p, plan);
  emitGuard(p, plan);
  emitService(p, plan);
  emitClient(p, plan);
  return { source: p.toString(), fileName: "app.py", warnings, plan };
}
