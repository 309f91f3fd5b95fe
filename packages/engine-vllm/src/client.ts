import type { DeploymentViewV1, EngineLifecycleClientV1, LifecycleClientOptionsV1 } from "@rouse/engine-spec";
import { createSpecLifecycleClient, type MetricNames } from "@rouse/engine-kit";
import { vllmLifecycle } from "./lifecycle.ts";

/** vLLM's Prometheus names (vllm/v1/metrics/loggers.py); `gpu_cache_usage_perc` is the pre-V1 name. Both are fractions 0–1. */
export const VLLM_METRIC_NAMES: MetricNames = {
  runningRequests: ["vllm:num_requests_running"],
  waitingRequests: ["vllm:num_requests_waiting"],
  kvCacheUsage: ["vllm:kv_cache_usage_perc", "vllm:gpu_cache_usage_perc"],
  timeToFirstToken: ["vllm:time_to_first_token_seconds"],
};

export function createVllmLifecycleClient(
  config: DeploymentViewV1,
  options: LifecycleClientOptionsV1,
): EngineLifecycleClientV1 {
  return createSpecLifecycleClient({
    engine: "vllm",
    spec: vllmLifecycle(config),
    options,
    metricNames: VLLM_METRIC_NAMES,
    // The lifecycle spec names the configured level; a caller may ask for another.
    sleepCall: (call, level) => ({ ...call, query: { ...call.query, level: String(level) } }),
    // Without VLLM_SERVER_DEV_MODE=1 the sleep routes do not exist (vllm/entrypoints/launchers/api_server/routers.py).
    sleepRefusal: (response, call) =>
      response.status === 404
        ? `vLLM has no ${call.path} endpoint: it was started without VLLM_SERVER_DEV_MODE=1 (and --enable-sleep-mode), so it cannot sleep`
        : undefined,
  });
}
