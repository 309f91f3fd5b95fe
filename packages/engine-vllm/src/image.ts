import type { DeploymentViewV1, ImageRecipeV1 } from "@rouse/engine-spec";
import { engineCudaMajor } from "@rouse/engine-kit";

/**
 * CUDA devel images by CUDA major: vLLM's wheels bring their own CUDA runtime, but FlashInfer
 * and DeepGEMM compile kernels at run time with the image's nvcc, which must be the CUDA
 * major torch was built for (seed 000 used 12.9 with vLLM 0.13's torch 2.9 / CUDA 12.8).
 */
export const VLLM_BASE_IMAGES: Readonly<Record<number, string>> = {
  12: "nvidia/cuda:12.9.0-devel-ubuntu22.04",
  13: "nvidia/cuda:13.0.0-devel-ubuntu22.04",
};
/** The base image for vLLM releases on CUDA 12 (seed 000's). */
export const VLLM_DEFAULT_BASE_IMAGE = VLLM_BASE_IMAGES[12]!;
export const VLLM_DEFAULT_PYTHON = "3.12";

/**
 * The torch each vLLM release's wheel pins (Requires-Dist, read from the wheel metadata:
 * tools/engine-args/cuda_facts.py); facts.test.ts compares it with facts/cuda.json.
 */
export const VLLM_TORCH: Readonly<Record<string, string>> = {
  "0.9.1": "2.7.0",
  "0.13.0": "2.9.0",
  "0.20.0": "2.11.0",
  "0.32.0": "2.13.0",
  "0.33.0": "2.14.0",
};

/** The CUDA major vLLM `version`'s wheels need, and the devel image that matches it. */
export function vllmCuda(version: string): { cuda: number; torch: string; known: boolean; image: string } {
  const need = engineCudaMajor(VLLM_TORCH, version);
  return { ...need, image: VLLM_BASE_IMAGES[need.cuda]! };
}

export function vllmImage(config: DeploymentViewV1, version: string): ImageRecipeV1 {
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
            ref: vllmCuda(version).image,
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
