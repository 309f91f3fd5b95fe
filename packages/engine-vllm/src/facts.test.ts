import { conformanceConfigs } from "@rouse/engine-spec/conformance";
import { type DeploymentConfigV1Input, parseDeployment, presets } from "@rouse/config";
import { CHECK_SCRIPT as checkScript, checkArgvWithFacts, factsFileFor } from "@rouse/engine-kit";
import { describe, expect, it } from "vitest";
import { vllm } from "./plugin.ts";

// Engine versions are facts: every argv this plugin builds must parse with the
// real `vllm serve` parser, replayed by tools/engine-args/check.py from facts
// extracted from the vLLM source.


export const everyField: DeploymentConfigV1Input = {
  version: 1,
  model: {
    id: "org/Model-7B-FP8",
    revision: "0123456789abcdef0123456789abcdef01234567",
    servedName: ["m", "llm"],
    maxModelLen: 8192,
    multimodal: { limits: { image: 2, video: 0 } },
    toolCallParser: "hermes",
    reasoningParser: "qwen3",
    tokenizerMode: "mistral",
    configFormat: "mistral",
    loadFormat: "mistral",
    quantization: "fp8",
    trustRemoteCode: true,
  },
  engine: {
    kind: "vllm",
    fastBoot: true,
    gpuMemoryUtilization: 0.85,
    maxNumSeqs: 8,
    maxBatchedTokens: 8192,
    speculative: { method: "ngram", num_speculative_tokens: 2, prompt_lookup_max: 4 },
    extraArgs: ["--seed", "7"],
    options: {
      vllm: {
        uvicornLogLevel: "debug",
        enablePrefixCaching: false,
        kvCacheDtype: "fp8",
        maxCudagraphCaptureSize: 64,
      },
    },
  },
  resources: { gpu: "H100", count: 2 },
  secrets: { apiKey: "key-secret" },
};

const cases: Array<[string, DeploymentConfigV1Input]> = [
  ...presets
    .filter((p) => p.config.engine.kind === "vllm")
    .map((p) => [`preset ${p.name}`, p.config] as [string, DeploymentConfigV1Input]),
  // hostileExtraArgs carries a made-up flag on purpose (it tests quoting, not vLLM).
  ...Object.entries(conformanceConfigs("vllm"))
    .filter(([n]) => n !== "hostileExtraArgs")
    .map(([n, c]) => [`conformance ${n}`, c] as [string, DeploymentConfigV1Input]),
  ["every field set", everyField],
];

describe("vllm argv passes the vLLM parser (tools/engine-args/check.py)", () => {
  it(
    `facts for the default version ${vllm.defaultVersion} exist`,
    () => {
      expect(factsFileFor("vllm", vllm.defaultVersion)).toBeDefined();
    },
  );

  for (const [name, input] of cases) {
    const pinned = (input.engine as { version?: string }).version ?? vllm.defaultVersion;
    // A pinned version without facts is checked as if pinned to the default version.
    const version = factsFileFor("vllm", pinned) ? pinned : vllm.defaultVersion;
    const config = parseDeployment({ ...input, engine: { ...input.engine, version } });
    for (const target of ["modal", "local"] as const) {
      const label = `${name} (${target}) at vLLM ${version}${version !== pinned ? ` — no facts for ${pinned}` : ""}`;
      it(label, () => {
        const launch = vllm.launch(config, { target, host: "0.0.0.0", port: 8000 });
        const argv = [...launch.argv.slice(0, 1).map(() => "vllm"), ...launch.argv.slice(1)];
        // The API key is appended at start time: check it too, with a stand-in value.
        for (const a of launch.argsFromEnv ?? []) argv.push(a.flag, "sk-test");
        const result = checkArgvWithFacts(argv, { checkScript, factsFile: factsFileFor("vllm", version)! });
        expect(result.problems).toEqual([]);
        expect(result.ok).toBe(true);
      });
    }
  }

  it("the check fails on a flag vLLM does not have", () => {
    const config = parseDeployment({
      ...everyField,
      engine: { ...everyField.engine, extraArgs: ["--no-such-flag-for-rouse", "1"] },
    });
    const argv = vllm.launch(config, { target: "modal", host: "0.0.0.0", port: 8000 }).argv;
    const result = checkArgvWithFacts(argv, { checkScript, factsFile: factsFileFor("vllm", vllm.defaultVersion)! });
    expect(result.ok).toBe(false);
    expect(result.problems.map((p) => p.flag)).toContain("--no-such-flag-for-rouse");
  });

  it("the check fails on a bad value", () => {
    const config = parseDeployment({
      ...everyField,
      engine: { ...everyField.engine, extraArgs: ["--seed=lots"] },
    });
    const argv = vllm.launch(config, { target: "modal", host: "0.0.0.0", port: 8000 }).argv;
    const result = checkArgvWithFacts(argv, { checkScript, factsFile: factsFileFor("vllm", vllm.defaultVersion)! });
    expect(result.ok).toBe(false);
  });
});
