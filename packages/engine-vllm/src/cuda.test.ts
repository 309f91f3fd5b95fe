import { readFileSync } from "node:fs";
import { parseDeployment, presets } from "@rouse/config";
import { cudaMajorOfImage } from "@rouse/engine-kit";
import { describe, expect, it } from "vitest";
import { VLLM_TORCH, vllmCuda } from "./image.ts";
import { VLLM_DEFAULT_VERSION, vllm } from "./plugin.ts";

// The image must match the engine: vLLM 0.33 pins torch 2.14, built for CUDA 13, and
// FlashInfer/DeepGEMM JIT-compile with the image's nvcc. Facts: tools/engine-args/facts/cuda.json.

const facts = JSON.parse(
  readFileSync(new URL("../../../tools/engine-args/facts/cuda.json", import.meta.url), "utf8"),
) as { engines: { vllm: Record<string, { torch: string }> } };

describe("vLLM image ↔ CUDA", () => {
  it("knows the torch each release pins, as facts/cuda.json records it", () => {
    expect(VLLM_TORCH).toEqual(Object.fromEntries(Object.entries(facts.engines.vllm).map(([v, r]) => [v, r.torch])));
  });

  it("picks a base image of the CUDA major the wheels need, for the default and every preset version", () => {
    const vllmPresets = presets.filter((p) => p.config.engine.kind === "vllm");
    expect(vllmPresets.length).toBeGreaterThan(2);
    const checked = [VLLM_DEFAULT_VERSION];
    for (const p of vllmPresets) {
      const config = parseDeployment(p.config);
      const version = config.engine.version ?? VLLM_DEFAULT_VERSION;
      checked.push(version);
      const base = vllm.image(config).base;
      if (base.kind === "debian_slim") continue; // no CUDA toolkit: the wheels bring their runtime
      expect(cudaMajorOfImage(base.ref), `${p.name}: ${base.ref} for vLLM ${version}`).toBe(vllmCuda(version).cuda);
      expect(vllm.validate(config).map((w) => w.code)).not.toContain("image_cuda_mismatch");
    }
    for (const version of new Set(checked)) {
      expect(vllmCuda(version).known, `vLLM ${version} has a row in facts/cuda.json`).toBe(true);
      const config = parseDeployment({ version: 1, model: { id: "org/m" }, engine: { kind: "vllm", version } });
      const base = vllm.image(config).base;
      expect(base.kind === "registry" && cudaMajorOfImage(base.ref)).toBe(vllmCuda(version).cuda);
    }
    expect(vllmCuda("0.33.0").image).toBe("nvidia/cuda:13.0.0-devel-ubuntu22.04");
    expect(vllmCuda("0.13.0").image).toBe("nvidia/cuda:12.9.0-devel-ubuntu22.04");
  });

  it("an unknown release takes the nearest known one below it", () => {
    expect(vllmCuda("0.15.2")).toMatchObject({ torch: "2.9.0", cuda: 12, known: false });
    expect(vllmCuda("0.40.0")).toMatchObject({ torch: "2.14.0", cuda: 13, known: false });
    expect(vllmCuda("0.5.0")).toMatchObject({ torch: "2.7.0", known: false });
  });

  it("warns when engine.image names another CUDA major than the wheels need", () => {
    const at = (image: string, version?: string) =>
      vllm
        .validate(parseDeployment({ version: 1, model: { id: "org/m" }, engine: { kind: "vllm", image, version } }))
        .filter((w) => w.code === "image_cuda_mismatch");
    expect(at("nvidia/cuda:12.9.0-devel-ubuntu22.04")[0]?.message).toMatch(
      /torch 2\.14\.0, built for CUDA 13, but nvidia\/cuda:12\.9\.0-devel-ubuntu22\.04 is CUDA 12/,
    );
    expect(at("nvidia/cuda:13.0.0-devel-ubuntu22.04")).toEqual([]);
    expect(at("nvidia/cuda:12.9.0-devel-ubuntu22.04", "0.13.0")).toEqual([]);
    expect(at("my/own:image")).toEqual([]);
  });
});
