import { deploymentConfigV1Schema } from "@rouse/config";
import { describe, expect, it } from "vitest";
import { sglang } from "./plugin.ts";

// The plugin's rules at validate time; real-parser.test.ts compares the same resolution
// with SGLang's own parser.

const config = (engine: object, extra: object = {}) =>
  deploymentConfigV1Schema.parse({ version: 1, model: { id: "org/m", revision: "a" }, engine: { kind: "sglang", ...engine }, ...extra });
const errors = (engine: object, extra: object = {}) => sglang.check!(config(engine, extra)).filter((i) => i.severity === "error");

describe("SGLang plugin check", () => {
  it("refuses owned flags by prefix and alias, per version", () => {
    for (const version of ["0.5.23", "0.5.6.post2"]) {
      for (const [args, option] of [
        [["--ho", "0.0.0.0"], "--host"],
        [["--tp", "2"], "--tp-size"],
        [["--tensor-parallel-size", "2"], "--tensor-parallel-size"],
        [["--model=x"], "--model"],
        [["--mem-frac", "0.5"], "--mem-fraction-static"],
      ] as const) {
        const e = errors({ version, extraArgs: args }).find((i) => i.code === "owned_flag");
        expect(e?.message, `${version} ${JSON.stringify(args)}`).toContain(option);
      }
    }
    // SGLang has no underscore spelling: --api_key is an unknown flag there (refused as such).
    expect(errors({ extraArgs: ["--api_key", "k"] })[0]!.message).toMatch(/unknown flag/);
  });

  it("a vLLM parser name is refused with SGLang's list and a did-you-mean", () => {
    const e = errors({}, { model: { id: "org/m", revision: "a", toolCallParser: "llama3_json", reasoningParser: "deepseek_r1" } });
    expect(e.map((i) => i.path.join("."))).toEqual(["model.toolCallParser", "model.reasoningParser"]);
    expect(e[0]!.message).toContain("llama3");
    expect(e[1]!.message).toContain("did you mean 'deepseek-r1'");
    expect(errors({ version: "0.5.6.post2" }, { model: { id: "org/m", revision: "a", toolCallParser: "gemma4" } })[0]!.code).toBe("unknown_engine_value");
    expect(errors({}, { model: { id: "org/m", revision: "a", toolCallParser: "gemma4" } })).toEqual([]);
  });

  it("FP8 from compute capability 8.0: refused on T4, weight-only warning on A100", () => {
    const fp8 = { model: { id: "org/m-FP8", revision: "a" } };
    expect(errors({}, { ...fp8, resources: { gpu: "T4" } })[0]).toMatchObject({ code: "fp8_gpu", path: ["resources", "gpu"] });
    expect(sglang.check!(config({}, { ...fp8, resources: { gpu: "A100" } })).map((i) => i.code)).toEqual(["fp8_weight_only"]);
  });
});
