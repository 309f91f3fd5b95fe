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

export const lifecycleSpecV1Schema = z.strictObject({
  readiness: readinessV1Schema,
  health: httpCallV1Schema,
  /** A request like real traffic, sent before the snapshot so compile + CUDA graphs land in it. */
  warmup: httpCallV1Schema,
  warmupCount: z.number().int().min(0),
  /** Absent when the engine has no sleep mode for this config. */
  sleep: confirmedCallV1Schema.optional(),
  wake: confirmedCallV1Schema.optional(),
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
