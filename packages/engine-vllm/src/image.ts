import type { DeploymentConfigV1, ImageRecipeV1 } from "@rouse/config";

/** CUDA devel image: vLLM's wheels bring their own CUDA runtime, FlashInfer JIT needs nvcc (seed 000). */
export const VLLM_DEFAULT_BASE_IMAGE = "nvidia/cuda:12.9.0-devel-ubuntu22.04";
export const VLLM_DEFAULT_PYTHON = "3.12";

export function vllmImage(config: DeploymentConfigV1, version: string): ImageRecipeV1 {
  const { engine } = config;
  const base: ImageRecipeV1["base"] =
    engine.image === "debian_slim"
      ? { kind: "debian_slim", python: engine.pythonVersion ?? VLLM_DEFAULT_PYTHON }
      : engine.image
        ? // A user's image may bring its own Python; add one only when asked.
          {
            kind: "registry",
            ref: engine.image,
            ...(engine.pythonVersion ? { addPython: engine.pythonVersion } : {}),
          }
        : {
            kind: "registry",
            ref: VLLM_DEFAULT_BASE_IMAGE,
            addPython: engine.pythonVersion ?? VLLM_DEFAULT_PYTHON,
          };
  return {
    base,
    // Registry images start chatty entrypoints; Modal runs our command instead.
    clearEntrypoint: base.kind === "registry",
    packages: [`vllm==${version}`, ...engine.packages],
    ...(engine.extraIndexUrl ? { extraIndexUrl: engine.extraIndexUrl } : {}),
    env: [
      {
        name: "HF_XET_HIGH_PERFORMANCE",
        value: "1",
        why: "Hugging Face's Xet backend saturates the network when downloading weights",
      },
    ],
    buildSteps: [],
    caches: [
      {
        role: "weights",
        path: "/root/.cache/huggingface",
        description: "Hugging Face Hub cache: model weights and tokenizer",
      },
      {
        role: "compile",
        path: "/root/.cache/vllm",
        description: "vLLM's torch.compile and CUDA-graph artifacts, reused by later cold starts",
      },
    ],
  };
}
