export { registerEngineMetrics } from "./engine-metrics.ts";
export { engineRoutes } from "./engine-routes.ts";
export { EngineUpstream } from "./engine-upstream.ts";
export {
  createLocalGateway,
  type LocalGateway,
  type LocalGatewayOptions,
  loadEngineEntries,
  type ServeLocalOptions,
  type ServingLocal,
  serveLocal,
} from "./serve-local.ts";
/** Re-exported so the CLI needs no direct dependency on the runtime. */
export type { EngineSnapshot, FleetSnapshot, SupervisorEvent } from "@rouse/runtime";
