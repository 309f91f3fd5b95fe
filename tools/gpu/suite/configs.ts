import { writeFileSync } from "node:fs";
import { type DeploymentConfigV1Input, findPreset, validateDeployment } from "@rouse/config";

// The configs the GPU run uses: a built-in preset with the model swapped for the
// 8B-shaped dummy (../shared/gpu/device/mk-llama8b.py), at the engine version the
// carry holds. Every change to the preset is listed in `changes` with its reason, so
// the results can say what differed from the preset.

export type Engine = "vllm" | "sglang";
export type Role = "lifecycle" | "serve-local" | "recipe";

export interface GpuConfigOptions {
  readonly engine: Engine;
  readonly model: string;
  readonly servedName: string;
  readonly role: Role;
  readonly mode?: "sleep" | "suspend" | "stop";
  readonly gpuMemoryUtilization?: number;
  /** vLLM `--enforce-eager` / SGLang without CUDA graphs. */
  readonly eager?: boolean;
  /** Real random weights on disk instead of `--load-format dummy` (vLLM L2 reload needs files). */
  readonly realWeights?: boolean;
}

/** The engine versions in ../shared/gpu's carries (the device's torch 2.11 pins them). */
export const CARRY_VERSION: Record<Engine, string> = { vllm: "0.20.0", sglang: "0.5.16" };
/** `python3 -m …`: the carries install no console scripts. */
export const CARRY_EXECUTABLE: Record<Engine, string[]> = {
  vllm: ["python3", "-m", "vllm.entrypoints.cli.main"],
  sglang: ["python3", "-m", "sglang.launch_server"],
};
/** Preset per engine: the default (vLLM) and seed 004's (SGLang). */
export const PRESET: Record<Engine, string> = { vllm: "default", sglang: "qwen3-sglang-snapshot" };

export function gpuConfig(options: GpuConfigOptions): { config: DeploymentConfigV1Input; changes: string[] } {
  const preset = findPreset(PRESET[options.engine]);
  if (!preset) throw new Error(`no preset ${PRESET[options.engine]}`);
  const config = structuredClone(preset.config) as DeploymentConfigV1Input & Record<string, unknown>;
  const changes: string[] = [];
  const change = (what: string, why: string) => changes.push(`${what}: ${why}`);

  config.name = `gpu-${options.engine}-${options.role}${options.mode ? `-${options.mode}` : ""}`;
  const { revision: _r, reasoningParser: _p, ...model } = config.model as Record<string, unknown>;
  config.model = {
    ...model,
    id: options.model,
    servedName: [options.servedName],
    maxModelLen: 4096,
    ...(options.realWeights ? {} : { loadFormat: "dummy" }),
  } as DeploymentConfigV1Input["model"];
  change("model.id", "the 8B-shaped Llama from mk-llama8b.py (the device has no network, so no hub model)");
  change(
    "model.revision, model.reasoningParser",
    "a local directory has no revision; its tokenizer has no <think> tokens",
  );
  change("model.maxModelLen 4096", "as the carry's measurements");
  if (!options.realWeights)
    change("model.loadFormat dummy", "random weights in GPU memory, no 16 GB file to read");
  const engine = { ...(config.engine as Record<string, unknown>) };
  engine.version = CARRY_VERSION[options.engine];
  change(
    `engine.version ${engine.version}`,
    "the release in ../shared/gpu's carry (the device's torch 2.11 pins it)",
  );
  delete engine.image;
  delete engine.packages;
  if (options.gpuMemoryUtilization !== undefined) {
    engine.gpuMemoryUtilization = options.gpuMemoryUtilization;
    change(
      `engine.gpuMemoryUtilization ${options.gpuMemoryUtilization}`,
      "budget: fewer bytes to sleep/checkpoint, or two engines share the GPU",
    );
  }
  if (options.eager !== undefined) engine.fastBoot = options.eager;
  if (options.engine === "sglang") {
    engine.maxNumSeqs = 8;
    change(
      "engine.maxNumSeqs 8",
      "budget: CUDA graphs for batch sizes up to 8 (the preset's 1000 would capture for minutes)",
    );
    engine.extraArgs = ["--attention-backend", "triton", "--sampling-backend", "pytorch"];
    change(
      "engine.extraArgs --attention-backend triton --sampling-backend pytorch",
      "carry limit: the SGLang carry leaves out FA3 flash_ops and flashinfer's prebuilt kernels",
    );
  }
  config.engine = engine as DeploymentConfigV1Input["engine"];
  // ROUSE_GPU_ENGINE_EXECUTABLE: the local tests run the STAND-IN engine here (tools/engine-standin).
  const standin = process.env.ROUSE_GPU_ENGINE_EXECUTABLE?.trim();
  config.local = {
    scaleToZero: options.mode ?? "sleep",
    executable: standin ? standin.split(/\s+/) : CARRY_EXECUTABLE[options.engine],
  };
  change(
    "local.executable",
    standin
      ? `STAND-IN engine (${standin}), not a real engine`
      : "the carry has no console script; `python3 -m` runs the same entry point",
  );
  if (options.role === "serve-local") {
    config.scaling = { ...(config.scaling ?? {}), scaledownWindow: 3 };
    change("scaling.scaledownWindow 3", "budget: scale to zero after 3 s idle");
  }
  const checked = validateDeployment(config);
  if (!checked.ok)
    throw new Error(`config invalid: ${JSON.stringify(checked.issues ?? checked).slice(0, 800)}`);
  return { config, changes };
}

export function writeGpuConfig(file: string, options: GpuConfigOptions): string[] {
  const { config, changes } = gpuConfig(options);
  writeFileSync(
    file,
    `# Written by tools/gpu/suite (gpu-suite config): preset ${PRESET[options.engine]} with:\n${changes
      .map((c) => `#   ${c}`)
      .join("\n")}\n# (JSON is YAML)\n${JSON.stringify(config, null, 2)}\n`,
  );
  return changes;
}
