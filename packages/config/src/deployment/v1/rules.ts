import type { ConfigIssue } from "../issues.ts";
import { GPU_TYPES, type GpuType, supportsFp8 } from "./gpu.ts";
import type { DeploymentConfigV1 } from "./schema.ts";

// Rules that span fields. Each returns issues that name the field to change
// and the change to make; errors stop generation, warnings are printed.

/** Flags rouse sets itself, and the config field that controls each. */
const OWNED_FLAGS: Record<string, string> = {
  "--model": "model.id",
  "--model-path": "model.id",
  "--revision": "model.revision",
  "--served-model-name": "model.servedName",
  "--max-model-len": "model.maxModelLen",
  "--context-length": "model.maxModelLen",
  "--tensor-parallel-size": "resources.count",
  "--tp": "resources.count",
  "--tp-size": "resources.count",
  "--gpu-memory-utilization": "engine.gpuMemoryUtilization",
  "--mem-fraction-static": "engine.gpuMemoryUtilization",
  "--max-num-seqs": "engine.maxNumSeqs",
  "--max-running-requests": "engine.maxNumSeqs",
  "--max-num-batched-tokens": "engine.maxBatchedTokens",
  "--enforce-eager": "engine.fastBoot",
  "--no-enforce-eager": "engine.fastBoot",
  "--enable-sleep-mode": "snapshot.enabled",
  "--enable-memory-saver": "snapshot.enabled",
  "--speculative-config": "engine.speculative",
  "--api-key": "secrets.apiKey",
  "--host": "serving.port (rouse binds the engine itself)",
  "--port": "serving.port",
  "--tool-call-parser": "model.toolCallParser",
  "--reasoning-parser": "model.reasoningParser",
  "--tokenizer-mode": "model.tokenizerMode",
  "--quantization": "model.quantization",
};

export function isFp8Model(config: DeploymentConfigV1): boolean {
  return config.model.quantization?.toLowerCase() === "fp8" || /(^|[-_/.])fp8($|[-_/.])/i.test(config.model.id);
}

export function crossFieldIssues(config: DeploymentConfigV1): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const err = (code: string, path: (string | number)[], message: string, fix: string) =>
    issues.push({ severity: "error", code, path, message, fix });
  const warn = (code: string, path: (string | number)[], message: string, fix?: string) =>
    issues.push(fix ? { severity: "warning", code, path, message, fix } : { severity: "warning", code, path, message });

  const gpu = config.resources.gpu as GpuType;
  const { snapshot, scaling, engine, model } = config;

  if (snapshot.gpu && !snapshot.enabled) {
    err(
      "gpu_snapshot_needs_snapshot",
      ["snapshot", "gpu"],
      "GPU memory snapshots are taken on top of CPU memory snapshots",
      "set snapshot.enabled: true, or snapshot.gpu: false",
    );
  }
  if (isFp8Model(config) && !supportsFp8(gpu)) {
    err(
      "fp8_gpu",
      ["resources", "gpu"],
      `${model.id} is an FP8 model, and ${gpu} (${GPU_TYPES[gpu].architecture}) has no FP8 tensor cores`,
      "use an FP8-capable GPU (H100, H100!, H200, B200, L40S, L4) or a non-FP8 checkpoint",
    );
  }
  if (config.resources.count > GPU_TYPES[gpu].maxCount) {
    err(
      "gpu_count",
      ["resources", "count"],
      `Modal attaches at most ${GPU_TYPES[gpu].maxCount} ${gpu} GPUs to one container`,
      `set resources.count to ${GPU_TYPES[gpu].maxCount} or less`,
    );
  }
  if (scaling.targetInputs !== undefined && scaling.targetInputs > scaling.maxInputs) {
    err(
      "target_above_max",
      ["scaling", "targetInputs"],
      `targetInputs (${scaling.targetInputs}) is above maxInputs (${scaling.maxInputs})`,
      "lower scaling.targetInputs or raise scaling.maxInputs",
    );
  }
  if (scaling.maxContainers !== undefined && scaling.minContainers > scaling.maxContainers) {
    err(
      "min_above_max",
      ["scaling", "minContainers"],
      `minContainers (${scaling.minContainers}) is above maxContainers (${scaling.maxContainers})`,
      "lower scaling.minContainers or raise scaling.maxContainers",
    );
  }
  engine.extraArgs.forEach((arg, i) => {
    const flag = arg.split("=")[0]!;
    const owner = OWNED_FLAGS[flag] ?? OWNED_FLAGS[flag.replaceAll("_", "-")];
    if (owner) {
      err("owned_flag", ["engine", "extraArgs", i], `${flag} is set by rouse from ${owner}`, `remove it and set ${owner}`);
    }
  });
  if (engine.kind === "sglang" && model.servedName && model.servedName.length > 1) {
    err(
      "sglang_one_name",
      ["model", "servedName"],
      "SGLang's --served-model-name takes one name",
      "list a single name in model.servedName",
    );
  }
  if (model.id.startsWith("/") && config.caches.bakeWeights) {
    err("bake_local_path", ["caches", "bakeWeights"], "a local path cannot be downloaded into an image", "use a Hugging Face repo id or set caches.bakeWeights: false");
  }

  if (!model.revision && !model.id.startsWith("/")) {
    warn(
      "no_revision",
      ["model", "revision"],
      "no revision pinned: the model repo can change under a deployed service",
      "set model.revision to a commit hash",
    );
  }
  if (snapshot.enabled && config.resources.count > 1) {
    warn(
      "snapshot_multi_gpu",
      ["snapshot", "enabled"],
      "Modal documents GPU snapshots as mostly incompatible with multi-GPU containers",
      "test restores before relying on them, or set snapshot.enabled: false",
    );
  }
  if (snapshot.enabled && engine.fastBoot) {
    warn(
      "fast_boot_with_snapshot",
      ["engine", "fastBoot"],
      "eager mode gives up compilation and CUDA graphs, which a snapshot would have preserved for free",
      "set engine.fastBoot: false when snapshots are on",
    );
  }
  if (!config.secrets.apiKey && !config.serving.proxyAuth) {
    warn(
      "open_endpoint",
      ["secrets", "apiKey"],
      "no API key and no proxy auth: anyone with the URL can use the endpoint",
      "create a Modal secret with the key and set secrets.apiKey, or set serving.proxyAuth: true",
    );
  }
  if (engine.kind === "vllm" && config.caches.deepgemm) {
    warn("deepgemm_unused", ["caches", "deepgemm"], "the DeepGEMM cache is used by SGLang only", "remove caches.deepgemm");
  }
  return issues;
}
