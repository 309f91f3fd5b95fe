import type { ConfigIssue } from "../issues.ts";
import { GPU_TYPES, type GpuType } from "./gpu.ts";
import type { DeploymentViewV1 } from "@rouse/engine-spec";
import type { DeploymentConfigV1 } from "./schema.ts";

// Rules that span fields. Each returns issues that name the field to change
// and the change to make; errors stop generation, warnings are printed.

/**
 * Flags rouse sets itself, and the config field that controls each: the guard used only
 * when no engine plugin is at hand (the plugins resolve every element exactly as the
 * engine's parser does, prefixes and aliases included). Conservative: an element is
 * refused when its name, with `_` read as `-`, is any prefix of one of these.
 */
const OWNED_FLAGS_FALLBACK: Record<string, string> = {
  "--model": "model.id",
  "--model-path": "model.id",
  "--revision": "model.revision",
  "--served-model-name": "model.servedName",
  "--max-model-len": "model.maxModelLen",
  "--context-length": "model.maxModelLen",
  "--tensor-parallel-size": "resources.count",
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
  "--uds": "serving.port (rouse binds the engine itself)",
  "--config": "the config fields (a flags file rouse cannot check)",
  "--tool-call-parser": "model.toolCallParser",
  "--reasoning-parser": "model.reasoningParser",
  "--tokenizer-mode": "model.tokenizerMode",
  "--quantization": "model.quantization",
};
const SHORT_FLAGS_FALLBACK = new Set(["-tp", "-q", "-sc", "-h"]);

export function ownedFlagFallbackIssues(config: DeploymentConfigV1): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  config.engine.extraArgs.forEach((arg, i) => {
    if (!arg.startsWith("-")) return;
    const name = arg.split("=")[0]!.split(".")[0]!.replaceAll("_", "-");
    const owned = name.startsWith("--")
      ? Object.entries(OWNED_FLAGS_FALLBACK).find(([flag]) => name.length > 2 && flag.startsWith(name))
      : [...SHORT_FLAGS_FALLBACK].some((s) => s.startsWith(name) || name.startsWith(s))
        ? [name, "a config field (short options rouse cannot resolve without the engine plugin)"]
        : undefined;
    if (owned) {
      issues.push({
        severity: "error",
        code: "owned_flag",
        path: ["engine", "extraArgs", i],
        message: `${JSON.stringify(arg)} can set ${owned[0]}, which rouse sets from ${owned[1]}`,
        fix: `remove it and set ${owned[1]}`,
      });
    }
  });
  return issues;
}

/** Where an engine runs FP8 checkpoints, read from its source (tools/engine-args/FACTS.md). */
export interface Fp8Support {
  /** Lowest compute capability × 10 the engine loads FP8 checkpoints on. */
  readonly minCapability: number;
  /** From here FP8 runs on tensor cores; below it, weight-only (Marlin): fits, but slower. */
  readonly fullSpeedCapability: number;
  /** `file:line` in the engine source. */
  readonly source: string;
}

/** Used only without an engine plugin: vLLM 0.33 / SGLang 0.5.23 (see FACTS.md). */
const FP8_FALLBACK: Record<string, Fp8Support> = {
  vllm: { minCapability: 75, fullSpeedCapability: 89, source: "vllm/model_executor/layers/quantization/fp8.py" },
  sglang: { minCapability: 80, fullSpeedCapability: 89, source: "sglang/srt/layers/quantization/fp8.py" },
};

/** An FP8 checkpoint on a GPU the engine cannot run it on is an error; weight-only is a warning. */
export function fp8Issues(config: Pick<DeploymentViewV1, "model" | "resources">, support: Fp8Support, engine: string): ConfigIssue[] {
  if (!isFp8Model(config)) return [];
  const gpu = config.resources.gpu as GpuType;
  const cc = GPU_TYPES[gpu].computeCapability;
  const shown = (c: number) => `${Math.floor(c / 10)}.${c % 10}`;
  if (cc < support.minCapability) {
    const ok = Object.entries(GPU_TYPES)
      .filter(([, g]) => g.computeCapability >= support.minCapability)
      .map(([name]) => name);
    return [
      {
        severity: "error",
        code: "fp8_gpu",
        path: ["resources", "gpu"],
        message: `${config.model.id} is an FP8 model; ${engine} runs FP8 from compute capability ${shown(support.minCapability)} (${support.source}), and ${gpu} is ${shown(cc)}`,
        fix: `use one of ${ok.join(", ")}, or a non-FP8 checkpoint`,
      },
    ];
  }
  if (cc < support.fullSpeedCapability) {
    return [
      {
        severity: "warning",
        code: "fp8_weight_only",
        path: ["resources", "gpu"],
        message: `${gpu} (compute capability ${shown(cc)}) has no FP8 tensor cores: ${engine} runs ${config.model.id} weight-only (FP8 weights, 16-bit math through Marlin kernels) — it fits in less memory, but is slower than on ${shown(support.fullSpeedCapability)}+ GPUs (L4, L40S, H100, H200, B200)`,
        fix: "use an FP8-capable GPU for full speed, or accept the slower kernels",
      },
    ];
  }
  return [];
}

/** Engine rules without the engine plugin: the static owned-flag guard and FP8 at the pinned versions. */
export function fallbackEngineIssues(config: DeploymentConfigV1): ConfigIssue[] {
  const support = FP8_FALLBACK[config.engine.kind];
  return [...ownedFlagFallbackIssues(config), ...(support ? fp8Issues(config, support, config.engine.kind) : [])];
}

/** Volumes each engine mounts (caches.deepgemm is SGLang's only). */
const MOUNTED_CACHES = { vllm: ["weights", "compile"], sglang: ["weights", "compile", "deepgemm"] } as const;

export function isFp8Model(config: Pick<DeploymentViewV1, "model">): boolean {
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
  // Modal's SDK refuses these at deploy or image build (python/tests/codegen/test_rejected.py
  // shows both sides). modal/_utils/mount_utils.py validate_volumes: "The same Volume
  // cannot be mounted in multiple locations for the same function".
  const mounted = new Map<string, string>();
  for (const role of MOUNTED_CACHES[engine.kind]) {
    const name = config.caches[role];
    if (name === undefined) continue;
    const first = mounted.get(name);
    if (first) {
      err(
        "volume_mounted_twice",
        ["caches", role],
        `caches.${first} and caches.${role} both name the Volume '${name}', and Modal mounts a Volume at one path per function`,
        `give caches.${role} a Volume name of its own`,
      );
    } else mounted.set(name, role);
  }
  // Image.env writes one Dockerfile `ENV KEY=<shlex-quoted value>` line per variable
  // (modal/_image.py, _Image.env): a line break inside a value ends the instruction.
  for (const [name, value] of Object.entries(config.env)) {
    if (/[\r\n]/.test(value)) {
      err(
        "env_line_break",
        ["env", name],
        `env.${name} contains a line break, which Modal's image builder cannot carry (one Dockerfile ENV line per variable)`,
        `put env.${name} on one line, or pass multi-line values through a Modal secret`,
      );
    }
  }
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

  if (model.id.startsWith("/") && !config.caches.bakeWeights) {
    warn(
      "local_model_path",
      ["model", "id"],
      `${model.id} is a path: on Modal it must exist inside the container (baked into engine.image or on a mounted Volume); \`rouse serve --local\` reads it from this machine`,
      "use a Hugging Face repo id for Modal deployments, or make sure the image or a Volume holds the weights at that path",
    );
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
