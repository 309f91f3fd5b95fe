import { modalGpuString, type GpuType } from "./gpu.ts";
import type { DeploymentViewV1 } from "@rouse/engine-spec";

// Values derived from a validated config that more than one package needs. They take
// the plugin's view of the config (@rouse/engine-spec), so engine plugins can call them.

/** Names clients may send as `model`. SGLang takes one; vLLM several. */
export function servedNamesOf(config: DeploymentViewV1): string[] {
  if (config.model.servedName) return [...config.model.servedName];
  return config.engine.kind === "sglang" ? [config.model.id] : [config.model.id, "llm"];
}

/** Multiple GPUs in one container are used for tensor parallelism. */
export function tensorParallelOf(config: DeploymentViewV1): number {
  return config.resources.count;
}

export function gpuStringOf(config: DeploymentViewV1): string {
  return modalGpuString(config.resources.gpu as GpuType, config.resources.count);
}

/** Per-modality limits when multimodal input is on, `undefined` when off. */
export function multimodalLimitsOf(config: DeploymentViewV1): Record<string, number> | undefined {
  const mm = config.model.multimodal;
  if (mm === false) return undefined;
  if (mm === true) return {};
  return { ...(mm.limits ?? {}) };
}
