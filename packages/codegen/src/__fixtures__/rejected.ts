import type { DeploymentConfigV1Input } from "@rouse/config";

/** A config rouse refuses to generate, and how Modal itself would refuse the app. */
export interface RejectedCase {
  readonly name: string;
  readonly config: DeploymentConfigV1Input;
  /** rouse's error: issue code and config path. */
  readonly rouse: { readonly code: string; readonly path: string };
  /** Where Modal fails: `deploy` (client checks `modal deploy` runs) or `build` (the image build). */
  readonly sdk: { readonly when: "deploy" | "build"; readonly match: string };
}

const base = {
  version: 1 as const,
  model: { id: "Qwen/Qwen3-8B-FP8", revision: "220b46e3b2180893580a4454f21f22d3ebb187d3" },
};

export const rejectedCases: readonly RejectedCase[] = [
  {
    name: "volume-mounted-twice",
    config: {
      ...base,
      engine: { kind: "vllm" },
      caches: { weights: "shared-cache", compile: "shared-cache" },
    },
    rouse: { code: "volume_mounted_twice", path: "caches.compile" },
    sdk: { when: "deploy", match: "same Volume cannot be mounted in multiple locations" },
  },
  {
    name: "sglang-deepgemm-on-weights-volume",
    config: { ...base, engine: { kind: "sglang" }, caches: { weights: "one-cache", deepgemm: "one-cache" } },
    rouse: { code: "volume_mounted_twice", path: "caches.deepgemm" },
    sdk: { when: "deploy", match: "same Volume cannot be mounted in multiple locations" },
  },
  {
    name: "env-line-break",
    config: { ...base, engine: { kind: "vllm" }, env: { GREETING: "hello\nworld" } },
    rouse: { code: "env_line_break", path: "env.GREETING" },
    sdk: { when: "build", match: "ENV GREETING=" },
  },
];
