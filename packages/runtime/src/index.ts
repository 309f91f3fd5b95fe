export { type EngineRequestErrorCode, EngineRequestError, type OpenAIErrorBody } from "./errors.ts";
export { installedEngines } from "./installed-engines.ts";
export {
  type EngineEntry,
  EngineSetError,
  type EngineSetIssue,
  type MemoryPlan,
  planMemory,
  validateEngineSet,
} from "./fleet/engine-set.ts";
export {
  type FleetSnapshot,
  LocalEngines,
  type LocalEnginesOptions,
  suspendUnsupported,
} from "./fleet/local-engines.ts";
export {
  type MemoryArbiter,
  MemoryBudget,
  type MemoryTenant,
  unlimitedMemory,
} from "./fleet/memory-budget.ts";
export { type EngineApiResponse, engineApi } from "./http/engine-api.ts";
export { describeExit, type EngineProcess, type ExitInfo, spawnEngine } from "./process/engine-process.ts";
export { type ResolvedLaunch, redact, resolveLaunch } from "./process/launch.ts";
export { freePort } from "./process/port.ts";
export { type LogLine, LogRing } from "./process/log-ring.ts";
export {
  type Acquirable,
  engineFailure,
  type ForwardRequest,
  type ForwardResponse,
  forward,
} from "./proxy/forward.ts";
export { EngineStateMachine, type StateMachineOptions, type Transition } from "./state/machine.ts";
export {
  canTransition,
  ENGINE_STATES,
  type EngineState,
  HAS_PROCESS,
  HOLDS_GPU,
  IllegalTransitionError,
  SERVING,
  TRANSITIONS,
} from "./state/states.ts";
export {
  type CheckpointAction,
  type CheckpointCommand,
  type CheckpointResult,
  type CheckpointVerdict,
  defaultCheckpointCommand,
  runCheckpoint,
  verdictOf,
} from "./suspend/cuda-checkpoint.ts";
export {
  CrashPolicy,
  type CrashPolicyOptions,
  type CrashVerdict,
  defaultCrashPolicy,
} from "./supervisor/crash-policy.ts";
export type { SupervisorEvent } from "./supervisor/events.ts";
export { type LatencySummary, LatencyStats } from "./supervisor/latency-stats.ts";
export { EngineLease, type Lease, type LeaseOwner, type LeaseTarget } from "./supervisor/lease.ts";
export type { EngineSnapshot, ExitInfoJson, ScaleToZeroMode } from "./supervisor/snapshot.ts";
export { EngineSupervisor, type SupervisorOptions } from "./supervisor/supervisor.ts";
