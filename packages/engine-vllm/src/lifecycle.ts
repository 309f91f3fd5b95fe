import type { DeploymentViewV1, LifecycleSpecV1, SnapshotRecipeV1 } from "@rouse/engine-spec";
import { servedNamesOf } from "@rouse/config";
import { completionsCanary, sleepSnapshotRecipe } from "@rouse/engine-kit";

// vLLM's HTTP lifecycle as data: codegen emits it as Python, the TypeScript
// lifecycle client runs the same calls. Facts are cited from
// tools/engine-args/FACTS.md and the vLLM source (paths relative to the sdist).

/**
 * Sleep mode is on when something will put the engine to sleep: the snapshot on Modal,
 * scale-to-zero locally — `suspend` included, which sleeps the engine before the CUDA
 * checkpoint (less to move, and a request that reaches a checkpointed engine that is
 * not asleep kills it).
 */
export function vllmSleepMode(config: DeploymentViewV1, target: "modal" | "local"): boolean {
  // Locally sleep and suspend both sleep the engine; on Modal only GPU snapshots do
  // (CPU-only snapshots start the engine after restore and never sleep it).
  return target === "local"
    ? config.local.scaleToZero !== "stop"
    : config.snapshot.enabled && config.snapshot.gpu;
}

/** Whether any launch of this config gets sleep mode (the lifecycle spec is the same for both targets). */
export function vllmMaySleep(config: DeploymentViewV1): boolean {
  return vllmSleepMode(config, "modal") || vllmSleepMode(config, "local");
}

/**
 * Endpoints that change or reveal engine state. `VLLM_SERVER_DEV_MODE=1` adds the
 * sleep, cache, RPC, server-info and RL weight-update routes (FACTS.md V8;
 * vllm/entrypoints/serve/__init__.py, vllm/entrypoints/rl/online/api_router.py), none key-guarded (V4);
 * profiling, LoRA and elastic-EP routes appear with their own settings. Union over the
 * versions rouse pins (0.9.1 … 0.33.0); unlisted paths are private anyway.
 */
export const VLLM_ADMIN_PATHS = [
  "/sleep",
  "/wake_up",
  "/is_sleeping",
  "/release_kv_cache_memory",
  "/collective_rpc",
  "/reset_prefix_cache",
  "/reset_mm_cache",
  "/reset_encoder_cache",
  "/server_info",
  "/start_profile",
  "/stop_profile",
  "/pause",
  "/resume",
  "/is_paused",
  "/abort_requests",
  "/get_world_size",
  "/weight_info",
  "/init_weight_transfer_engine",
  "/start_weight_update",
  "/start_draft_weight_update",
  "/update_weights",
  "/finish_weight_update",
  "/update_weight_version",
  "/shutdown_weight_transfer_engine",
  "/weight_checker",
  "/scale_elastic_ep",
  "/is_scaling_elastic_ep",
  "/v1/load_lora_adapter",
  "/v1/unload_lora_adapter",
] as const;

/**
 * The verified-wake request (engine-kit's completions canary). `return_tokens_as_token_ids`
 * makes vLLM name tokens `token_id:<id>`, so the tokens are compared by id
 * (vllm/entrypoints/openai/completion/protocol.py).
 */
export function vllmCanary(config: DeploymentViewV1): NonNullable<LifecycleSpecV1["canary"]> {
  return completionsCanary(servedNamesOf(config)[0], { return_tokens_as_token_ids: true });
}

/**
 * Level 2 drops the weights: after `/wake_up` vLLM answers token 0 every time until
 * `collective_rpc reload_weights` reads them again (≈2 s for 16 GB on an H200), and any
 * prompt served in between stays wrong in the prefix cache until `/reset_prefix_cache`
 * (measured with vLLM 0.20.0, ../shared/gpu/README.md "L2"). Level 1 keeps them in host RAM.
 */
export function vllmAfterWake(config: DeploymentViewV1): NonNullable<LifecycleSpecV1["afterWake"]> {
  if (config.snapshot.sleepLevel !== 2) return [];
  return [
    { method: "POST", path: "/collective_rpc", json: { method: "reload_weights" }, timeoutSeconds: 600 },
    { method: "POST", path: "/reset_prefix_cache", timeoutSeconds: 60 },
  ];
}

export function vllmLifecycle(config: DeploymentViewV1): LifecycleSpecV1 {
  const isSleeping = { method: "GET" as const, path: "/is_sleeping", timeoutSeconds: 10 };
  const sleeps = vllmMaySleep(config);
  return {
    // Connects are refused until the engine has loaded (FACTS.md V1); /health is 200
    // from then on, asleep too (V2).
    readiness: { probe: { method: "GET", path: "/health", timeoutSeconds: 5 }, portOpensWhenReady: true },
    health: { method: "GET", path: "/health", timeoutSeconds: 5 },
    // A chat request like real traffic: torch.compile and CUDA graph capture happen
    // on the first requests, and must happen before the snapshot to land in it.
    warmup: {
      method: "POST",
      path: "/v1/chat/completions",
      json: {
        model: servedNamesOf(config)[0],
        messages: [{ role: "user", content: "Who are you?" }],
        max_tokens: 16,
      },
      timeoutSeconds: 300,
    },
    warmupCount: config.snapshot.warmupRequests,
    ...(sleeps
      ? {
          // vLLM 0.33 answers after it has slept (FACTS.md V5), but /is_sleeping is the
          // state itself (V6), so both transitions are confirmed there: cheap, and safe
          // against versions or wrappers that answer early.
          sleep: {
            call: {
              method: "POST",
              path: "/sleep",
              query: { level: String(config.snapshot.sleepLevel) },
              timeoutSeconds: 300,
            },
            confirm: { call: isSleeping, field: "is_sleeping", equals: true },
          },
          wake: {
            call: { method: "POST", path: "/wake_up", timeoutSeconds: 300 },
            confirm: { call: isSleeping, field: "is_sleeping", equals: false },
          },
          afterWake: vllmAfterWake(config),
          canary: vllmCanary(config),
        }
      : {}),
    asleepMeans:
      config.snapshot.sleepLevel === 1
        ? "level 1: weights copied to host RAM, KV cache discarded; GPU memory freed"
        : "level 2: weights and KV cache discarded; GPU memory freed, weights must be reloaded after wake",
    // Sleep pauses the scheduler: new requests are queued until wake; requests in
    // flight when /sleep arrives are aborted (FACTS.md V3), so sleep only when idle.
    holdsRequestsWhileAsleep: true,
    // Asleep, /health and /is_sleeping answer (measured on the H200, shared/gpu/README.md);
    // checkpointed, nothing may reach it: a request to a checkpointed vLLM that is not
    // asleep segfaults the engine core.
    safeWhile: { asleep: ["/health", "/is_sleeping"], checkpointed: [] },
    metricsPath: "/metrics",
    routes: [
      // Admin routes that live under /v1 come first: first match wins.
      { path: "/v1/load_lora_adapter", access: "private" },
      { path: "/v1/unload_lora_adapter", access: "private" },
      { path: "/health", access: "public" },
      { path: "/v1/", access: "key" },
      // vLLM's --api-key guards only /v1, /v2, /inference and /cohere (FACTS.md V4), so /metrics
      // is open on the engine; outside, it names the model and shows load: key it.
      { path: "/metrics", access: "key" },
    ],
    adminPaths: [...VLLM_ADMIN_PATHS],
  };
}

export function vllmSnapshotRecipe(config: DeploymentViewV1): SnapshotRecipeV1 {
  return sleepSnapshotRecipe(config, {
    serverModule: "vllm.entrypoints.openai.api_server",
    env: [
      {
        name: "VLLM_SERVER_DEV_MODE",
        value: "1",
        why: "exposes /sleep, /wake_up and /is_sleeping (development endpoints; rouse keeps them private)",
      },
      {
        name: "TORCHINDUCTOR_COMPILE_THREADS",
        value: "1",
        why: "multi-threaded inductor compile workers do not survive a memory snapshot; compile in-process",
      },
    ],
  });
}
