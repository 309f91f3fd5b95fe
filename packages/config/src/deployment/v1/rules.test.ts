import { describe, expect, it } from "vitest";
import { validateDeployment } from "../validate.ts";

const base = { version: 1, model: { id: "org/m", revision: "abc" }, engine: { kind: "vllm" }, secrets: { apiKey: "k" } };
const codes = (input: unknown) => {
  const r = validateDeployment(input);
  return r.ok ? r.warnings.map((w) => `warning:${w.code}`) : r.issues.map((i) => `${i.severity}:${i.code}`);
};

describe("cross-field rules", () => {
  it("a clean config has no issues", () => expect(codes(base)).toEqual([]));

  it("GPU snapshots need CPU snapshots", () => {
    expect(codes({ ...base, snapshot: { enabled: false } })).toContain("error:gpu_snapshot_needs_snapshot");
    expect(codes({ ...base, snapshot: { enabled: false, gpu: false } })).toEqual([]);
  });

  it("FP8 checkpoints: refused below the engine's minimum, weight-only warning below 8.9 (fallback facts, no plugin)", () => {
    const fp8 = (kind: string, gpu: string, model: object = { id: "org/m-FP8", revision: "a" }) =>
      codes({ ...base, model, engine: { kind }, resources: { gpu } });
    // vLLM: from 7.5 (T4), Marlin weight-only below 8.9.
    expect(fp8("vllm", "T4")).toEqual(["warning:fp8_weight_only"]);
    expect(fp8("vllm", "A100")).toEqual(["warning:fp8_weight_only"]);
    expect(fp8("vllm", "A10", { id: "org/m", revision: "a", quantization: "fp8" })).toEqual(["warning:fp8_weight_only"]);
    // SGLang: from 8.0.
    expect(fp8("sglang", "T4")).toContain("error:fp8_gpu");
    expect(fp8("sglang", "A100")).toEqual(["warning:fp8_weight_only"]);
    for (const kind of ["vllm", "sglang"]) {
      expect(fp8(kind, "H100!")).toEqual([]);
      expect(fp8(kind, "L40S", { id: "org/m-fp8-dynamic", revision: "a" })).toEqual([]);
      expect(fp8(kind, "L4")).toEqual([]);
    }
    // "fp8" inside a word is not a quantization marker
    expect(fp8("sglang", "T4", { id: "org/notfp8x", revision: "a" })).toEqual([]);
  });

  it("GPU count respects each type's maximum", () => {
    expect(codes({ ...base, resources: { gpu: "A10", count: 5 } })).toContain("error:gpu_count");
    expect(codes({ ...base, resources: { gpu: "A10", count: 4 } })).toEqual(["warning:snapshot_multi_gpu"]);
  });

  it("targetInputs ≤ maxInputs and minContainers ≤ maxContainers", () => {
    expect(codes({ ...base, scaling: { targetInputs: 40, maxInputs: 32 } })).toContain("error:target_above_max");
    expect(codes({ ...base, scaling: { minContainers: 3, maxContainers: 2 } })).toContain("error:min_above_max");
  });

  it("flags rouse owns cannot be smuggled through extraArgs, in any spelling", () => {
    // Without a plugin, a static guard refuses every prefix of an owned flag (plugins resolve exactly).
    for (const flag of ["--port", "--tp=2", "--served_model_name", "--api-key", "--enable-sleep-mode", "--ho", "--por=1", "-tp", "-q", "--config"]) {
      expect(codes({ ...base, engine: { kind: "vllm", extraArgs: [flag] } })).toContain("error:owned_flag");
    }
    expect(codes({ ...base, engine: { kind: "vllm", extraArgs: ["--disable-log-requests"] } })).toEqual([]);
  });

  it("SGLang serves one name", () => {
    expect(codes({ ...base, engine: { kind: "sglang" }, model: { ...base.model, servedName: ["a", "b"] } })).toContain(
      "error:sglang_one_name",
    );
  });

  it("local paths cannot be baked into an image", () => {
    expect(codes({ ...base, model: { id: "/models/tiny" }, caches: { bakeWeights: true } })).toContain("error:bake_local_path");
  });

  it("warns: no revision, snapshots on multi-GPU, fast boot with snapshots, open endpoint, unused DeepGEMM cache", () => {
    expect(codes({ ...base, model: { id: "org/m" } })).toEqual(["warning:no_revision"]);
    expect(codes({ ...base, resources: { count: 2 } })).toEqual(["warning:snapshot_multi_gpu"]);
    expect(codes({ ...base, engine: { kind: "vllm", fastBoot: true } })).toEqual(["warning:fast_boot_with_snapshot"]);
    expect(codes({ ...base, secrets: {} })).toEqual(["warning:open_endpoint"]);
    expect(codes({ ...base, secrets: {}, serving: { proxyAuth: true } })).toEqual([]);
    expect(codes({ ...base, caches: { deepgemm: "dg" } })).toEqual(["warning:deepgemm_unused"]);
  });

  it("every issue names a fix", () => {
    const r = validateDeployment({ ...base, snapshot: { enabled: false }, scaling: { targetInputs: 99 } });
    expect(r.ok).toBe(false);
    if (!r.ok) for (const i of r.issues) expect(i.fix).toBeTruthy();
  });
});
