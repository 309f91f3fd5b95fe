import { findEnginePlugin } from "@rouse/config";
import type { EnginePluginV1 } from "@rouse/engine-spec";
import { installedEngines } from "@rouse/engines";
import { detectGpu, type GpuPresence } from "../preflight/gpu.ts";
import type { SupervisorEvent } from "../supervisor/events.ts";
import type { EngineSnapshot } from "../supervisor/snapshot.ts";
import { EngineSupervisor, type SupervisorOptions } from "../supervisor/supervisor.ts";
import {
  type CheckpointCommand,
  defaultCheckpointCommand,
  runCheckpoint,
} from "../suspend/cuda-checkpoint.ts";
import {
  type EngineEntry,
  EngineSetError,
  type MemoryPlan,
  planMemory,
  validateEngineSet,
} from "./engine-set.ts";
import { MemoryBudget } from "./memory-budget.ts";

export interface LocalEnginesOptions {
  /** Default: vLLM and SGLang. */
  readonly plugins?: readonly EnginePluginV1[];
  /** Per-engine supervisor settings (tests: short windows, the stand-in executable). */
  readonly supervisor?: (entry: EngineEntry) => Partial<Omit<SupervisorOptions, "config" | "plugin">>;
  readonly onEvent?: (event: SupervisorEvent) => void;
  /** Used by suspend mode; checked before anything starts. */
  readonly checkpoint?: CheckpointCommand;
  /** Whether this machine has a GPU (sleep and suspend need one). Default: `detectGpu()`. */
  readonly gpu?: GpuPresence;
}

export interface FleetSnapshot {
  readonly engines: readonly EngineSnapshot[];
  readonly memory: MemoryPlan & { readonly capacity: number; readonly holders: readonly string[] };
}

/**
 * The engines of one `rouse serve --local`: a supervisor per config, sharing one
 * GPU memory budget, found by served model name.
 */
export class LocalEngines {
  readonly supervisors: readonly EngineSupervisor[];
  readonly budget: MemoryBudget;
  readonly plan: MemoryPlan;
  readonly #byModel = new Map<string, EngineSupervisor>();
  readonly #byName = new Map<string, EngineSupervisor>();

  private constructor(supervisors: EngineSupervisor[], budget: MemoryBudget, plan: MemoryPlan) {
    this.supervisors = supervisors;
    this.budget = budget;
    this.plan = plan;
    for (const s of supervisors) {
      this.#byName.set(s.name, s);
      for (const m of s.models) this.#byModel.set(m, s);
    }
  }

  /**
   * Validates the set (throws EngineSetError naming the configs and the fix),
   * checks that suspend can work here if any engine uses it, and builds the
   * supervisors. Nothing is started yet: call `start()`.
   */
  static async create(
    entries: readonly EngineEntry[],
    options: LocalEnginesOptions = {},
  ): Promise<LocalEngines> {
    const plugins = options.plugins ?? installedEngines;
    if (entries.length === 0) throw new Error("no engine configs given");
    const issues = validateEngineSet(entries, plugins);
    const gpu = options.gpu ?? detectGpu();
    // Sleep mode and CUDA checkpoints need a GPU: refuse now instead of after a boot.
    const needGpu = entries.filter((e) => e.config.local.scaleToZero !== "stop");
    if (!gpu.present && needGpu.length > 0) {
      for (const mode of ["sleep", "suspend"] as const) {
        const these = needGpu.filter((e) => e.config.local.scaleToZero === mode);
        if (these.length === 0) continue;
        issues.push({
          configs: these.map((e) => e.source ?? e.config.name),
          message: `local.scaleToZero is '${mode}', but this machine has no GPU (${gpu.how}); ${mode === "sleep" ? "engine sleep mode frees GPU memory" : "a CUDA checkpoint moves GPU memory"}, so there is nothing to ${mode}`,
          fix: "set local.scaleToZero: stop (the engine exits when idle and cold-starts on the next request)",
        });
      }
    }
    const suspending = entries.filter((e) => e.config.local.scaleToZero === "suspend");
    const checkpoint = options.checkpoint ?? defaultCheckpointCommand();
    if (suspending.length > 0 && issues.length === 0 && gpu.present) {
      const why = await suspendUnsupported(checkpoint);
      if (why) {
        issues.push({
          configs: suspending.map((e) => e.source ?? e.config.name),
          message: `local.scaleToZero is 'suspend', but this machine cannot take CUDA checkpoints: ${why}`,
          fix: "set local.scaleToZero: sleep (engine sleep mode) or stop; suspend needs an NVIDIA driver ≥ 570 and cuda-bindings",
        });
      }
    }
    if (issues.length > 0) throw new EngineSetError(issues);
    const budget = new MemoryBudget();
    const supervisors = entries.map(
      (entry) =>
        new EngineSupervisor({
          config: entry.config,
          plugin: findEnginePlugin(plugins, entry.config.engine.kind),
          ...(entry.source ? { source: entry.source } : {}),
          memory: budget,
          checkpoint,
          gpu,
          ...(options.onEvent ? { onEvent: options.onEvent } : {}),
          ...options.supervisor?.(entry),
        }),
    );
    return new LocalEngines(supervisors, budget, planMemory(entries));
  }

  byModel(model: string): EngineSupervisor | undefined {
    return this.#byModel.get(model);
  }
  byName(name: string): EngineSupervisor | undefined {
    return this.#byName.get(name);
  }
  models(): string[] {
    return [...this.#byModel.keys()];
  }

  /**
   * Preloads engines in config order while they fit in GPU memory together; the
   * rest start on their first request.
   */
  start(): void {
    const awake: EngineSupervisor[] = [];
    for (const s of this.supervisors) {
      const usage = MemoryBudget.usage([...awake, s]);
      if (usage.every((u) => u <= this.budget.capacity + 1e-9)) {
        awake.push(s);
        s.start();
      }
    }
  }

  snapshot(options: { history?: number } = {}): FleetSnapshot {
    return {
      engines: this.supervisors.map((s) => s.snapshot(options)),
      memory: { ...this.plan, capacity: this.budget.capacity, holders: this.budget.holders() },
    };
  }

  /** Stops every engine (requests in flight get `drainTimeoutMs` to finish). */
  async close(options: { drainTimeoutMs?: number } = {}): Promise<void> {
    await Promise.all(this.supervisors.map((s) => s.close(options)));
  }
}

/** Why suspend cannot work on this machine, or undefined when the checkpoint API is there. */
export async function suspendUnsupported(command: CheckpointCommand): Promise<string | undefined> {
  // `state` of a process without CUDA answers 4 when the driver API works, 3 when it is missing.
  const result = await runCheckpoint(command, "state", { pid: process.pid, timeoutMs: 60_000 });
  if (result.verdict === "unavailable") return result.detail;
  if (result.exitCode === null) return `the checkpoint command could not run: ${result.detail}`;
  return undefined;
}
