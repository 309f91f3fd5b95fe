import { conformanceConfigs } from "@rouse/engine-spec/conformance";
import { type DeploymentConfigV1Input, parseDeployment, presets } from "@rouse/config";
import { CHECK_SCRIPT as checkScript, checkArgvWithFacts, factsFileFor } from "@rouse/engine-kit";
import { describe, expect, it } from "vitest";
import { sglang } from "./plugin.ts";

// Engine versions are facts: every argv this plugin builds must parse with the
// real `sglang.launch_server` parser, replayed by tools/engine-args/check.py from facts
// extracted from the SGLang source.


export const everyField: DeploymentConfigV1Input = {
  version: 1,
  model: {
    id: "org/Model-7B-FP8",
    revision: "0123456789abcdef0123456789abcdef01234567",
    servedName: ["m"],
    maxModelLen: 8192,
    multimodal: { limits: { image: 2, video: 0 } },
    toolCallParser: "hermes",
    reasoningParser: "qwen3",
    tokenizerMode: "slow",
    loadFormat: "auto",
    quantization: "fp8",
    trustRemoteCode: true,
  },
  engine: {
    kind: "sglang",
    gpuMemoryUtilization: 0.8,
    maxNumSeqs: 64,
    maxBatchedTokens: 8192,
    extraArgs: ["--random-seed", "7"],
    options: { sglang: { attentionBackend: "fa3", enableTorchCompile: true, disableRadixCache: true } },
  },
  resources: { gpu: "H100", count: 2 },
  secrets: { apiKey: "key-secret" },
};

const cases: Array<[string, DeploymentConfigV1Input]> = [
  ...presets
    .filter((p) => p.config.engine.kind === "sglang")
    .map((p) => [`preset ${p.name}`, p.config] as [string, DeploymentConfigV1Input]),
  // hostileExtraArgs carries a made-up flag on purpose (it tests quoting, not SGLang).
  ...Object.entries(conformanceConfigs("sglang"))
    .filter(([n]) => n !== "hostileExtraArgs")
    .map(([n, c]) => [`conformance ${n}`, c] as [string, DeploymentConfigV1Input]),
  ["every field set", everyField],
];

describe("sglang argv passes the SGLang parser (tools/engine-args/check.py)", () => {
  it(
    `facts for the default version ${sglang.defaultVersion} exist`,
    () => {
      expect(factsFileFor("sglang", sglang.defaultVersion)).toBeDefined();
    },
  );

  for (const [name, input] of cases) {
    const pinned = (input.engine as { version?: string }).version ?? sglang.defaultVersion;
    // A pinned version without facts is checked as if pinned to the default version.
    const version = factsFileFor("sglang", pinned) ? pinned : sglang.defaultVersion;
    const config = parseDeployment({ ...input, engine: { ...input.engine, version } });
    for (const target of ["modal", "local"] as const) {
      const label = `${name} (${target}) at SGLang ${version}${version !== pinned ? ` — no facts for ${pinned}` : ""}`;
      it(label, () => {
        const launch = sglang.launch(config, { target, host: "0.0.0.0", port: 8000 });
        const argv = [...launch.argv];
        // The API key is appended at start time: check it too, with a stand-in value.
        for (const a of launch.argsFromEnv ?? []) argv.push(a.flag, "sk-test");
        const result = checkArgvWithFacts(argv, { checkScript, factsFile: factsFileFor("sglang", version)! });
        expect(result.problems).toEqual([]);
        expect(result.ok).toBe(true);
      });
    }
    // Only the pinned version's facts describe the compile_deep_gemm entrypoint.
    it.skipIf(version !== sglang.defaultVersion)(
      `${name}: the DeepGEMM build step's argv, when there is one`,
      () => {
        for (const step of sglang.image(config).buildSteps) {
          const result = checkArgvWithFacts(step.argv, { checkScript, factsFile: factsFileFor("sglang", version)! });
          expect(result.problems).toEqual([]);
        }
      },
    );
  }

  it(
    "fast boot at the default version disables CUDA graphs with current flags",
    () => {
      const config = parseDeployment({ ...everyField, engine: { ...everyField.engine, fastBoot: true } });
      const result = checkArgvWithFacts(
        sglang.launch(config, { target: "modal", host: "0.0.0.0", port: 8000 }).argv,
        {
          checkScript,
          factsFile: factsFileFor("sglang", sglang.defaultVersion)!,
        },
      );
      expect(result.problems).toEqual([]);
      expect(result.warnings).toEqual([]);
    },
  );

  it("the check fails on a flag SGLang does not have", () => {
    const config = parseDeployment({
      ...everyField,
      engine: { ...everyField.engine, extraArgs: ["--no-such-flag-for-rouse", "1"] },
    });
    const argv = sglang.launch(config, { target: "modal", host: "0.0.0.0", port: 8000 }).argv;
    const result = checkArgvWithFacts(argv, { checkScript, factsFile: factsFileFor("sglang", sglang.defaultVersion)! });
    expect(result.ok).toBe(false);
    expect(result.problems.map((p) => p.flag)).toContain("--no-such-flag-for-rouse");
  });

  it("the check fails on a bad value", () => {
    const config = parseDeployment({
      ...everyField,
      engine: { ...everyField.engine, extraArgs: ["--random-seed=lots"] },
    });
    const argv = sglang.launch(config, { target: "modal", host: "0.0.0.0", port: 8000 }).argv;
    const result = checkArgvWithFacts(argv, { checkScript, factsFile: factsFileFor("sglang", sglang.defaultVersion)! });
    expect(result.ok).toBe(false);
  });
});
