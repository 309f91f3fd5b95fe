import type { DeploymentConfigV1Input } from "@rouse/config";

// Hand-picked configs for what the presets do not cover: `@app.server` with and without
// snapshots, proxy auth, SGLang with an API key, a CPU-only snapshot, vLLM sleep level 2. Emitted for the
// pytest suite next to the presets (scripts/emit-apps.ts) and kept as golden files.

const revision = "0123456789abcdef0123456789abcdef01234567";

export const scenarios: Readonly<Record<string, DeploymentConfigV1Input>> = {
  "vllm-server-snapshot": {
    version: 1,
    name: "vllm-server-snapshot",
    model: { id: "Qwen/Qwen3-8B-FP8", revision },
    engine: { kind: "vllm" },
    serving: { style: "server", proxyAuth: true },
    scaling: { maxInputs: 16, targetInputs: 8, region: ["us-east", "us-west"] },
    caches: { compile: "vllm-cache" },
    secrets: { apiKey: "rouse-api-key" },
  },
  "sglang-server-plain": {
    version: 1,
    name: "sglang-server-plain",
    model: { id: "Qwen/Qwen3-8B", revision },
    engine: { kind: "sglang" },
    resources: { gpu: "L40S", count: 2 },
    snapshot: { enabled: false, gpu: false },
    serving: { style: "server" },
    scaling: { minContainers: 1, maxContainers: 4, bufferContainers: 1 },
  },
  "sglang-key-proxy-auth": {
    version: 1,
    name: "sglang-key-proxy-auth",
    model: { id: "Qwen/Qwen3-8B-FP8", revision },
    engine: { kind: "sglang" },
    resources: { gpu: "H100", count: 2 },
    serving: { proxyAuth: true, port: 9000 },
    caches: { deepgemm: "deepgemm-cache" },
    secrets: {
      apiKey: "sglang-key",
      apiKeyEnv: "SGLANG_KEY",
      huggingface: "huggingface-secret",
      extra: ["otel"],
    },
    env: { NCCL_DEBUG: "WARN" },
  },
  "vllm-cpu-snapshot": {
    version: 1,
    name: "vllm-cpu-snapshot",
    model: { id: "meta-llama/Llama-3.1-8B-Instruct", revision },
    engine: { kind: "vllm", fastBoot: true, extraArgs: ["--max-logprobs", "5"] },
    resources: { gpu: "A10G", count: 1, cpu: 4, memory: 32768 },
    snapshot: { enabled: true, gpu: false },
    secrets: { apiKey: "rouse-api-key", huggingface: "huggingface-secret" },
  },
  "vllm-sleep-level-2": {
    version: 1,
    name: "vllm-sleep-level-2",
    model: { id: "Qwen/Qwen3-8B", revision },
    engine: { kind: "vllm" },
    snapshot: { sleepLevel: 2 },
    secrets: { apiKey: "rouse-api-key" },
  },
};
