import type { DeploymentViewV1, EngineLifecycleClientV1, LifecycleClientOptionsV1 } from "@rouse/engine-spec";
import { createSpecLifecycleClient, type MetricNames } from "@rouse/engine-kit";
import { sglangLifecycle } from "./lifecycle.ts";

/** SGLang's Prometheus names (sglang/srt/observability/metrics_collector.py); token_usage is a fraction 0–1. */
export const SGLANG_METRIC_NAMES: MetricNames = {
  runningRequests: ["sglang:num_running_reqs"],
  waitingRequests: ["sglang:num_queue_reqs"],
  kvCacheUsage: ["sglang:token_usage"],
  timeToFirstToken: ["sglang:time_to_first_token_seconds"],
};

export function createSglangLifecycleClient(
  config: DeploymentViewV1,
  options: LifecycleClientOptionsV1,
): EngineLifecycleClientV1 {
  return createSpecLifecycleClient({
    engine: "sglang",
    spec: sglangLifecycle(config),
    options,
    metricNames: SGLANG_METRIC_NAMES,
    // SGLang has no sleep levels: the release drops everything that is releasable.
    sleepRefusal: (response, call) =>
      response.status === 404
        ? `this SGLang has no ${call.path} endpoint, so it cannot release GPU memory`
        : undefined,
  });
}
