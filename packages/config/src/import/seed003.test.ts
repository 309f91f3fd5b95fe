import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { parseDeployment } from "../deployment/validate.ts";
import { importSeed003Config, looksLikeSeed003 } from "./seed003.ts";

const fixture = parse(readFileSync(join(import.meta.dirname, "__fixtures__/seed003-config.yaml"), "utf8"));

describe("seed-003 config.yaml import", () => {
  const report = importSeed003Config(fixture);
  const config = parseDeployment(report.config);

  it("maps every known key to its v1 field", () => {
    expect(config.model).toMatchObject({ id: "Qwen/Qwen3.6-27B", servedName: ["qwen3.6-27b"], multimodal: true });
    expect(config.model.maxModelLen).toBeUndefined();
    expect(config.engine).toMatchObject({ kind: "vllm", gpuMemoryUtilization: 0.85, fastBoot: false });
    expect(config.resources).toMatchObject({ gpu: "A100-80GB", count: 1 });
    expect(config.scaling).toMatchObject({ scaledownWindow: 300, minContainers: 0, maxInputs: 16 });
    expect(config.secrets).toMatchObject({ apiKey: "vllm-api-key", apiKeyEnv: "VLLM_API_KEY", huggingface: "huggingface-secret" });
    expect(config.snapshot).toMatchObject({ enabled: true, gpu: true });
    expect(config.env).toEqual({ SAFETENSORS_FAST_GPU: "1", HF_XET_HIGH_PERFORMANCE: "1" });
  });

  it("reports where each key went, and what had no home", () => {
    expect(report.mapped).toContainEqual({ from: "service.scaledown_window", to: "scaling.scaledownWindow", note: "minutes → seconds" });
    expect(report.mapped.find((m) => m.from === "service.env.VLLM_SERVER_DEV_MODE")?.to).toBe("snapshot.enabled");
    expect(report.unmapped).toEqual([{ from: "service.autoscaler_magic", reason: "no rouse equivalent" }]);
  });

  it("maps service.region and speculative keys instead of reporting them as having no equivalent", () => {
    const r = importSeed003Config({
      model: { name: "org/m", speculative_config: { method: "eagle3", model: "org/draft" }, num_speculative_tokens: 3 },
      service: { gpu: "H100", region: "us-east", speculative_method: "ngram" },
    });
    const c = parseDeployment(r.config);
    expect(c.scaling.region).toBe("us-east");
    expect(c.engine.speculative).toEqual({ method: "ngram", model: "org/draft", num_speculative_tokens: 3 });
    expect(r.unmapped).toEqual([]);
    expect(r.mapped).toContainEqual({ from: "service.region", to: "scaling.region", note: "Modal runs the containers there" });
  });

  it("detects the format", () => {
    expect(looksLikeSeed003(fixture)).toBe(true);
    expect(looksLikeSeed003({ version: 1, model: { id: "a/b" }, engine: { kind: "vllm" } })).toBe(false);
  });

  it("refuses a document that is not a mapping", () => {
    expect(() => importSeed003Config(["x"])).toThrow(/mapping/);
  });
});
