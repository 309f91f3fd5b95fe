import { z } from "zod";
import { httpCallV1Schema } from "./http-call.ts";

/** How to tell the engine is ready to serve. */
export const readinessV1Schema = z.strictObject({
  /** An HTTP probe; `tcp` is not enough for engines that open the port before they are ready. */
  probe: httpCallV1Schema,
  /** Does the port refuse connections until the model is loaded? (vLLM: yes; SGLang: no, 503 until ready) */
  portOpensWhenReady: z.boolean(),
});

/** A state-changing call plus how to confirm it took effect (sleep may return early). */
export const confirmedCallV1Schema = z.strictObject({
  call: httpCallV1Schema,
  /** Poll this until `field` equals `equals`; absent when the call's return is final. */
  confirm: z
    .strictObject({ call: httpCallV1Schema, field: z.string(), equals: z.unknown() })
    .optional(),
});

/** A route on the engine's HTTP surface and who may reach it from outside the container. */
export const routeRuleV1Schema = z.strictObject({
  /** Exact path, or a prefix when it ends with `/`. */
  path: z.string().regex(/^\/[A-Za-z0-9._~/-]*$/),
  /** `public`: anyone; `key`: needs the API key when one is configured; `private`: never from outside. */
  access: z.enum(["public", "key", "private"]),
});

/**
 * Verified wake: a greedy request recorded before sleep or snapshot and replayed after
 * every wake, resume or restore, before traffic is admitted. Engines report healthy after
 * a wake that left them serving garbage (vLLM sleep level 2 without a weight reload
 * answers token 0 every time), so only a generation proves the wake.
 */
export const canaryV1Schema = z.strictObject({
  /** Fixed prompt, temperature 0, a few tokens, with per-token logprobs (OpenAI `/v1/completions`). */
  request: httpCallV1Schema,
  /** Dotted path in the JSON answer to the list of sampled tokens (compared exactly). */
  tokensField: z.string().regex(/^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$/),
  /** Dotted path to each token's logprob, same length as the tokens. */
  logprobsField: z.string().regex(/^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$/),
  /**
   * Largest |replayed − recorded| logprob per token that still counts as the same engine:
   * the same kernels on the same GPU repeat bit for bit, but a restore may move a
   * reduction onto another path, so allow rounding noise and nothing more.
   */
  logprobTolerance: z.number().min(0).max(1),
});

export const lifecycleSpecV1Schema = z.strictObject({
  readiness: readinessV1Schema,
  health: httpCallV1Schema,
  /** A request like real traffic, sent before the snapshot so compile + CUDA graphs land in it. */
  warmup: httpCallV1Schema,
  warmupCount: z.number().int().min(0),
  /** Absent when the engine has no sleep mode for this config. */
  sleep: confirmedCallV1Schema.optional(),
  wake: confirmedCallV1Schema.optional(),
  /**
   * Calls after `wake` and before any traffic, in order (vLLM sleep level 2: reload the
   * weights, then reset the prefix cache). Empty when the wake alone restores the engine.
   */
  afterWake: z.array(httpCallV1Schema).default([]),
  /** The verified-wake request; absent when the engine has no sleep mode for this config. */
  canary: canaryV1Schema.optional(),
  /** What leaves GPU memory while asleep, in words (e.g. "weights → host RAM; KV cache discarded"). */
  asleepMeans: z.string(),
  /** Requests sent while asleep hang until wake: the caller must hold traffic. */
  holdsRequestsWhileAsleep: z.boolean(),
  metricsPath: z.string().optional(),
  /**
   * Outside access per route, first match wins; unlisted paths are private.
   * Admin endpoints (sleep, wake, RPC) must be `private`.
   */
  routes: z.array(routeRuleV1Schema).min(1),
  /** Admin endpoints the engine exposes, which the guard must keep private (tests probe each). */
  adminPaths: z.array(z.string()),
  /**
   * The only paths a caller may send while the engine is asleep, and while its process tree is
   * CUDA-checkpointed; anything else may kill it (SGLang's `/health` runs a generation on released
   * memory; a request to a checkpointed vLLM that is not asleep segfaults it). The wake call and
   * its confirmation are always allowed while asleep. Absent: nothing but those.
   */
  safeWhile: z
    .strictObject({
      asleep: z.array(z.string().regex(/^\/[A-Za-z0-9._~/-]*$/)),
      checkpointed: z.array(z.string().regex(/^\/[A-Za-z0-9._~/-]*$/)),
    })
    .optional(),
});
export type LifecycleSpecV1 = z.input<typeof lifecycleSpecV1Schema>;
export type RouteRuleV1 = z.infer<typeof routeRuleV1Schema>;
export type CanaryV1 = z.infer<typeof canaryV1Schema>;
