import { type DeploymentConfigV1, findEnginePlugin, servedNamesOf } from "@rouse/config";
import type { EnginePluginV1 } from "@rouse/engine-spec";

/** One config of `rouse serve --local a.yaml b.yaml`. */
export interface EngineEntry {
  readonly config: DeploymentConfigV1;
  /** Where it came from (the file), named in errors. */
  readonly source?: string;
}

export interface EngineSetIssue {
  /** The configs involved, by file (or name). */
  readonly configs: readonly string[];
  readonly message: string;
  readonly fix: string;
}

/** A set of configs that cannot run together, with every reason and its fix. */
export class EngineSetError extends Error {
  override readonly name = "EngineSetError";
  readonly issues: readonly EngineSetIssue[];
  constructor(issues: readonly EngineSetIssue[]) {
    super(
      `these configs cannot be served together:\n${issues.map((i) => `  - ${i.configs.join(", ")}: ${i.message}\n    fix: ${i.fix}`).join("\n")}`,
    );
    this.issues = issues;
  }
}

export interface MemoryPlan {
  /** Sum of `engine.gpuMemoryUtilization` per GPU index over all engines. */
  readonly usage: readonly number[];
  /** Every engine can be awake at once; otherwise they take turns (least recently used sleeps first). */
  readonly allAwake: boolean;
}

const EPSILON = 1e-9;
const label = (e: EngineEntry) => e.source ?? e.config.name;
const demandOf = (c: DeploymentConfigV1) =>
  new Array<number>(c.resources.count).fill(c.engine.gpuMemoryUtilization);

function sum(demands: readonly (readonly number[])[]): number[] {
  const out: number[] = [];
  for (const d of demands) for (const [i, v] of d.entries()) out[i] = (out[i] ?? 0) + v;
  return out;
}

const fmt = (n: number) => String(Math.round(n * 1000) / 1000);

/** GPU memory from the configs: all awake together, or turns. */
export function planMemory(entries: readonly EngineEntry[], capacity = 1): MemoryPlan {
  const usage = sum(entries.map((e) => demandOf(e.config)));
  return { usage, allAwake: usage.every((u) => u <= capacity + EPSILON) };
}

/**
 * Checks that configs can run side by side on one machine: names and served
 * model names are unique, each scale-to-zero mode is one its engine can do, fixed
 * ports differ, and the GPU memory works out — all awake together, or taking
 * turns, where only engines pinned awake (`scaling.minContainers ≥ 1`) can make
 * it impossible.
 */
export function validateEngineSet(
  entries: readonly EngineEntry[],
  plugins: readonly EnginePluginV1[],
  capacity = 1,
): EngineSetIssue[] {
  const issues: EngineSetIssue[] = [];
  const groupBy = (key: (e: EngineEntry) => readonly (string | number | undefined)[]) => {
    const seen = new Map<string | number, EngineEntry[]>();
    for (const e of entries) {
      for (const k of new Set(key(e))) {
        if (k === undefined) continue;
        seen.set(k, [...(seen.get(k) ?? []), e]);
      }
    }
    return [...seen].filter(([, list]) => list.length > 1);
  };

  for (const [name, list] of groupBy((e) => [e.config.name])) {
    issues.push({
      configs: list.map(label),
      message: `the engine name '${name}' is used more than once (it names the engine in /api/v1/engines)`,
      fix: "give each config its own `name:`",
    });
  }
  for (const [model, list] of groupBy((e) => servedNamesOf(e.config))) {
    issues.push({
      configs: list.map(label),
      message: `the served model name '${model}' is claimed by more than one engine, so requests for it could go to either`,
      fix: "set distinct `model.servedName` lists (requests pick an engine by `model`)",
    });
  }
  for (const [port, list] of groupBy((e) => [e.config.local.port])) {
    issues.push({
      configs: list.map(label),
      message: `local.port ${port} is used by more than one engine`,
      fix: "give each a different local.port, or leave it out to get a free port",
    });
  }

  for (const e of entries) {
    let plugin: EnginePluginV1;
    try {
      plugin = findEnginePlugin(plugins, e.config.engine.kind);
    } catch (error) {
      issues.push({
        configs: [label(e)],
        message: (error as Error).message,
        fix: "install the engine plugin",
      });
      continue;
    }
    const mode = e.config.local.scaleToZero;
    if (mode === "sleep" && !plugin.capabilities.sleep) {
      issues.push({
        configs: [label(e)],
        message: `${plugin.displayName} has no sleep mode, but local.scaleToZero is 'sleep'`,
        fix: "set local.scaleToZero: stop",
      });
    }
    if (mode === "suspend" && !plugin.capabilities.cudaCheckpoint) {
      issues.push({
        configs: [label(e)],
        message: `local.scaleToZero is 'suspend', but ${plugin.displayName} is not known to survive a CUDA checkpoint of its process tree`,
        fix: "set local.scaleToZero: sleep (GPU memory released by the engine) or stop",
      });
    }
  }

  // Memory: pinned engines hold their share for good; every other engine must fit beside them.
  const pinned = entries.filter((e) => e.config.scaling.minContainers >= 1);
  const pinnedUsage = sum(pinned.map((e) => demandOf(e.config)));
  if (pinnedUsage.some((u) => u > capacity + EPSILON)) {
    issues.push({
      configs: pinned.map(label),
      message: `these engines are always awake (scaling.minContainers ≥ 1) and together need ${pinnedUsage.map(fmt).join("/")} of the GPU memory (engine.gpuMemoryUtilization per GPU), more than ${capacity}`,
      fix: "lower engine.gpuMemoryUtilization so the sum is ≤ 1, or set scaling.minContainers: 0 so they can take turns",
    });
  } else {
    for (const e of entries) {
      if (pinned.includes(e)) continue;
      const together = sum([pinnedUsage, demandOf(e.config)]);
      if (together.some((u) => u > capacity + EPSILON)) {
        issues.push({
          configs: [label(e), ...pinned.map(label)],
          message: `${label(e)} needs ${fmt(e.config.engine.gpuMemoryUtilization)} of the GPU memory but the always-awake engines hold ${pinnedUsage.map(fmt).join("/")}, so it could never wake`,
          fix: "lower engine.gpuMemoryUtilization, or set scaling.minContainers: 0 on the others so they can sleep",
        });
      }
    }
  }
  return issues;
}
