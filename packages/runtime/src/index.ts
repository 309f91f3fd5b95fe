// The local runtime's public surface: the fleet (LocalEngines) and its HTTP server, the
// per-request forwarder, one engine's supervisor, and the types they take and report.
export { type EngineRequestErrorCode, EngineRequestError, type OpenAIErrorBody } from "./errors.ts";
export {
  type EngineEntry,
  EngineSetError,
  type EngineSetIssue,
  type MemoryPlan,
} from "./fleet/engine-set.ts";
export { type FleetSnapshot, LocalEngines, type LocalEnginesOptions } from "./fleet/local-engines.ts";
export type { MemoryBudget } from "./fleet/memory-budget.ts";
export { type EngineApiResponse, engineApi } from "./http/engine-api.ts";
export { type Acquirable, engineFailure, type ForwardRequest, type ForwardResponse, forward } from "./proxy/forward.ts";
export type { Transition } from "./state/machine.ts";
export { ENGINE_STATES, type EngineState, IllegalTransitionError, TRANSITIONS } from "./state/states.ts";
export type { CheckpointCommand } from "./suspend/cuda-checkpoint.ts";
export type { CrashPolicyOptions } from "./supervisor/crash-policy.ts";
export type { SupervisorEvent } from "./supervisor/events.ts";
export type { EngineSnapshot, ExitInfoJson, ScaleToZeroMode } from "./supervisor/snapshot.ts";
export { EngineSupervisor, type SupervisorOptions } from "./supervisor/supervisor.ts";
