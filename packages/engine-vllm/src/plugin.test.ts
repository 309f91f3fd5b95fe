import { findPreset, parseDeployment, presets } from "@rouse/config";
import { launchSpecV1Schema } from "@rouse/engine-spec";
import { runEnginePluginConformance } from "@rouse/engine-spec/conformance";
import { describe, expect, it } from "vitest";
import { createVllmEngine, vllm } from "./plugin.ts";

// The suite's own configs, plus every built-in preset for this engine.
const extraConfigs = Object.fromEntries(
  presets
    .map((p) => [`preset ${p.name}`, parseDeployment(p.config)] as const)
    .filter(([, c]) => c.engine.kind === "vllm"),
);
runEnginePluginConformance(vllm, { describe, it, expect }, { extraConfigs });

const modal = { target: "modal" as const, host: "0.0.0.0", port: 8000 };
const preset = (name: string) => parseDeployment(findPreset(name)!.config);
/**
 * argv with `--flag=value` read as `--flag value`, as argparse reads it: the plugin passes
 * config values in the `=` form (a value starting with '-' stays a value).
 */
const split = (argv: readonly string[]) =>
  argv.flatMap((a) => {
    const eq = a.indexOf("=");
    return a.startsWith("--") && eq > 0 ? [a.slice(0, eq), a.slice(eq + 1)] : [a];
  });
/** `flag value…` pairs as they appear in argv. */
const after = (raw: readonly string[], flag: string, n = 1) => {
  const argv = split(raw);
  return argv.slice(argv.indexOf(flag) + 1, argv.indexOf(flag) + 1 + n);
};

describe("vllm launch", () => {
  it("runs rouse's guard inside vLLM's API server when asked: --middleware with the class's import path", () => {
    const config = parseDeployment({ version: 1, model: { id: "org/m" }, engine: { kind: "vllm" } });
    const asgiGuard = { module: "rouse_guard", attribute: "RouseGuard" };
    const spec = vllm.launch(config, { target: "modal", host: "0.0.0.0", port: 8000, asgiGuard });
    expect(spec.guard).toBe("in-process");
    expect(spec.argv.slice(-2)).toEqual(["--middleware", "rouse_guard.RouseGuard"]);
    expect(spec.argvNotes?.find((n) => n.flag === "--host")?.why).toMatch(/--middleware/);
    const plain = vllm.launch(config, { target: "modal", host: "127.0.0.1", port: 8001 });
    expect(plain.guard).toBeUndefined();
    expect(plain.argv).not.toContain("--middleware");
    expect(plain.argvNotes?.find((n) => n.flag === "--host")?.why).toMatch(/loopback/);
  });

  it("reproduces seed 000's flags (Ministral 3, sleep mode)", () => {
    const { argv, env } = vllm.launch(preset("ministral3-vllm-snapshot"), modal);
    expect(argv.slice(0, 3)).toEqual(["vllm", "serve", "mistralai/Ministral-3-8B-Instruct-2512"]);
    const text = split(argv).join(" ");
    for (const part of [
      "--tokenizer_mode mistral",
      "--config_format mistral",
      "--load_format mistral",
      "--tool-call-parser mistral --enable-auto-tool-choice",
      "--enable-sleep-mode",
      "--max-num-seqs 2",
      "--max-model-len 12288",
      "--max-num-batched-tokens 12288",
      "--gpu_memory_utilization 0.95",
      "--tensor-parallel-size 1",
      "--served-model-name mistralai/Ministral-3-8B-Instruct-2512 llm",
      "--uvicorn-log-level info",
      "--host 0.0.0.0 --port 8000",
    ]) {
      expect(text).toContain(part);
    }
    expect(env).toEqual({ VLLM_SERVER_DEV_MODE: "1" });
  });

  it("reproduces seed 001's flags (plain server, fast boot)", () => {
    const { argv, env } = vllm.launch(preset("llama31-vllm-openai"), modal);
    expect(after(argv, "--revision")).toEqual(["12fd6884d2585dd4d020373e7f39f74507b31866"]);
    expect(argv).toContain("--enforce-eager");
    expect(argv).not.toContain("--enable-sleep-mode");
    expect(env).toEqual({});
  });

  it("keeps compilation explicit when fast boot is off", () => {
    expect(vllm.launch(preset("qwen-vllm-snapshot"), modal).argv).toContain("--no-enforce-eager");
  });

  it("passes speculative config and multimodal limits as JSON, one element each", () => {
    const config = parseDeployment({
      version: 1,
      model: { id: "org/M", multimodal: { limits: { image: 4, video: 0 } } },
      engine: { kind: "vllm", speculative: { method: "mtp", num_speculative_tokens: 2 } },
    });
    const { argv } = vllm.launch(config, modal);
    expect(after(argv, "--speculative-config")).toEqual(['{"method":"mtp","num_speculative_tokens":2}']);
    expect(after(argv, "--limit-mm-per-prompt")).toEqual(['{"image":4,"video":0}']);
  });

  it("takes the API key from the secret's variable at start time, required on Modal", () => {
    const config = parseDeployment(findPreset("qwen-vllm-snapshot")!.config);
    const launch = launchSpecV1Schema.parse(vllm.launch(config, modal));
    expect(launch.argsFromEnv).toEqual([{ flag: "--api-key", env: "VLLM_API_KEY", optional: false }]);
    expect(launch.argv.join(" ")).not.toContain("--api-key");
    expect(
      launchSpecV1Schema.parse(vllm.launch(config, { ...modal, target: "local" })).argsFromEnv[0]!.optional,
    ).toBe(true);
  });

  it("locally: sleep mode follows local.scaleToZero, the executable is replaceable", () => {
    const base = { version: 1, model: { id: "/models/tiny" }, engine: { kind: "vllm" } } as const;
    const local = { ...modal, target: "local" as const, host: "127.0.0.1" };
    const stop = parseDeployment({ ...base, local: { scaleToZero: "stop", executable: ["/venv/bin/vllm"] } });
    const { argv } = vllm.launch(stop, local);
    expect(argv.slice(0, 2)).toEqual(["/venv/bin/vllm", "serve"]);
    expect(argv).not.toContain("--enable-sleep-mode");
    expect(vllm.launch(parseDeployment(base), local).argv).toContain("--enable-sleep-mode");
    expect(vllm.launch(stop, { ...local, executable: ["node", "x.ts"] }).argv.slice(0, 3)).toEqual([
      "node",
      "x.ts",
      "serve",
    ]);
    expect(
      createVllmEngine({ executable: ["uv", "run", "vllm"] })
        .launch(parseDeployment(base), modal)
        .argv.slice(0, 4),
    ).toEqual(["uv", "run", "vllm", "serve"]);
  });

  it("maps engine.options.vllm to flags and reports bad options as warnings", () => {
    const config = parseDeployment({
      version: 1,
      model: { id: "org/M" },
      engine: {
        kind: "vllm",
        options: {
          vllm: {
            enablePrefixCaching: false,
            kvCacheDtype: "fp8",
            uvicornLogLevel: "loud",
            maxCudagraphCaptureSiz: 3,
          },
        },
      },
    });
    const launch = vllm.launch(config, modal);
    expect(launch.argv).toContain("--no-enable-prefix-caching");
    expect(after(launch.argv, "--kv-cache-dtype")).toEqual(["fp8"]);
    expect(launch.argv).toContain("--uvicorn-log-level=info");
    const warnings = vllm.validate(config);
    expect(warnings.map((w) => w.code).sort()).toEqual(["invalid_option", "unknown_option"]);
    expect(warnings.find((w) => w.code === "unknown_option")!.message).toContain(
      "did you mean 'maxCudagraphCaptureSize'",
    );
    expect(launch.warnings).toEqual(warnings);
  });

  it("sleep level 2: wake, then reload_weights, then reset_prefix_cache; no warn-and-ship", () => {
    const at = (sleepLevel: 1 | 2) =>
      parseDeployment({
        version: 1,
        model: { id: "org/M" },
        engine: { kind: "vllm" },
        snapshot: { sleepLevel },
      });
    const two = vllm.lifecycle(at(2));
    expect(two.sleep?.call.query).toEqual({ level: "2" });
    // Order matters: a prompt served between reload and reset keeps wrong output (shared/gpu README).
    expect(two.afterWake?.map((c) => [c.method, c.path, c.json])).toEqual([
      ["POST", "/collective_rpc", { method: "reload_weights" }],
      ["POST", "/reset_prefix_cache", undefined],
    ]);
    expect(vllm.lifecycle(at(1)).afterWake).toEqual([]);
    expect(vllm.validate(at(2)).map((w) => w.code)).not.toContain("sleep_level_2");
  });

  it("multimodal: false → --language-model-only from 0.32; older versions warn instead", () => {
    const at = (version: string, multimodal: boolean) =>
      parseDeployment({ version: 1, model: { id: "org/VL", multimodal }, engine: { kind: "vllm", version } });
    expect(vllm.launch(at("0.33.0", false), modal).argv).toContain("--language-model-only");
    expect(vllm.launch(at("0.33.0", true), modal).argv).not.toContain("--language-model-only");
    expect(vllm.launch(at("0.13.0", false), modal).argv).not.toContain("--language-model-only");
    expect(vllm.validate(at("0.13.0", false)).map((w) => w.code)).toContain("no_text_only_flag");
    expect(vllm.validate(at("0.33.0", false)).map((w) => w.code)).not.toContain("no_text_only_flag");
  });

  it("owns the canary: greedy /v1/completions with logprobs, tokens as ids", () => {
    const config = parseDeployment({ version: 1, model: { id: "org/M" }, engine: { kind: "vllm" } });
    const canary = vllm.lifecycle(config).canary!;
    expect(canary.request).toMatchObject({ method: "POST", path: "/v1/completions" });
    expect(canary.request.json).toMatchObject({
      model: "org/M",
      temperature: 0,
      max_tokens: 16,
      logprobs: 1,
      return_tokens_as_token_ids: true,
    });
    expect([canary.tokensField, canary.logprobsField]).toEqual([
      "choices.0.logprobs.tokens",
      "choices.0.logprobs.token_logprobs",
    ]);
    const noSleep = parseDeployment({
      version: 1,
      model: { id: "org/M" },
      engine: { kind: "vllm" },
      snapshot: { enabled: false, gpu: false },
      local: { scaleToZero: "stop" },
    });
    expect(vllm.lifecycle(noSleep).canary).toBeUndefined();
  });
});

describe("vllm image, lifecycle and snapshot recipe", () => {
  it("builds seed 000's image: CUDA devel + Python 3.12, pinned vLLM and extras", () => {
    const image = vllm.image(preset("ministral3-vllm-snapshot"));
    expect(image.base).toEqual({
      kind: "registry",
      ref: "nvidia/cuda:12.9.0-devel-ubuntu22.04",
      addPython: "3.12",
    });
    expect(image.clearEntrypoint).toBe(true);
    expect(image.packages).toEqual(["vllm==0.13.0", "huggingface-hub==0.36.0", "flashinfer-python==0.5.3"]);
    expect(image.caches.map((c) => c.path)).toEqual(["/root/.cache/huggingface", "/root/.cache/vllm"]);
  });

  it("uses debian_slim with the extra index for seed 001, and pins the default version", () => {
    const image = vllm.image(preset("llama31-vllm-openai"));
    expect(image.base).toEqual({ kind: "debian_slim", python: "3.12" });
    expect(image.extraIndexUrl).toBe("https://download.pytorch.org/whl/cu128");
    expect(vllm.image(preset("default")).packages[0]).toBe(`vllm==${vllm.defaultVersion}`);
  });

  it("snapshots: start, wait, warm up, canary, sleep; restore: wake, wait, canary — with the env that needs", () => {
    const recipe = vllm.snapshotRecipe(preset("ministral3-vllm-snapshot"));
    expect(recipe.beforeSnapshot).toEqual(["start", "waitReady", "warmup", "canary", "sleep"]);
    expect(recipe.afterRestore).toEqual(["wake", "waitReady", "canary"]);
    expect(recipe.env.map((e) => e.name)).toEqual(["VLLM_SERVER_DEV_MODE", "TORCHINDUCTOR_COMPILE_THREADS"]);
    expect(vllm.snapshotRecipe(preset("llama31-vllm-openai"))).toEqual({
      beforeSnapshot: ["start", "waitReady"],
      afterRestore: [],
      env: [],
    });
  });

  it("CPU-only snapshots: prepare before (no GPU there), start after restore; no sleep mode on Modal", () => {
    const config = parseDeployment({
      version: 1,
      model: { id: "org/M" },
      engine: { kind: "vllm" },
      snapshot: { enabled: true, gpu: false },
    });
    expect(vllm.snapshotRecipe(config)).toEqual({
      beforeSnapshot: ["prepare"],
      afterRestore: ["start", "waitReady"],
      prepare: { imports: ["torch", "vllm.entrypoints.openai.api_server"] },
      env: [],
    });
    expect(vllm.launch(config, modal).argv).not.toContain("--enable-sleep-mode");
  });

  it("warms up the first served name and confirms sleep through /is_sleeping", () => {
    const life = vllm.lifecycle(preset("ministral3-vllm-snapshot"));
    expect(life.warmup.json).toMatchObject({
      model: "mistralai/Ministral-3-8B-Instruct-2512",
      max_tokens: 16,
    });
    expect(life.warmupCount).toBe(3);
    expect(life.sleep).toMatchObject({
      call: { path: "/sleep", query: { level: "1" } },
      confirm: { field: "is_sleeping", equals: true },
    });
    expect(life.wake).toMatchObject({ call: { path: "/wake_up" }, confirm: { equals: false } });
    expect(life.readiness.portOpensWhenReady).toBe(true);
  });

  it("explains the exits it knows", () => {
    expect(vllm.explainExit!("ValueError: Sleep mode is not supported on current platform.")).toContain(
      "local.scaleToZero",
    );
    expect(vllm.explainExit!("all fine")).toBeUndefined();
  });
});
