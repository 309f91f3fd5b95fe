import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { deploymentConfigV1Schema } from "@rouse/config";
import { compareVersions } from "@rouse/engine-kit";
import { describe, expect, it } from "vitest";
import { ENGINE_ARGS_DIR } from "../../engine-kit/src/facts-check.ts";
import { optionTableFor } from "../../engine-kit/src/extra-args.ts";
import { realParser } from "../../engine-kit/src/real-parser.ts";
import { expectOwnedRefused, expectResolutionAgrees, expectTableMatchesParser } from "../../engine-kit/src/real-parser-suite.ts";
import { SGLANG_OPTION_TABLES } from "./option-tables.generated.ts";
import { SGLANG_OWNED_DESTS, sglang } from "./plugin.ts";

// rouse's extraArgs resolution against SGLang's REAL parser (ServerArgs.add_cli_args on
// plain argparse), for each SGLang version the held-out configs use. SGLang's parser is
// installed with `pip install --no-deps` (tools/engine-args/sglang-parser.sh) and imported
// with the vLLM CPU venv's Python (torch, transformers, pydantic). Runs when ROUSE_VLLM_CPU
// (as `pnpm test:engine` sets) or ROUSE_VLLM_CPU_VENV is set.

const python = process.env.ROUSE_VLLM_CPU
  ? join(dirname(process.env.ROUSE_VLLM_CPU), "python")
  : process.env.ROUSE_VLLM_CPU_VENV
    ? join(process.env.ROUSE_VLLM_CPU_VENV, "bin", "python")
    : undefined;

function installParser(version: string): string {
  const run = spawnSync("bash", [`${ENGINE_ARGS_DIR}sglang-parser.sh`, version], {
    encoding: "utf8",
    env: { ...process.env, ROUSE_VLLM_CPU_VENV: process.env.ROUSE_VLLM_CPU_VENV ?? join(dirname(python!), "..") },
    timeout: 300_000,
  });
  if (run.status !== 0) throw new Error(`sglang-parser.sh ${version}: ${run.stderr}`);
  return run.stdout.trim();
}

for (const version of ["0.5.23", "0.5.6.post2"]) {
  describe.skipIf(!python)(`extraArgs resolution agrees with SGLang ${version}'s real parser`, () => {
    const parser = python ? realParser("sglang", python, { ...process.env, PYTHONPATH: installParser(version) }) : undefined!;
    const found = optionTableFor(SGLANG_OPTION_TABLES, version, compareVersions);

    it("rouse has the facts of this version, and the installed parser is that version", () => {
      expect(parser.version).toBe(version);
      expect(found?.exact).toBe(true);
    });

    it("the facts list every option string and alias of the parser, with its dest and nargs", () => {
      expectTableMatchesParser(parser, found!.table);
    });

    it("property: every spelling (prefixes, =, --no- negations, aliases) resolves to the parser's dest", () => {
      expectResolutionAgrees(parser, found!.table, 600, 23);
    }, 300_000);

    it("every spelling of every option rouse owns is refused", () => {
      expectOwnedRefused(parser, found!.table, SGLANG_OWNED_DESTS);
    }, 300_000);

    it("the issue's examples: --ho, --por, --tp, --model are refused by the plugin, naming the option", () => {
      const examples: [string[], string][] = [
        [["--ho", "0.0.0.0"], "--host"],
        [["--por", "8000"], "--port"],
        [["--tp", "2"], "--tp-size"],
        [["--tensor-parallel-size=2"], "--tensor-parallel-size"],
        [["--model", "x"], "--model"],
        [["--api-k", "k"], "--api-key"],
      ];
      const real = parser.parse(examples.map(([args]) => args));
      examples.forEach(([args, option], i) => {
        expect(real[i], JSON.stringify(args)).toMatchObject({ ok: true });
        const config = deploymentConfigV1Schema.parse({ version: 1, model: { id: "org/m" }, engine: { kind: "sglang", version, extraArgs: args } });
        const issue = sglang.check!(config).find((x) => x.code === "owned_flag");
        expect(issue?.message, JSON.stringify(args)).toContain(option);
      });
    }, 300_000);
  });
}
