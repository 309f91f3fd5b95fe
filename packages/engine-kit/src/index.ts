// What an engine plugin's runtime needs (README): HTTP calls to the engine, the readiness
// loop, Prometheus parsing, the lifecycle client of a LifecycleSpecV1, options and versions,
// extraArgs resolution and config checks, the facts check, CUDA picks, the canary.
export { flagValue, plainValue } from "./argv.ts";
export { CANARY_LOGPROB_TOLERANCE, completionsCanary } from "./canary.ts";
export { cudaMajorOfImage } from "./cuda.ts";
export { engineCudaMajor } from "./cuda-pick.ts";
export { checkEngineConfig, type EngineCheckInput, optionTable } from "./engine-check.ts";
export {
  checkExtraArgs,
  type EngineOptionTable,
  type ExtraArgIssue,
  type ResolvedElement,
  resolveExtraArgs,
} from "./extra-args.ts";
export {
  CHECK_SCRIPT,
  checkArgvWithFacts,
  type FactsCheckResult,
  type FactsProblem,
  factsFileFor,
} from "./facts-check.ts";
export { EngineCallTimeoutError, type EngineHttpOptions, type EngineResponse, sendEngineCall } from "./http.ts";
export { readEngineOptions } from "./options.ts";
export {
  histogramOf,
  maxOf,
  type MetricNames,
  type PrometheusSample,
  parsePrometheusText,
  sumOf,
} from "./prometheus.ts";
export { type SleepSnapshotFacts, sleepSnapshotRecipe } from "./snapshot-recipe.ts";
export { createSpecLifecycleClient, type SpecClientSettings } from "./spec-client.ts";
export { compareVersions, versionAtLeast } from "./version.ts";
export { type WaitReadyOptions, waitUntilReady } from "./wait-ready.ts";
