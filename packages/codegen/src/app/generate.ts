import { type DeploymentConfigV1, resolveEnginePlugin } from "@rouse/config";
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
import type { CodegenWarning } from "./errors.ts";
import { type AppPlan, planApp } from "./plan.ts";

export interface GeneratedApp {
  /** The whole app.py, deterministic: the same config and plugin give the same bytes. */
  readonly source: string;
  readonly fileName: "app.py";
  /** Codegen's own warnings about the app; the config's are validation's (validateDeployment). */
  readonly warnings: readonly CodegenWarning[];
  /** What the source was made from (for `--explain`-style output and tests). */
  readonly plan: AppPlan;
}

/**
 * A validated config + its engine plugin → a self-contained Python Modal app.
 *
 * The config must have passed `validateDeployment` with this plugin: the rules (the
 * config's and the plugin's check) run there, once, and not again here. Callers go
 * through `renderApp` of @rouse/engines, which holds the installed plugins.
 * Throws EnginePluginContractError when the plugin answers outside the v1 contract.
 */
export function generateApp(config: DeploymentConfigV1, plugin: EnginePluginV1): GeneratedApp {
  const engine = resolveEnginePlugin(plugin);
  if (engine.engine !== config.engine.kind) {
    throw new Error(`engine.kind is '${config.engine.kind}', but the plugin given is for '${engine.engine}'`);
  }
  const { plan, overriddenEnv, unusedCaches } = planApp(config, engine);

  const warnings = codegenWarnings(plan, overriddenEnv, unusedCaches);

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
