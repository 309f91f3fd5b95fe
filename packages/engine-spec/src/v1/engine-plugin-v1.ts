import type { DeploymentViewV1 } from "./deployment-view.ts";
import type { ImageRecipeV1 } from "./image-recipe.ts";
import type { LaunchContextV1, LaunchSpecV1 } from "./launch-spec.ts";
import type { EngineLifecycleClientV1, LifecycleClientOptionsV1 } from "./lifecycle-client.ts";
import type { PluginIssueV1 } from "./issue.ts";
import type { LifecycleSpecV1 } from "./lifecycle-spec.ts";
import type { SnapshotRecipeV1 } from "./snapshot-recipe.ts";
import type { PluginWarningV1 } from "./warning.ts";

/** What an engine can do, so callers pick a path instead of failing at run time. */
export interface EngineCapabilitiesV1 {
  /** Sleep/wake that frees GPU memory (vLLM sleep mode, SGLang memory release) — on GPUs. */
  readonly sleep: boolean;
  /** The engine tolerates a CUDA-driver checkpoint of its whole process tree. */
  readonly cudaCheckpoint: boolean;
  /** Call this before a CUDA checkpoint so less memory moves (e.g. drop the KV cache). */
  readonly releaseBeforeCheckpoint?: string;
}

/**
 * An engine plugin owns every fact about one inference engine; codegen, the CLI and
 * the server only compose what it returns. Pure functions of the config: no I/O
 * except in the lifecycle client.
 */
export interface EnginePluginV1 {
  readonly specificationVersion: "v1";
  /** `config.engine.kind` this plugin serves, e.g. `vllm`. */
  readonly engine: string;
  readonly displayName: string;
  /** The engine release this plugin was checked against; used when `engine.version` is unset. */
  readonly defaultVersion: string;
  readonly capabilities: EngineCapabilitiesV1;
  /** Checks the plugin's own slice of the config (`engine.options[engine]` and unsupported fields). */
  validate(config: DeploymentViewV1): PluginWarningV1[];
  /**
   * Optional: the engine's rules for a config, errors and warnings with the field to
   * change — e.g. every `engine.extraArgs` element resolved as the engine's parser would,
   * parser names and FP8 against the pinned version's facts. `validateDeployment` (given
   * the plugins) and codegen run it, so `validate` refuses exactly what `generate` refuses.
   * Without it, rouse applies a static guard for owned flags.
   */
  check?(config: DeploymentViewV1): PluginIssueV1[];
  launch(config: DeploymentViewV1, context: LaunchContextV1): LaunchSpecV1;
  image(config: DeploymentViewV1): ImageRecipeV1;
  lifecycle(config: DeploymentViewV1): LifecycleSpecV1;
  snapshotRecipe(config: DeploymentViewV1): SnapshotRecipeV1;
  createLifecycleClient(
    config: DeploymentViewV1,
    options: LifecycleClientOptionsV1,
  ): EngineLifecycleClientV1;
  /**
   * Optional: a one-line explanation of why the engine process exited, read from its
   * log (stdout + stderr), for failures the plugin recognises; undefined otherwise.
   */
  explainExit?(log: string): string | undefined;
}
