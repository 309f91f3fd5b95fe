import { minimalDeployment } from "@rouse/engine-spec/conformance";
import { describe, expect, it } from "vitest";
import { parseDeployment, validateDeployment } from "../validate.ts";
import { servedNamesOf, tensorParallelOf, gpuStringOf, multimodalLimitsOf } from "./derived.ts";

const minimal = { version: 1, model: { id: "Qwen/Qwen3-8B" }, engine: { kind: "vllm" } } as const;

describe("defaults", () => {
  it("a config of model.id + engine.kind is complete, with every default filled", () => {
    // The defaults as data live once, in the conformance suite's minimal config (same defaults).
    const { revision: _, ...model } = minimalDeployment("vllm").model;
    expect(parseDeployment(minimal)).toEqual({ ...minimalDeployment("vllm"), model: { ...model, id: "Qwen/Qwen3-8B" } });
  });

  it("derives served names per engine, tensor parallel and the GPU string", () => {
    const vllm = parseDeployment({ ...minimal, resources: { gpu: "A100-80GB", count: 2 } });
    expect(servedNamesOf(vllm)).toEqual(["Qwen/Qwen3-8B", "llm"]);
    expect(tensorParallelOf(vllm)).toBe(2);
    expect(gpuStringOf(vllm)).toBe("A100-80GB:2");
    const sglang = parseDeployment({ ...minimal, engine: { kind: "sglang" } });
    expect(servedNamesOf(sglang)).toEqual(["Qwen/Qwen3-8B"]);
    expect(gpuStringOf(sglang)).toBe("H100");
    expect(servedNamesOf(parseDeployment({ ...minimal, model: { id: "a/b", servedName: ["x"] } }))).toEqual(["x"]);
  });

  it("multimodal is off, on, or on with per-modality limits", () => {
    expect(multimodalLimitsOf(parseDeployment(minimal))).toBeUndefined();
    expect(multimodalLimitsOf(parseDeployment({ ...minimal, model: { id: "a/b", multimodal: true } }))).toEqual({});
    expect(
      multimodalLimitsOf(parseDeployment({ ...minimal, model: { id: "a/b", multimodal: { limits: { image: 2 } } } })),
    ).toEqual({ image: 2 });
  });
});

describe("field rules", () => {
  const cases: Array<[string, unknown, string]> = [
    ["gpuMemoryUtilization above 1", { engine: { kind: "vllm", gpuMemoryUtilization: 1.5 } }, "engine.gpuMemoryUtilization"],
    ["gpuMemoryUtilization zero", { engine: { kind: "vllm", gpuMemoryUtilization: 0 } }, "engine.gpuMemoryUtilization"],
    ["unknown GPU", { resources: { gpu: "V100" } }, "resources.gpu"],
    ["GPU count 0", { resources: { count: 0 } }, "resources.count"],
    ["fractional maxInputs", { scaling: { maxInputs: 2.5 } }, "scaling.maxInputs"],
    ["scaledown over an hour", { scaling: { scaledownWindow: 7200 } }, "scaling.scaledownWindow"],
    ["timeout below 10 s", { scaling: { timeout: 5 } }, "scaling.timeout"],
    ["sleep level 3", { snapshot: { sleepLevel: 3 } }, "snapshot.sleepLevel"],
    ["unpinned package", { engine: { kind: "vllm", packages: ["numpy"] } }, "engine.packages[0]"],
    ["http index", { engine: { kind: "vllm", extraIndexUrl: "http://x.org/simple" } }, "engine.extraIndexUrl"],
    ["serving style", { serving: { style: "lambda" } }, "serving.style"],
    ["port below 1024", { serving: { port: 80 } }, "serving.port"],
    ["python 2", { engine: { kind: "vllm", pythonVersion: "2.7" } }, "engine.pythonVersion"],
    ["empty extra arg", { engine: { kind: "vllm", extraArgs: [""] } }, "engine.extraArgs[0]"],
    ["multi-line extra arg", { engine: { kind: "vllm", extraArgs: ["--a\n--b"] } }, "engine.extraArgs[0]"],
    ["scale-to-zero mode", { local: { scaleToZero: "hibernate" } }, "local.scaleToZero"],
  ];
  for (const [name, patch, path] of cases) {
    it(`rejects ${name} at ${path}`, () => {
      const input = { ...minimal, ...(patch as object) };
      const result = validateDeployment(input);
      expect(result.ok).toBe(false);
      if (result.ok) return;
      const paths = result.issues.map((i) =>
        i.path.map((p, k) => (typeof p === "number" ? `[${p}]` : k ? `.${p}` : p)).join(""),
      );
      expect(paths).toContain(path);
    });
  }
});
