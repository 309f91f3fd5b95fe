import { findPreset, parseDeployment, presets } from "@rouse/config";
import { runEnginePluginConformance } from "@rouse/engine-spec/conformance";
import { describe, expect, it } from "vitest";
import { sglang } from "./plugin.ts";

// The suite's own configs, plus every built-in preset for this engine.
const extraConfigs = Object.fromEntries(
  presets
    .map((p) => [`preset ${p.name}`, parseDeployment(p.config)] as const)
    .filter(([, c]) => c.engine.kind === "sglang"),
);
runEnginePluginConformance(sglang, { describe, it, expect }, { extraConfigs });

const modal = { target: "modal" as const, host: "0.0.0.0", port: 8000 };
const seed004 = () => parseDeployment(findPreset("qwen3-sglang-snapshot")!.config);
/**
 * argv with `--flag=value` read as `--flag value`, as argparse reads it: the plugin passes
 * config values in the `=` form (a value starting with '-' stays a value).
 */
const split = (argv: readonly string[]) =>
  argv.flatMap((a) => {
    const eq = a.indexOf("=");
    return a.startsWith("--") && eq > 0 ? [a.slice(0, eq), a.slice(eq + 1)] : [a];
  });
const after = (raw: readonly string[], flag: string) => {
  const argv = split(raw);
  return argv[argv.indexOf(flag) + 1];
};

describe("sglang launch", () => {
  it("runs rouse's guard inside SGLang's app when asked: its module first, then SGLang's own entry point", () => {
    const config = parseDeployment({ version: 1, model: { id: "org/m" }, engine: { kind: "sglang" } });
    const asgiGuard = { module: "rouse_guard", attribute: "RouseGuard" };
    const spec = sglang.launch(config, { target: "modal", host: "0.0.0.0", port: 8000, asgiGuard });
    expect(spec.guard).toBe("in-process");
    expect(spec.argv.slice(0, 5)).toEqual([
      "python",
      "-m",
      "rouse_guard",
      "sglang.srt.entrypoints.http_server:app",
      "sglang.launch_server",
    ]);
    expect(spec.argv.slice(5)).toEqual(
      sglang.launch(config, { target: "modal", host: "0.0.0.0", port: 8000 }).argv.slice(3),
    );
    // Another executable may not be SGLang's launch_server: no claim, rouse's proxy goes in front.
    const other = sglang.launch(config, {
      target: "modal",
      host: "127.0.0.1",
      port: 8001,
      asgiGuard,
      executable: ["/opt/sglang/bin/python", "-m", "sglang.launch_server"],
    });
    expect(other.guard).toBeUndefined();
    expect(other.argv).not.toContain("rouse_guard");
  });

  it("refuses more than one tokenizer worker: the guard lives in the one HTTP server process", () => {
    const config = parseDeployment({
      version: 1,
      model: { id: "org/m" },
      engine: { kind: "sglang", extraArgs: ["--tokenizer-worker-num", "4"] },
    });
    const issues = sglang.check?.(config) ?? [];
    expect(issues.map((i) => i.message).join("\n")).toMatch(/tokenizer/);
  });

  it("reproduces seed 004's server flags (0.5.6.post2 spellings)", () => {
    const { argv } = sglang.launch(seed004(), modal);
    expect(argv.slice(0, 4)).toEqual([
      "python",
      "-m",
      "sglang.launch_server",
      "--model-path=Qwen/Qwen3-8B-FP8",
    ]);
    const text = split(argv).join(" ");
    for (const part of [
      "--revision 220b46e3b2180893580a4454f21f22d3ebb187d3",
      "--served-model-name Qwen/Qwen3-8B-FP8",
      "--host 0.0.0.0 --port 8000",
      // seed 004 writes `--tp 1`, which argparse accepts only as an abbreviation of --tp-size.
      "--tp-size 1",
      "--cuda-graph-max-bs 1000",
      "--max-running-requests 1000",
      "--enable-metrics",
      "--enable-memory-saver --enable-weights-cpu-backup",
    ]) {
      expect(text).toContain(part);
    }
    // The schema's 0.9 default is vLLM-sized; SGLang picks its own static fraction.
    expect(argv).not.toContain("--mem-fraction-static");
  });

  it("uses the split CUDA-graph flags from 0.5.14 on", () => {
    const config = parseDeployment({
      ...findPreset("qwen3-sglang-snapshot")!.config,
      engine: { kind: "sglang", maxNumSeqs: 64 },
    });
    const { argv } = sglang.launch(config, modal);
    expect(after(argv, "--cuda-graph-max-bs-decode")).toBe("64");
    expect(argv).not.toContain("--cuda-graph-max-bs");
    const fast = parseDeployment({
      version: 1,
      model: { id: "org/M" },
      engine: { kind: "sglang", fastBoot: true },
    });
    expect(sglang.launch(fast, modal).argv.join(" ")).toContain(
      "--cuda-graph-backend-decode disabled --cuda-graph-backend-prefill disabled",
    );
    const old = parseDeployment({
      version: 1,
      model: { id: "org/M" },
      engine: { kind: "sglang", fastBoot: true, version: "0.5.6.post2" },
    });
    expect(sglang.launch(old, modal).argv).toContain("--disable-cuda-graph");
  });

  it("caps running requests at engine.maxNumSeqs, else scaling.maxInputs", () => {
    const config = parseDeployment({
      version: 1,
      model: { id: "org/M" },
      engine: { kind: "sglang" },
      scaling: { maxInputs: 48 },
    });
    expect(after(sglang.launch(config, modal).argv, "--max-running-requests")).toBe("48");
  });

  it("maps memory fraction, context length, parsers and multimodal limits", () => {
    const config = parseDeployment({
      version: 1,
      model: {
        id: "org/M",
        maxModelLen: 4096,
        toolCallParser: "hermes",
        reasoningParser: "qwen3",
        multimodal: { limits: { image: 2 } },
      },
      engine: { kind: "sglang", gpuMemoryUtilization: 0.8, maxBatchedTokens: 4096 },
    });
    const { argv } = sglang.launch(config, modal);
    expect(after(argv, "--mem-fraction-static")).toBe("0.8");
    expect(after(argv, "--context-length")).toBe("4096");
    expect(after(argv, "--chunked-prefill-size")).toBe("4096");
    expect(after(argv, "--tool-call-parser")).toBe("hermes");
    expect(after(argv, "--reasoning-parser")).toBe("qwen3");
    expect(argv).toContain("--enable-multimodal");
    expect(after(argv, "--limit-mm-data-per-request")).toBe('{"image":2}');
  });

  it("warns about what SGLang cannot take, and drops it", () => {
    const config = parseDeployment({
      version: 1,
      model: { id: "org/M", tokenizerMode: "mistral", configFormat: "mistral" },
      engine: {
        kind: "sglang",
        speculative: { method: "ngram" },
        options: { sglang: { attentionBackend: "fa3", cudaGraphs: 1 } },
      },
    });
    const fields = sglang.validate(config).map((w) => w.field);
    expect(fields).toEqual(
      expect.arrayContaining([
        "model.configFormat",
        "model.tokenizerMode",
        "engine.speculative",
        "engine.options.sglang.cudaGraphs",
      ]),
    );
    const { argv } = sglang.launch(config, modal);
    expect(argv).not.toContain("--tokenizer-mode");
    expect(after(argv, "--attention-backend")).toBe("fa3");
  });

  it("takes the API key from the secret's variable (SGLang reads it only as a flag)", () => {
    const config = parseDeployment({
      version: 1,
      model: { id: "org/M" },
      engine: { kind: "sglang" },
      secrets: { apiKey: "s" },
    });
    expect(sglang.launch(config, modal).argsFromEnv).toEqual([
      { flag: "--api-key", env: "ROUSE_API_KEY", optional: false },
    ]);
  });
});

describe("sglang image, lifecycle and snapshot recipe", () => {
  it("builds seed 004's image with the DeepGEMM precompile for FP8 on an H100", () => {
    const image = sglang.image(seed004());
    expect(image.base).toEqual({ kind: "registry", ref: "lmsysorg/sglang:v0.5.6.post2-cu129-amd64-runtime" });
    expect(image.clearEntrypoint).toBe(true);
    expect(image.packages).toEqual(["huggingface-hub==0.36.0"]);
    expect(Object.fromEntries(image.env.map((e) => [e.name, e.value]))).toEqual({
      HF_HUB_CACHE: "/root/.cache/huggingface",
      HF_XET_HIGH_PERFORMANCE: "1",
      SGLANG_ENABLE_JIT_DEEPGEMM: "1",
      SGLANG_DG_CACHE_DIR: "/root/.cache/deepgemm",
    });
    expect(image.buildSteps).toEqual([
      expect.objectContaining({
        name: "compile_deep_gemm",
        argv: [
          "python3",
          "-m",
          "sglang.compile_deep_gemm",
          "--model-path=Qwen/Qwen3-8B-FP8",
          "--revision=220b46e3b2180893580a4454f21f22d3ebb187d3",
          "--tp-size",
          "1",
        ],
        onlyIfEnv: "SGLANG_ENABLE_JIT_DEEPGEMM",
        gpu: true,
        volumes: ["weights", "deepgemm"],
      }),
    ]);
  });

  it("skips DeepGEMM for non-FP8 models and pre-Hopper GPUs", () => {
    const bf16 = parseDeployment({ version: 1, model: { id: "Qwen/Qwen3-8B" }, engine: { kind: "sglang" } });
    expect(sglang.image(bf16).buildSteps).toEqual([]);
    expect(sglang.image(bf16).env.map((e) => e.name)).not.toContain("SGLANG_ENABLE_JIT_DEEPGEMM");
    const l40s = parseDeployment({
      version: 1,
      model: { id: "Qwen/Qwen3-8B-FP8" },
      engine: { kind: "sglang" },
      resources: { gpu: "L40S" },
    });
    expect(sglang.image(l40s).buildSteps).toEqual([]);
  });

  it("multimodal: false → --language-model-only from 0.5.23; older versions warn instead", () => {
    const at = (version: string, multimodal: boolean) =>
      parseDeployment({
        version: 1,
        model: { id: "org/VL", multimodal },
        engine: { kind: "sglang", version },
      });
    expect(sglang.launch(at("0.5.23", false), modal).argv).toContain("--language-model-only");
    expect(sglang.launch(at("0.5.23", true), modal).argv).not.toContain("--language-model-only");
    expect(sglang.launch(at("0.5.6.post2", false), modal).argv).not.toContain("--language-model-only");
    expect(sglang.validate(at("0.5.6.post2", false)).map((w) => w.code)).toContain("no_text_only_flag");
    expect(sglang.validate(at("0.5.23", false)).map((w) => w.code)).not.toContain("no_text_only_flag");
  });

  it("releases and resumes memory around the snapshot; health is an HTTP probe", () => {
    const life = sglang.lifecycle(seed004());
    expect(life.readiness).toMatchObject({ probe: { path: "/health" }, portOpensWhenReady: false });
    expect(life.sleep).toEqual({
      call: expect.objectContaining({ method: "POST", path: "/release_memory_occupation", json: {} }),
    });
    expect(life.wake).toEqual({
      call: expect.objectContaining({ method: "POST", path: "/resume_memory_occupation", json: {} }),
    });
    const recipe = sglang.snapshotRecipe(seed004());
    expect(recipe.beforeSnapshot).toEqual(["start", "waitReady", "warmup", "canary", "sleep"]);
    expect(recipe.afterRestore).toEqual(["wake", "waitReady", "canary"]);
    expect(life.afterWake).toEqual([]);
    expect(life.canary?.request).toMatchObject({ method: "POST", path: "/v1/completions" });
    expect(life.canary?.request.json).toMatchObject({ temperature: 0, max_tokens: 16, logprobs: 1 });
    expect(recipe.env.map((e) => e.name)).toEqual(["TORCHINDUCTOR_COMPILE_THREADS"]);
  });
});
