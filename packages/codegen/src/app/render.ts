import { ConfigError, deploymentConfigV1Schema, findEnginePlugin, validateDeployment } from "@rouse/config";
import type { EnginePluginV1 } from "@rouse/engine-spec";
import { type GeneratedApp, type GenerateOptions, generateApp } from "./generate.ts";

export interface RenderInput {
  /** Config data as parsed from rouse.yaml (not yet validated). */
  readonly config: unknown;
  /** Installed engine plugins; the one for `engine.kind` is used. */
  readonly plugins: readonly EnginePluginV1[];
  /** Config file name, for error messages. */
  readonly file?: string;
  readonly options?: GenerateOptions;
}

/** Validate the config, pick its engine plugin, generate. Throws ConfigError/CodegenError listing every problem. */
export function renderApp(input: RenderInput): GeneratedApp {
  const result = validateDeployment(input.config, { plugins: input.plugins });
  if (!result.ok) {
    // Tests only (`unchecked`): a config the schema accepts but the rules refuse, emitted
    // anyway so a test can show that Modal refuses the app too.
    const parsed = input.options?.unchecked ? deploymentConfigV1Schema.safeParse(input.config) : undefined;
    if (!parsed?.success) throw new ConfigError(result.issues, input.file);
    return generateApp(parsed.data, findEnginePlugin(input.plugins, parsed.data.engine.kind), input.options);
  }
  const plugin = findEnginePlugin(input.plugins, result.config.engine.kind);
  return generateApp(result.config, plugin, input.options);
}
