import type { DeploymentViewV1, SnapshotRecipeV1 } from "@rouse/engine-spec";

/** What differs between engines in the snapshot recipe: the module to pre-import and the image env. */
export interface SleepSnapshotFacts {
  /** The engine's server module, imported once before a CPU-only snapshot (files read, byte-compiled). */
  readonly serverModule: string;
  /** Image env the GPU-snapshot recipe needs, each with its reason. */
  readonly env: SnapshotRecipeV1["env"];
}

/**
 * The recipe of an engine with a sleep mode, by snapshot setting:
 * - off: start and wait, nothing after restore;
 * - CPU-only: Modal gives the snap=True phase no GPU, so nothing there may touch CUDA: import the
 *   engine and fetch the weights before the snapshot, start the engine after restore;
 * - CPU+GPU: warm up first (compiled kernels and CUDA graphs land in the snapshot), record the canary
 *   awake, then sleep so the snapshot holds little GPU memory; after restore wake, wait, replay the canary.
 */
export function sleepSnapshotRecipe(config: DeploymentViewV1, facts: SleepSnapshotFacts): SnapshotRecipeV1 {
  if (!config.snapshot.enabled) return { beforeSnapshot: ["start", "waitReady"], afterRestore: [], env: [] };
  if (!config.snapshot.gpu) {
    return {
      beforeSnapshot: ["prepare"],
      afterRestore: ["start", "waitReady"],
      prepare: { imports: ["torch", facts.serverModule] },
      env: [],
    };
  }
  return {
    beforeSnapshot: ["start", "waitReady", "warmup", "canary", "sleep"],
    afterRestore: ["wake", "waitReady", "canary"],
    env: facts.env,
  };
}
