import { modalGpuString, type GpuType } from "./gpu.ts";
import type { DeploymentConfigV1 } from "./schema.ts";

// Values derived from a validated config that more than one package needs.

/** Names clients may send as `model`. SGLang takes one; vLLM several. */
export function servedNamesOf(config: DeploymentConfigV1): string[] {
  if (config.model.servedName) return [...config.model.servedName];
  return config.engine.kind === "sglang" ? [config.model.id] : [config.model.id, "llm"];
}

/** Multiple GPUs in one container are used for tensor parallelism. */
export function tensorParallelOf(config: DeploymentConfigV1): number {
  return config.resources.count;
}

export function gpuStringOf(config: DeploymentConfigV1): string {
  return modalGpuString(config.resources.gpu as GpuType, config.resources.count);
}

/** Per-modality limits when multimodal input is on, `undefined` when off. */
export function multimodalLimitsOf(config: DeploymentConfigV1): Record<string, number> | undefined {
  const mm = config.model.multimodal;
  if (mm === false) return undefined;
  if (mm === true) return {};
  return { ...(mm.limits ?? {}) };
}
