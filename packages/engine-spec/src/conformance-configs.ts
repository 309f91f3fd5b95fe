import type { DeploymentViewV1 } from "./v1/deployment-view.ts";

// The configs the conformance suite feeds a plugin, as plain validated configs (every
// default filled in, as rouse hands them to plugins). @rouse/config's tests parse each
// one and require it back unchanged, so they stay valid rouse.yaml configs.

const REVISION = "0123456789abcdef0123456789abcdef01234567";

/** `{ version: 1, model: { id, revision }, engine: { kind } }` with rouse.yaml v1's defaults. */
export function minimalDeployment(kind: string): DeploymentViewV1 {
  return {
    version: 1,
    name: "rouse-llm",
    model: { id: "org/Model-7B", revision: REVISION, multimodal: false, trustRemoteCode: false },
    engine: {
      kind,
      packages: [],
      fastBoot: false,
      gpuMemoryUtilization: 0.9,
      extraArgs: [],
      options: {},
    },
    resources: { gpu: "H100", count: 1 },
    snapshot: { enabled: true, gpu: true, warmupRequests: 3, sleepLevel: 1 },
    scaling: { scaledownWindow: 900, minContainers: 0, maxInputs: 32, timeout: 600, startupTimeout: 600 },
    caches: { weights: "huggingface-cache", bakeWeights: false },
    serving: { style: "web-server", port: 8000, proxyAuth: false },
    secrets: { apiKeyEnv: "ROUSE_API_KEY", extra: [] },
    local: { scaleToZero: "sleep" },
    env: {},
  };
}

export type ConformanceConfigName =
  | "minimal"
  | "noSnapshot"
  | "cpuSnapshot"
  | "multiGpu"
  | "withKey"
  | "hostileExtraArgs"
  | "full";

/** Configs every plugin must handle, for its engine kind. */
export function conformanceConfigs(kind: string): Record<ConformanceConfigName, DeploymentViewV1> {
  const base = minimalDeployment(kind);
  return {
    minimal: base,
    noSnapshot: { ...base, snapshot: { ...base.snapshot, enabled: false, gpu: false } },
    cpuSnapshot: { ...base, snapshot: { ...base.snapshot, enabled: true, gpu: false } },
    multiGpu: { ...base, resources: { ...base.resources, count: 2 } },
    withKey: { ...base, secrets: { ...base.secrets, apiKey: "my-key", apiKeyEnv: "MY_KEY" } },
    hostileExtraArgs: {
      ...base,
      engine: { ...base.engine, extraArgs: ["--some-flag", "a b; $(touch /tmp/x) `id` \"q\" 'q' \\"] },
    },
    full: {
      ...base,
      model: {
        ...base.model,
        servedName: ["m"],
        maxModelLen: 4096,
        toolCallParser: "hermes",
        reasoningParser: "qwen3",
      },
      engine: {
        ...base.engine,
        fastBoot: true,
        gpuMemoryUtilization: 0.8,
        maxNumSeqs: 16,
        maxBatchedTokens: 8192,
      },
      scaling: { ...base.scaling, maxInputs: 16, targetInputs: 8 },
    },
  };
}
