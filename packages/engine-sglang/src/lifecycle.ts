import { servedNamesOf } from "@rouse/config";
import type { DeploymentViewV1, LifecycleSpecV1, SnapshotRecipeV1 } from "@rouse/engine-spec";
import { completionsCanary, sleepSnapshotRecipe } from "@rouse/engine-kit";

// SGLang's HTTP lifecycle as data; codegen emits it as Python and the TypeScript
// client runs the same calls. Source paths are inside the sglang wheel.

/** Memory release is on when something will release it: the snapshot on Modal, scale-to-zero locally. */
export function sglangSleepMode(config: DeploymentViewV1, target: "modal" | "local"): boolean {
  // CPU-only snapshots start the engine after restore and never sleep it.
  return target === "local"
    ? config.local.scaleToZero === "sleep"
    : config.snapshot.enabled && config.snapshot.gpu;
}

export function sglangMaySleep(config: DeploymentViewV1): boolean {
  return sglangSleepMode(config, "modal") || sglangSleepMode(config, "local");
}

/**
 * Endpoints that change engine state or weights (sglang/srt/entrypoints/http_server.py).
 * With an API key SGLang guards them with it; without one they are open — rouse keeps them private.
 */
export const SGLANG_ADMIN_PATHS = [
  "/release_memory_occupation",
  "/resume_memory_occupation",
  "/flush_cache",
  "/update_weights_from_disk",
  "/update_weights_from_tensor",
  "/update_weights_from_distributed",
  "/update_weights_from_ipc",
  "/init_weights_update_group",
  "/destroy_weights_update_group",
  "/init_weights_send_group_for_remote_instance",
  "/send_weights_to_remote_instance",
  "/begin_weight_update",
  "/end_weight_update",
  "/update_weight_version",
  "/get_weights_by_name",
  "/weights_checker",
  "/load_lora_adapter",
  "/unload_lora_adapter",
  "/start_profile",
  "/stop_profile",
  "/set_internal_state",
  "/configure_logging",
  "/set_trace_level",
  "/freeze_gc",
  "/slow_down",
  "/abort_request",
  "/pause_generation",
  "/continue_generation",
  "/pd_role_switch",
  "/open_session",
  "/close_session",
  "/start_expert_distribution_record",
  "/stop_expert_distribution_record",
  "/dump_expert_distribution_record",
  "/get_server_info",
  "/server_info",
] as const;

/**
 * The verified-wake request (engine-kit's completions canary): SGLang's OpenAI
 * `/v1/completions` with `logprobs: int` (sglang/srt/entrypoints/openai/protocol.py).
 * SGLang has no token-id mode there, so tokens are compared as text.
 */
export function sglangCanary(config: DeploymentViewV1): NonNullable<LifecycleSpecV1["canary"]> {
  return completionsCanary(servedNamesOf(config)[0]);
}

export function sglangLifecycle(config: DeploymentViewV1): LifecycleSpecV1 {
  const sleeps = sglangMaySleep(config);
  // /health answers 503 until warmup is done (FACTS.md S1); once up it runs a one-token
  // generation (S2), bounded by SGLANG_HEALTH_CHECK_TIMEOUT (20 s), hence the longer timeout.
  const health = { method: "GET" as const, path: "/health", timeoutSeconds: 30 };
  return {
    // The port opens before the model is loaded: only an HTTP probe tells readiness.
    readiness: { probe: health, portOpensWhenReady: false },
    health,
    warmup: {
      method: "POST",
      path: "/v1/chat/completions",
      json: {
        model: servedNamesOf(config)[0],
        messages: [{ role: "user", content: "Hello, how are you?" }],
        max_tokens: 16,
      },
      timeoutSeconds: 300,
    },
    warmupCount: config.snapshot.warmupRequests,
    ...(sleeps
      ? {
          // Final answers: the scheduler releases (or resumes) and synchronizes the
          // device before it replies (sglang/srt/managers/scheduler_components/weight_updater.py).
          // `{}` = all tags: kv_cache, weights, cuda_graph (FACTS.md S3). Without
          // --enable-memory-saver the release is a silent no-op (S3), so sleep mode sets it.
          sleep: {
            call: { method: "POST", path: "/release_memory_occupation", json: {}, timeoutSeconds: 300 },
          },
          wake: {
            call: { method: "POST", path: "/resume_memory_occupation", json: {}, timeoutSeconds: 300 },
          },
          // Resume restores the weights from the CPU backup: nothing else to call before traffic.
          afterWake: [],
          canary: sglangCanary(config),
        }
      : {}),
    asleepMeans: "weights backed up to host RAM, KV cache and CUDA graphs released; GPU memory freed",
    // SGLang does not gate requests while released (FACTS.md S3): the caller must not
    // send any, and must release only when idle — a busy release kills the scheduler.
    holdsRequestsWhileAsleep: false,
    // Released, nothing but the resume call: /health runs a generation on released memory
    // and the scheduler dies of it (measured on the H200, shared/gpu/README.md).
    safeWhile: { asleep: [], checkpointed: [] },
    metricsPath: "/metrics",
    routes: [
      { path: "/health", access: "public" },
      { path: "/v1/", access: "key" },
      // SGLang leaves /metrics open even with an API key (FACTS.md S5); outside, key it.
      { path: "/metrics", access: "key" },
      // SGLang's own warm-up calls these on its own port, with its --api-key (http_server.py
      // _execute_server_warmup: GET /model_info, then POST /generate, or /encode for embedding
      // models): with the guard inside its server they must pass, or /health stays 503. Model
      // info and native inference: keyed, not admin.
      { path: "/model_info", access: "key" },
      { path: "/get_model_info", access: "key" },
      { path: "/generate", access: "key" },
      { path: "/encode", access: "key" },
    ],
    adminPaths: [...SGLANG_ADMIN_PATHS],
  };
}

export function sglangSnapshotRecipe(config: DeploymentViewV1): SnapshotRecipeV1 {
  return sleepSnapshotRecipe(config, {
    serverModule: "sglang.srt.entrypoints.http_server",
    env: [
      {
        name: "TORCHINDUCTOR_COMPILE_THREADS",
        value: "1",
        why: "multi-threaded inductor compile workers do not survive a memory snapshot; compile in-process",
      },
    ],
  });
}
