import type { DeploymentConfigV1 } from "@rouse/config";
import type { EnginePluginV1, HttpCallV1, LifecycleSpecV1 } from "@rouse/engine-spec";

// What the runtime needs from an engine plugin's lifecycle spec beyond sleep and
// wake: the canary (verified wake), the calls after a wake (vLLM level 2:
// reload_weights, then reset_prefix_cache — the plugin chooses them for the
// config's sleep level) and which calls are safe while the engine is asleep or
// checkpointed. These are engine facts: the plugin's LifecycleSpecV1 states them,
// the runtime obeys. While asleep or checkpointed only what `safeWhile` lists may
// reach the engine, plus (while asleep) the calls that wake it.

/** A fixed greedy request whose tokens and logprobs identify the engine's weights. */
export type CanarySpec = NonNullable<LifecycleSpecV1["canary"]>;

/** Paths the engine tolerates while asleep and while checkpointed; every other call is refused by the runtime. */
export interface SafeCalls {
  readonly asleep: readonly string[];
  readonly checkpointed: readonly string[];
}

export interface EngineRules {
  readonly canary: CanarySpec | undefined;
  readonly afterWake: readonly HttpCallV1[];
  readonly safeWhile: SafeCalls;
}

/** The plugin's rules for this config, read from its lifecycle spec. */
export function engineRules(plugin: EnginePluginV1, config: DeploymentConfigV1): EngineRules {
  const spec = plugin.lifecycle(config);
  // Waking is the wake call, its confirmation and the after-wake calls (the lifecycle client makes them all).
  const wakePaths = [spec.wake?.call.path, spec.wake?.confirm?.call.path, ...(spec.afterWake ?? []).map((c) => c.path)].filter(
    (p): p is string => p !== undefined,
  );
  return {
    canary: spec.canary,
    afterWake: spec.afterWake ?? [],
    safeWhile: {
      asleep: [...new Set([...(spec.safeWhile?.asleep ?? []), ...wakePaths])],
      checkpointed: [...(spec.safeWhile?.checkpointed ?? [])],
    },
  };
}
