import { type DeploymentConfigV1, type EnginePluginV1, type HttpCallV1, servedNamesOf } from "@rouse/config";

// What the runtime needs from an engine plugin's lifecycle spec beyond sleep and
// wake: the canary (verified wake), the steps after a wake (vLLM level 2:
// reload_weights, then reset_prefix_cache) and which calls are safe while the
// engine is asleep or checkpointed. These are engine facts, so they belong in
// the plugin's LifecycleSpecV1 (`canary`, `afterWake`, `safeWhile`); until every
// plugin's spec carries the canary and the after-wake steps, the defaults below
// stand in for them, per engine. Calls while asleep or checkpointed: only what the
// spec's `safeWhile` lists, plus the wake call and its confirmation.

/** A fixed greedy request whose tokens and logprobs identify the engine's weights. */
export interface CanarySpec {
  /** The request: fixed prompt, temperature 0, ~16 tokens, logprobs on. */
  readonly request: HttpCallV1;
  /** Dotted paths into the JSON answer. */
  readonly tokensField: string;
  readonly logprobsField: string;
  /** Largest |Δ logprob| still counted as the same answer. */
  readonly logprobTolerance: number;
}

/** A call to make after a wake, for the sleep levels it applies to. */
export interface AfterWakeStep {
  readonly levels: readonly (1 | 2)[];
  readonly call: HttpCallV1;
  /** Why it is needed, for logs. */
  readonly why: string;
}

/** Paths the engine tolerates while asleep and while checkpointed; every other call is refused by the runtime. */
export interface SafeCalls {
  readonly asleep: readonly string[];
  readonly checkpointed: readonly string[];
}

export interface EngineRules {
  readonly canary: CanarySpec | undefined;
  readonly afterWake: readonly AfterWakeStep[];
  readonly safeWhile: SafeCalls;
}

const CANARY_PROMPT = "The capital of France is Paris. The capital of Japan is";

/** The OpenAI completions canary both vLLM and SGLang answer with `logprobs.tokens` / `token_logprobs`. */
export function completionsCanary(config: DeploymentConfigV1): CanarySpec {
  return {
    request: {
      method: "POST",
      path: "/v1/completions",
      json: {
        model: servedNamesOf(config)[0],
        prompt: CANARY_PROMPT,
        max_tokens: 16,
        temperature: 0,
        logprobs: 1,
      },
      timeoutSeconds: 60,
    },
    tokensField: "choices.0.logprobs.tokens",
    logprobsField: "choices.0.logprobs.token_logprobs",
    logprobTolerance: 0.02,
  };
}

/** Stand-in defaults per engine, until the plugin's lifecycle spec states them (see above). */
function defaultRules(engine: string, config: DeploymentConfigV1): EngineRules {
  if (engine === "vllm") {
    return {
      canary: completionsCanary(config),
      // Level 2 drops the weights: /wake_up alone leaves garbage (token 0 every time) until
      // reload_weights, and whatever was served in between stays in the prefix cache until
      // the reset (measured on the H200, shared/gpu/README.md).
      afterWake: [
        {
          levels: [2],
          call: {
            method: "POST",
            path: "/collective_rpc",
            json: { method: "reload_weights" },
            timeoutSeconds: 300,
          },
          why: "level 2 discarded the weights",
        },
        {
          levels: [2],
          call: { method: "POST", path: "/reset_prefix_cache", timeoutSeconds: 30 },
          why: "the prefix cache may hold answers computed before the reload",
        },
      ],
      safeWhile: { asleep: [], checkpointed: [] },
    };
  }
  if (engine === "sglang") {
    return {
      canary: completionsCanary(config),
      afterWake: [],
      safeWhile: { asleep: [], checkpointed: [] },
    };
  }
  // Unknown engines: no canary.
  return { canary: undefined, afterWake: [], safeWhile: { asleep: [], checkpointed: [] } };
}

/**
 * The plugin's rules: its lifecycle spec's `canary`, `afterWake` and `safeWhile`
 * when present, else the per-engine defaults. The wake call (and its
 * confirmation) are always allowed while asleep: waking needs them.
 */
export function engineRules(plugin: EnginePluginV1, config: DeploymentConfigV1): EngineRules {
  const spec = plugin.lifecycle(config) as ReturnType<EnginePluginV1["lifecycle"]> & {
    canary?: CanarySpec | null;
    /** Plain calls (the plugin already chose them for the config's sleep level), or steps with levels. */
    afterWake?: readonly (AfterWakeStep | HttpCallV1)[];
    safeWhile?: Partial<SafeCalls>;
  };
  const fallback = defaultRules(plugin.engine, config);
  const safe = { ...fallback.safeWhile, ...spec.safeWhile };
  const wakePaths = [spec.wake?.call.path, spec.wake?.confirm?.call.path].filter(
    (p): p is string => p !== undefined,
  );
  return {
    canary: spec.canary === null ? undefined : (spec.canary ?? fallback.canary),
    afterWake:
      spec.afterWake?.map((step) =>
        "call" in step
          ? step
          : { levels: [1, 2] as const, call: step, why: "the engine plugin's after-wake step" },
      ) ?? fallback.afterWake,
    safeWhile: {
      asleep: [...new Set([...(safe.asleep ?? []), ...wakePaths])],
      checkpointed: [...(safe.checkpointed ?? [])],
    },
  };
}
