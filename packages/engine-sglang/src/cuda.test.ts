import { readFileSync } from "node:fs";
import { parseDeployment, presets } from "@rouse/config";
import { cudaMajorOfImage } from "@rouse/engine-kit";
import { describe, expect, it } from "vitest";
import { SGLANG_TORCH, sglangCuda, sglangDefaultImage } from "./image.ts";
import { SGLANG_DEFAULT_VERSION, sglang } from "./plugin.ts";

// The SGLang runtime image ships the engine; its tag names the CUDA it was built for, which
// must be the CUDA major the release's wheels need (0.5.23: torch 2.14.1, flashinfer[cu13]).

const facts = JSON.parse(
  readFileSync(new URL("../../../tools/engine-args/facts/cuda.json", import.meta.url), "utf8"),
) as { engines: { sglang: Record<string, { torch: string }> } };

describe("SGLang image ↔ CUDA", () => {
  it("knows the torch each release pins, as facts/cuda.json records it", () => {
    expect(SGLANG_TORCH).toEqual(
      Object.fromEntries(Object.entries(facts.engines.sglang).map(([v, r]) => [v, r.torch])),
    );
  });

  it("the runtime image's CUDA matches the wheels', for the default and every preset version", () => {
    const versions = new Set([SGLANG_DEFAULT_VERSION]);
    for (const p of presets.filter((x) => x.config.engine.kind === "sglang")) {
      const config = parseDeployment(p.config);
      const version = config.engine.version ?? SGLANG_DEFAULT_VERSION;
      versions.add(version);
      const base = sglang.image(config).base;
      if (base.kind === "registry")
        expect(cudaMajorOfImage(base.ref), `${p.name}: ${base.ref}`).toBe(sglangCuda(version).cuda);
    }
    for (const version of versions) {
      expect(sglangCuda(version).known).toBe(true);
      expect(cudaMajorOfImage(sglangDefaultImage(version))).toBe(sglangCuda(version).cuda);
    }
    expect(sglangDefaultImage("0.5.23")).toBe("lmsysorg/sglang:v0.5.23-cu130-amd64-runtime");
    expect(sglangDefaultImage("0.5.6.post2")).toBe("lmsysorg/sglang:v0.5.6.post2-cu129-amd64-runtime");
  });
});
