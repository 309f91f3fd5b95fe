export { loadGatewayConfigFile, loadGatewayConfigText, type GatewayConfigResult } from "./config.ts";
export {
  codegenRenderer,
  type Renderer,
  RenderRefusedError,
  RendererUnavailableError,
} from "./control/renderer.ts";
export { openApiDocument } from "./control/openapi.ts";
export { errorBody, GatewayError, type OpenAIErrorType } from "./errors.ts";
export {
  createGateway,
  type Gateway,
  type GatewayDeps,
  type GatewayEnv,
  httpUpstreamFromConfig,
} from "./gateway.ts";
export { jsonLines, type LogEntry, type LogSink } from "./log/logger.ts";
export { createGatewayMetrics, type GatewayMetrics } from "./metrics/gateway-metrics.ts";
export { OUTCOMES, type Outcome } from "./metrics/gateway-metrics.ts";
export { Counter, Gauge, Histogram, Registry } from "./metrics/registry.ts";
export { accessLog, RequestRecord } from "./middleware/access-log/index.ts";
export { apiKeyAuth, isLoopbackAddress, type Principal, sha256Hex } from "./middleware/auth/index.ts";
export { BodyBudget, bufferedBody } from "./middleware/body-limit/index.ts";
export { rateLimit } from "./middleware/rate-limit/index.ts";
export { type DispatchStats, type Dispatched, Router, type RouterOptions } from "./router/router.ts";
export {
  checkListenSafety,
  isLoopbackHost,
  type RunningServer,
  type StartServerOptions,
  startServer,
} from "./server.ts";
// The playground's fleet view (`FleetSnapshot` is already the local engines' type).
export type {
  ContainerStats,
  ContainerStatsSource,
  FleetEntry as FleetViewEntry,
  FleetSnapshot as FleetView,
} from "./ui/fleet.ts";
export { HttpUpstream, type HttpUpstreamOptions, splitBaseUrl } from "./upstream/http-upstream.ts";
export {
  defaultHealthTiming,
  type HealthTiming,
  ManagedUpstream,
  UPSTREAM_STATES,
  type UpstreamState,
} from "./upstream/managed.ts";
export { UpstreamQueue, type UpstreamQueueLimits } from "./router/upstream-queue.ts";
export type { ProbeResult, Upstream, UpstreamRequest, UpstreamResponse } from "./upstream/types.ts";
export * from "./local/index.ts";
