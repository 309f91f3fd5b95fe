import { GPU_TYPES, type GpuType, isFp8Model, tensorParallelOf } from "@rouse/config";
import type { DeploymentViewV1, ImageRecipeV1 } from "@rouse/engine-spec";
import { engineCudaMajor, flagValue } from "@rouse/engine-kit";

export const SGLANG_WEIGHTS_PATH = "/root/.cache/huggingface";
export const SGLANG_DEEPGEMM_PATH = "/root/.cache/deepgemm";
/** SGLang's own cache root (SGLANG_CACHE_DIR, default ~/.cache/sglang), mounted for caches.compile. */
export const SGLANG_COMPILE_PATH = "/root/.cache/sglang";

/**
 * The torch each SGLang release's wheel pins (Requires-Dist, read from the wheel metadata:
 * tools/engine-args/cuda_facts.py); facts.test.ts compares it with facts/cuda.json.
 */
export const SGLANG_TORCH: Readonly<Record<string, string>> = {
  "0.5.6.post2": "2.9.1",
  "0.5.16": "2.11.0",
  "0.5.23": "2.14.1",
};

/** The CUDA major SGLang `version`'s wheels need. */
export function sglangCuda(version: string): { cuda: number; torch: string; known: boolean } {
  return engineCudaMajor(SGLANG_TORCH, version);
}

/**
 * The SGLang team's runtime image on Docker Hub (tag pattern from seed 004), built for the
 * CUDA major the release's wheels need: `-cu129-` for CUDA 12, `-cu130-` for CUDA 13.
 */
export function sglangDefaultImage(version: string): string {
  const cuda = sglangCuda(version).cuda === 13 ? "cu130" : "cu129";
  return `lmsysorg/sglang:v${version}-${cuda}-amd64-runtime`;
}

/**
 * DeepGEMM is SGLang's FP8 GEMM backend on Hopper and Blackwell, JIT-compiled on first
 * use; precompiling at build time (on the deployment's GPU) keeps that out of cold starts.
 * Other models or GPUs never run it, so the step would only cost build time.
 */
export function usesDeepGemm(config: DeploymentViewV1): boolean {
  const arch = GPU_TYPES[config.resources.gpu as GpuType].architecture;
  return isFp8Model(config) && (arch === "hopper" || arch === "blackwell");
}

export function sglangImage(config: DeploymentViewV1, version: string): ImageRecipeV1 {
  const { engine, model } = config;
  const slim = engine.image === "debian_slim";
  const deepGemm = usesDeepGemm(config);
  const compile = ["python3", "-m", "sglang.compile_deep_gemm", flagValue("--model-path", model.id)];
  if (model.revision) compile.push(flagValue("--revision", model.revision));
  compile.push("--tp-size", String(tensorParallelOf(config)));
  if (model.quantization) compile.push(flagValue("--quantization", model.quantization));
  if (model.trustRemoteCode) compile.push("--trust-remote-code");
  return {
    base: slim
      ? { kind: "debian_slim", python: engine.pythonVersion ?? "3.12" }
      : {
          kind: "registry",
          ref: engine.image ?? sglangDefaultImage(version),
          ...(engine.pythonVersion ? { addPython: engine.pythonVersion } : {}),
        },
    // The runtime image's entrypoint is chatty; Modal runs our command instead.
    clearEntrypoint: !slim,
    // The SGLang image ships the engine; a slim image needs it installed.
    packages: [...(slim ? [`sglang==${version}`] : []), ...engine.packages],
    ...(engine.extraIndexUrl ? { extraIndexUrl: engine.extraIndexUrl } : {}),
    env: [
      { name: "HF_HUB_CACHE", value: SGLANG_WEIGHTS_PATH, why: "weights land in the mounted weights volume" },
      {
        name: "HF_XET_HIGH_PERFORMANCE",
        value: "1",
        why: "Hugging Face's Xet backend saturates the network when downloading weights",
      },
      // caches.compile: torch.compile (Inductor) and Triton kernels go to the mounted volume.
      // 0.5.23 points both under SGLANG_CACHE_DIR by itself (sglang/srt/environ.py,
      // third_party_cache_defaults); older releases leave them in /tmp, so all three are set.
      ...(config.caches.compile
        ? [
            { name: "SGLANG_CACHE_DIR", value: SGLANG_COMPILE_PATH, why: "SGLang's caches land in the compile volume" },
            {
              name: "TORCHINDUCTOR_CACHE_DIR",
              value: `${SGLANG_COMPILE_PATH}/inductor`,
              why: "torch.compile artifacts (--enable-torch-compile) land in the compile volume",
            },
            {
              name: "TRITON_CACHE_DIR",
              value: `${SGLANG_COMPILE_PATH}/triton`,
              why: "Triton kernels land in the compile volume, reused by later cold starts",
            },
          ]
        : []),
      ...(deepGemm
        ? [
            {
              name: "SGLANG_ENABLE_JIT_DEEPGEMM",
              value: "1",
              why: "FP8 on Hopper/Blackwell: DeepGEMM kernels, precompiled at build time (on by default; explicit)",
            },
            {
              // SGLang's default is ~/.cache/deep_gemm (≤ 0.5.15) or ~/.cache/sglang/deep_gemm (≥ 0.5.19):
              // neither is the volume's mount point, so seed 004's volume never received the kernels.
              name: "SGLANG_DG_CACHE_DIR",
              value: SGLANG_DEEPGEMM_PATH,
              why: "DeepGEMM's JIT cache goes to the mounted deepgemm volume, on every SGLang version",
            },
          ]
        : []),
    ],
    buildSteps: deepGemm
      ? [
          {
            name: "compile_deep_gemm",
            description:
              "Precompile DeepGEMM FP8 kernels for this model and tensor-parallel size on the deployment's GPU",
            argv: compile,
            onlyIfEnv: "SGLANG_ENABLE_JIT_DEEPGEMM",
            gpu: true,
            volumes: ["weights", "deepgemm"],
          },
        ]
      : [],
    caches: [
      {
        role: "weights",
        path: SGLANG_WEIGHTS_PATH,
        description: "Hugging Face Hub cache (HF_HUB_CACHE): model weights",
      },
      {
        role: "compile",
        path: SGLANG_COMPILE_PATH,
        description: "SGLang's compile caches: torch.compile (Inductor) and Triton kernels",
      },
      {
        role: "deepgemm",
        path: SGLANG_DEEPGEMM_PATH,
        description: "DeepGEMM JIT kernels (SGLANG_DG_CACHE_DIR)",
      },
    ],
  };
}
