import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { cudaMajorForTorch, cudaMajorOfImage, TORCH_CUDA_MAJOR } from "./cuda.ts";

const facts = JSON.parse(
  readFileSync(new URL("../../../tools/engine-args/facts/cuda.json", import.meta.url), "utf8"),
) as { torchCuda: Record<string, { cuda: number }> };

describe("CUDA facts", () => {
  it("mirror tools/engine-args/facts/cuda.json exactly", () => {
    expect(TORCH_CUDA_MAJOR).toEqual(Object.fromEntries(Object.entries(facts.torchCuda).map(([k, v]) => [k, v.cuda])));
  });
  it("map a torch version by major.minor and know nothing else", () => {
    expect(cudaMajorForTorch("2.14.1")).toBe(13);
    expect(cudaMajorForTorch("2.9.0")).toBe(12);
    expect(cudaMajorForTorch("2.8.0")).toBeUndefined();
  });
  it("read the CUDA major from image tags that name it", () => {
    expect(cudaMajorOfImage("nvidia/cuda:12.9.0-devel-ubuntu22.04")).toBe(12);
    expect(cudaMajorOfImage("nvidia/cuda:13.0.0-devel-ubuntu22.04")).toBe(13);
    expect(cudaMajorOfImage("lmsysorg/sglang:v0.5.6.post2-cu129-amd64-runtime")).toBe(12);
    expect(cudaMajorOfImage("lmsysorg/sglang:v0.5.23-cu130-amd64-runtime")).toBe(13);
    expect(cudaMajorOfImage("vllm/vllm-openai:v0.13.0")).toBeUndefined();
    expect(cudaMajorOfImage("debian_slim")).toBeUndefined();
  });
});
