import type { DeploymentConfigV1Input } from "../deployment/v1/schema.ts";

export interface Preset {
  readonly name: string;
  readonly description: string;
  /** The seed system (../shared/seeds/) this preset reproduces. */
  readonly seed?: string;
  readonly config: DeploymentConfigV1Input;
}

const MINUTES = 60;

/** The built-in default: Qwen3-8B FP8 on vLLM with CPU+GPU snapshots on one H100. */
export const defaultPreset: Preset = {
  name: "default",
  description: "Qwen3-8B (FP8) on vLLM, one H100, CPU+GPU memory snapshots, API key from a Modal secret",
  config: {
    version: 1,
    name: "rouse-qwen3-8b",
    model: { id: "Qwen/Qwen3-8B-FP8", revision: "220b46e3b2180893580a4454f21f22d3ebb187d3", reasoningParser: "qwen3" },
    engine: { kind: "vllm" },
    resources: { gpu: "H100", count: 1 },
    caches: { compile: "vllm-cache" },
    secrets: { apiKey: "rouse-api-key" },
  },
};

export const seedPresets: readonly Preset[] = [
  {
    name: "ministral3-vllm-snapshot",
    seed: "000_af8fc2d5fbc5360d",
    description: "Ministral 3 8B (FP8, vision) on vLLM 0.13 with sleep mode + GPU snapshots, one H100",
    config: {
      version: 1,
      name: "example-ministral3-inference",
      model: {
        id: "mistralai/Ministral-3-8B-Instruct-2512",
        maxModelLen: 12288,
        multimodal: true,
        tokenizerMode: "mistral",
        configFormat: "mistral",
        loadFormat: "mistral",
        toolCallParser: "mistral",
      },
      engine: {
        kind: "vllm",
        version: "0.13.0",
        image: "nvidia/cuda:12.9.0-devel-ubuntu22.04",
        pythonVersion: "3.12",
        packages: ["huggingface-hub==0.36.0", "flashinfer-python==0.5.3"],
        gpuMemoryUtilization: 0.95,
        // Small, predictable KV cache keeps the snapshot small.
        maxNumSeqs: 2,
        maxBatchedTokens: 12288,
      },
      resources: { gpu: "H100", count: 1 },
      snapshot: { enabled: true, gpu: true, warmupRequests: 3, sleepLevel: 1 },
      scaling: { scaledownWindow: 15 * MINUTES, timeout: 10 * MINUTES, startupTimeout: 10 * MINUTES, maxInputs: 32 },
      caches: { weights: "huggingface-cache", compile: "vllm-cache" },
      env: { HF_XET_HIGH_PERFORMANCE: "1" },
    },
  },
  {
    name: "llama31-vllm-openai",
    seed: "001_866d71a8d8b2c697",
    description: "Llama 3.1 8B Instruct (FP8) on vLLM 0.9.1, plain OpenAI-compatible server, fast boot, one B200",
    config: {
      version: 1,
      name: "example-vllm-openai-compatible",
      model: { id: "RedHatAI/Meta-Llama-3.1-8B-Instruct-FP8", revision: "12fd6884d2585dd4d020373e7f39f74507b31866" },
      engine: {
        kind: "vllm",
        version: "0.9.1",
        image: "debian_slim",
        pythonVersion: "3.12",
        packages: ["huggingface_hub[hf_transfer]==0.32.0", "flashinfer-python==0.2.6.post1"],
        extraIndexUrl: "https://download.pytorch.org/whl/cu128",
        fastBoot: true,
      },
      resources: { gpu: "B200", count: 1 },
      snapshot: { enabled: false, gpu: false },
      scaling: { scaledownWindow: 15 * MINUTES, timeout: 10 * MINUTES, startupTimeout: 10 * MINUTES, maxInputs: 32 },
      caches: { weights: "huggingface-cache", compile: "vllm-cache" },
      env: { HF_HUB_ENABLE_HF_TRANSFER: "1", VLLM_USE_V1: "1" },
    },
  },
  {
    name: "mixtral-vllm",
    seed: "002_47f3dc463eb00a6b",
    description: "Nous Hermes 2 Mixtral 8x7B on vLLM, tensor parallel over 2× A100-80GB, weights baked into the image",
    config: {
      version: 1,
      name: "example-vllm-mixtral",
      model: { id: "NousResearch/Nous-Hermes-2-Mixtral-8x7B-DPO", revision: "286ae6737d048ad1d965c2e830864df02db50f2f" },
      engine: { kind: "vllm", fastBoot: false, gpuMemoryUtilization: 0.9 },
      resources: { gpu: "A100-80GB", count: 2 },
      snapshot: { enabled: false, gpu: false },
      scaling: { scaledownWindow: 10 * MINUTES, timeout: 10 * MINUTES },
      caches: { bakeWeights: true },
      env: { HF_HUB_ENABLE_HF_TRANSFER: "1" },
    },
  },
  {
    name: "qwen-vllm-snapshot",
    seed: "003_682c7fffb2ea05b2",
    description: "Qwen 3.6 27B on vLLM with sleep mode + GPU snapshots on an A100-80GB, private (API key secret)",
    config: {
      version: 1,
      name: "vllm-snapshot",
      model: { id: "Qwen/Qwen3.6-27B", servedName: ["qwen3.6-27b"], multimodal: true, reasoningParser: "qwen3" },
      engine: {
        kind: "vllm",
        fastBoot: false,
        // 0.85 leaves headroom for snapshot/restore.
        gpuMemoryUtilization: 0.85,
        speculative: { method: "mtp", num_speculative_tokens: 2 },
      },
      resources: { gpu: "A100-80GB", count: 1 },
      snapshot: { enabled: true, gpu: true },
      scaling: { scaledownWindow: 5 * MINUTES, minContainers: 0, maxInputs: 16 },
      caches: { weights: "huggingface-cache", compile: "vllm-cache" },
      secrets: { apiKey: "vllm-api-key", apiKeyEnv: "VLLM_API_KEY", huggingface: "huggingface-secret" },
      env: { SAFETENSORS_FAST_GPU: "1", HF_XET_HIGH_PERFORMANCE: "1" },
    },
  },
  {
    name: "qwen3-sglang-snapshot",
    seed: "004_178e4dd6d46e156f",
    description: "Qwen3-8B (FP8) on SGLang 0.5.6 with memory saver + GPU snapshots and DeepGEMM precompile, one H100!",
    config: {
      version: 1,
      name: "example-sglang-snapshot",
      model: { id: "Qwen/Qwen3-8B-FP8", revision: "220b46e3b2180893580a4454f21f22d3ebb187d3" },
      engine: {
        kind: "sglang",
        version: "0.5.6.post2",
        image: "lmsysorg/sglang:v0.5.6.post2-cu129-amd64-runtime",
        packages: ["huggingface-hub==0.36.0"],
        // CUDA graphs up to the batch sizes we expect, and no internal queueing.
        maxNumSeqs: 1000,
      },
      resources: { gpu: "H100!", count: 1 },
      snapshot: { enabled: true, gpu: true, warmupRequests: 3 },
      // The seed leaves Modal's defaults: 60 s scaledown, 300 s timeout.
      scaling: { targetInputs: 10, maxInputs: 1000, scaledownWindow: 60, timeout: 300, startupTimeout: 10 * MINUTES },
      caches: { weights: "huggingface-cache", deepgemm: "deepgemm-cache" },
      env: { HF_XET_HIGH_PERFORMANCE: "1" },
    },
  },
];

export const presets: readonly Preset[] = [defaultPreset, ...seedPresets];

export function findPreset(name: string): Preset | undefined {
  return presets.find((p) => p.name === name);
}
