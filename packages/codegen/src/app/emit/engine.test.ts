import { parseDeployment, presets } from "@rouse/config";
import type { EnginePluginV1 } from "@rouse/engine-spec";
import { vllm } from "@rouse/engine-vllm";
import { describe, expect, it } from "vitest";
import { engineCmd, render } from "../../__fixtures__/render.ts";
import { scenarios } from "../../__fixtures__/scenarios.ts";
import { generateApp } from "../generate.ts";

// ENGINE_CMD: the plugin's argv, element for element, with the header's constants by name
// and the plugin's one-line reasons above the flags they explain.

const config = parseDeployment({
  version: 1,
  model: { id: "Qwen/Qwen3-8B-FP8", revision: "0123456789abcdef0123456789abcdef01234567" },
  engine: { kind: "vllm" },
});
const cmdBlock = (source: string) => source.slice(source.indexOf("ENGINE_CMD = ["), source.indexOf("\n]\n"));

function withNotes(notes: Array<{ flag: string; why: string }>): EnginePluginV1 {
  return { ...vllm, launch: (c, ctx) => ({ ...vllm.launch(c, ctx), argvNotes: notes }) };
}

describe("ENGINE_CMD", () => {
  it("puts each plugin reason above the first element that is its flag, or flag=value", () => {
    const source = generateApp(
      config,
      withNotes([
        { flag: "--port", why: "reason for the port" },
        { flag: "--revision", why: "reason for the revision" },
        { flag: "--not-in-argv", why: "never shown" },
      ]),
    ).source;
    const block = cmdBlock(source);
    expect(block).toContain('    # reason for the port\n    "--port",\n    str(ENGINE_PORT),\n');
    expect(block).toContain('    # reason for the revision\n    f"--revision={MODEL_REVISION}",\n');
    expect(source).not.toContain("never shown");
    expect(block.match(/# reason/g)).toHaveLength(2);
  });

  it("keeps a hostile reason a comment: one line each, no control characters", () => {
    const why = 'x\n]\nimport os\r\u2028"""\u0000' + "y".repeat(140);
    const app = generateApp(config, withNotes([{ flag: "--port", why }]));
    const block = cmdBlock(app.source);
    for (const line of block.split("\n").slice(1)) expect(line).toMatch(/^ {4}(#.*|[^#].*,)$/);
    for (const line of block.split("\n")) expect(line).not.toMatch(/[\p{Cc}\p{Zl}]/u);
    expect(engineCmd(app.source)).toEqual(app.plan.launch.argv);
  });

  it("is the plugin's argv, element for element, for every preset and scenario", () => {
    for (const c of [...presets.map((p) => p.config), ...Object.values(scenarios)]) {
      const app = render(c);
      expect(engineCmd(app.source)).toEqual(app.plan.launch.argv);
    }
  });

  it("carries the seeds' own reasons, from the plugins through the plan (seeds 000 and 004)", () => {
    const preset = (name: string) => render(presets.find((p) => p.name === name)!.config);
    const cases: Array<[string, string, string]> = [
      ["ministral3-vllm-snapshot", "make KV cache predictable / small", '"--max-num-seqs"'],
      ["qwen3-sglang-snapshot", "use all GPUs to split up tensor-parallel operations", '"--tp-size"'],
      [
        "qwen3-sglang-snapshot",
        "capture CUDA graphs up to batch sizes we're likely to observe",
        '"--cuda-graph-max-bs',
      ],
      ["qwen3-sglang-snapshot", "expose metrics endpoints for telemetry", '"--enable-metrics"'],
      ["qwen3-sglang-snapshot", "enable offload, for snapshotting", '"--enable-memory-saver"'],
    ];
    for (const [name, why, flag] of cases) {
      const app = preset(name);
      expect(
        app.plan.launch.notes.map((n) => n.why),
        name,
      ).toContain(why);
      expect(cmdBlock(app.source), name).toContain(`    # ${why}\n    ${flag}`);
    }
  });
});
