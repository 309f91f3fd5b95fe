import { findPreset } from "@rouse/config";
import { describe, expect, it } from "vitest";
import { assigned, body, decorator, engineCmd, imageChain, render } from "../__fixtures__/render.ts";
import type { GeneratedApp } from "./generate.ts";

// Seed parity: for each seed (../shared/seeds/) the preset that reproduces it, and, one
// property per test, what of the seed's structure the emitted app keeps. A property that
// drifts fails by name. Below each seed, what deliberately differs and why.

interface Property {
  readonly what: string;
  readonly check: (app: GeneratedApp) => void;
}

const src = (app: GeneratedApp) => app.source;
/**
 * argv with `--flag=value` read as `--flag value`: rouse passes config values in the `=` form
 * (a value starting with '-' stays a value), the seeds write them apart; argparse reads both alike.
 */
const argvOf = (app: GeneratedApp) =>
  engineCmd(src(app)).flatMap((a) => {
    const eq = a.indexOf("=");
    return a.startsWith("--") && eq > 0 ? [a.slice(0, eq), a.slice(eq + 1)] : [a];
  });
/** `flag value` adjacent in argv. */
const pair = (app: GeneratedApp, flag: string, value: string) => {
  const argv = argvOf(app);
  expect(argv[argv.indexOf(flag) + 1], `${flag} ${value}`).toBe(value);
};
/** The flags appear in this order (not necessarily adjacent). */
const inOrder = (app: GeneratedApp, ...flags: string[]) => {
  const argv = argvOf(app);
  const at = flags.map((f) => argv.indexOf(f));
  expect(
    at.every((i) => i >= 0),
    `all of ${flags.join(" ")}`,
  ).toBe(true);
  expect(at, `order of ${flags.join(" ")}`).toEqual([...at].sort((a, b) => a - b));
};
const envOf = (app: GeneratedApp) => Object.fromEntries(app.plan.image.env.map((e) => [e.name, e.value]));
const volumesOf = (app: GeneratedApp) => Object.fromEntries(app.plan.volumes.map((v) => [v.path, v.name]));
const enterSteps = (app: GeneratedApp, method: string) =>
  body(src(app), method)
    .split("\n")
    .map((l) => l.trim())
    .filter(
      (l) =>
        /^(self\.engine = start_engine|wait_ready|warmup|sleep|wake_up)\(/.test(l) ||
        l.startsWith("self.engine = "),
    )
    .map((l) => l.replace(/\(.*$/, "").replace("self.engine = ", ""));

const seeds: Record<string, { preset: string; properties: Property[]; differences: string[] }> = {
  "000 Ministral 3 on vLLM with CPU+GPU snapshots": {
    preset: "ministral3-vllm-snapshot",
    properties: [
      {
        what: "app name",
        check: (a) => expect(assigned(src(a), "APP_NAME")).toBe('"example-ministral3-inference"'),
      },
      {
        what: "image: CUDA 12.9 devel from the registry, Python 3.12 added, entrypoint cleared",
        check: (a) => {
          // One fluent chain, as the seed writes it.
          expect(imageChain(src(a))).toContain(
            '\n    modal.Image.from_registry("nvidia/cuda:12.9.0-devel-ubuntu22.04", add_python="3.12")\n    .entrypoint([])',
          );
        },
      },
      {
        what: "pins: vllm 0.13.0, huggingface-hub 0.36.0, flashinfer-python 0.5.3, installed with uv",
        check: (a) => {
          expect(a.plan.image.packages).toEqual([
            "vllm==0.13.0",
            "huggingface-hub==0.36.0",
            "flashinfer-python==0.5.3",
          ]);
          expect(imageChain(src(a))).toContain("\n    .uv_pip_install(");
        },
      },
      {
        what: "env: HF_XET_HIGH_PERFORMANCE, VLLM_SERVER_DEV_MODE, TORCHINDUCTOR_COMPILE_THREADS = 1",
        check: (a) =>
          expect(envOf(a)).toMatchObject({
            HF_XET_HIGH_PERFORMANCE: "1",
            VLLM_SERVER_DEV_MODE: "1",
            TORCHINDUCTOR_COMPILE_THREADS: "1",
          }),
      },
      { what: "one H100", check: (a) => expect(a.plan.gpu).toEqual({ spec: "H100", count: 1 }) },
      {
        what: "volumes: huggingface-cache and vllm-cache at the seed's paths",
        check: (a) =>
          expect(volumesOf(a)).toEqual({
            "/root/.cache/huggingface": "huggingface-cache",
            "/root/.cache/vllm": "vllm-cache",
          }),
      },
      {
        what: "scaledown 15 min, timeout 10 min, web server startup 10 min",
        check: (a) => {
          const cls = decorator(src(a), "app.cls");
          expect(cls).toContain("scaledown_window=15 * MINUTES");
          expect(cls).toContain("timeout=10 * MINUTES");
          expect(assigned(src(a), "STARTUP_TIMEOUT")).toBe("10 * MINUTES");
          expect(src(a)).toContain("@modal.web_server(port=PORT, startup_timeout=STARTUP_TIMEOUT)");
        },
      },
      {
        what: "CPU + GPU memory snapshots on the class, @modal.concurrent(max_inputs=32) below it",
        check: (a) => {
          const cls = decorator(src(a), "app.cls");
          expect(cls).toContain("enable_memory_snapshot=True");
          expect(cls).toContain('experimental_options={"enable_gpu_snapshot": True}');
          expect(src(a)).toContain(`${cls}\n@modal.concurrent(max_inputs=32)\nclass VllmServer:`);
        },
      },
      {
        what: "vllm serve MODEL, served as the model id and `llm`, --uvicorn-log-level=info",
        check: (a) => {
          expect(engineCmd(src(a)).slice(0, 3)).toEqual([
            "vllm",
            "serve",
            "mistralai/Ministral-3-8B-Instruct-2512",
          ]);
          const argv = engineCmd(src(a));
          const at = argv.indexOf("--served-model-name");
          expect(argv.slice(at + 1, at + 3)).toEqual(["mistralai/Ministral-3-8B-Instruct-2512", "llm"]);
          expect(engineCmd(src(a))).toContain("--uvicorn-log-level=info");
        },
      },
      {
        what: "engine flags: memory 0.95, TP 1, mistral tokenizer/config/load formats, mistral tool parser + auto tool choice",
        check: (a) => {
          pair(a, "--gpu_memory_utilization", "0.95");
          pair(a, "--tensor-parallel-size", "1");
          for (const f of ["--tokenizer_mode", "--config_format", "--load_format", "--tool-call-parser"])
            pair(a, f, "mistral");
          inOrder(a, "--tool-call-parser", "--enable-auto-tool-choice");
        },
      },
      {
        what: "snapshot flags in the seed's order: sleep mode, then a small predictable KV cache",
        check: (a) => {
          inOrder(a, "--enable-sleep-mode", "--max-num-seqs", "--max-model-len", "--max-num-batched-tokens");
          pair(a, "--max-num-seqs", "2");
          pair(a, "--max-model-len", "12288");
          pair(a, "--max-num-batched-tokens", "12288");
        },
      },
      {
        what: "enter(snap=True): start, wait, warm up (3 chat requests, 16 tokens), sleep level 1",
        check: (a) => {
          expect(enterSteps(a, "start(self")).toEqual(["start_engine", "wait_ready", "warmup", "sleep"]);
          expect(body(src(a), "warmup(")).toContain("for _ in range(3):");
          expect(a.plan.lifecycle.warmup.json).toMatchObject({
            max_tokens: 16,
            messages: [{ role: "user", content: "Who are you?" }],
          });
          expect(body(src(a), "sleep(")).toContain(
            'engine_call("POST", "/sleep", query={"level": "1"}, timeout=300)',
          );
        },
      },
      {
        what: "enter(snap=False): wake up, then wait until ready; exit terminates the engine",
        check: (a) => {
          expect(enterSteps(a, "wake_up(self")).toEqual(["wake_up", "wait_ready", "verify_wake"]);
          expect(body(src(a), "stop(self")).toContain("self.engine.terminate()");
        },
      },
      {
        what: "a local entrypoint health check + streamed chat, and a deployed-app client with the deploy-first hint",
        check: (a) => {
          expect(src(a)).toContain("@app.local_entrypoint()\ndef test(");
          expect(body(src(a), "smoke_test(")).toContain('"stream": True');
          expect(src(a)).toContain('modal.Cls.from_name(APP_NAME, "VllmServer")().serve.get_web_url()');
          expect(src(a)).toContain("except modal.exception.NotFoundError as e:");
        },
      },
    ],
    differences: [
      "vLLM binds 127.0.0.1:8001 behind the guard on 0.0.0.0:8000: the seed's public URL also serves /sleep, /wake_up, /collective_rpc",
      'gpu="H100" instead of f"H100:{N_GPU}" with N_GPU = 1: the same request (Modal parses both as one H100)',
      "warmup and lifecycle calls use stdlib urllib (the seed imports requests inside the image); sleep is confirmed by polling /is_sleeping",
      "the smoke test is stdlib and text-only (no aiohttp, no image URL), so it runs wherever modal does",
      "verified wake: a greedy canary is recorded before the sleep and replayed after the wake, before traffic (a mismatch restarts the engine cold)",
      "config values are passed as --flag=value (a value starting with '-' stays a value); argparse reads it as the seed's --flag value",
    ],
  },

  "001 Llama 3.1 8B on vLLM, plain web server": {
    preset: "llama31-vllm-openai",
    properties: [
      {
        what: "app name",
        check: (a) => expect(assigned(src(a), "APP_NAME")).toBe('"example-vllm-openai-compatible"'),
      },
      {
        what: "image: debian_slim with Python 3.12, pip with the PyTorch CUDA 12.8 index",
        check: (a) => {
          expect(imageChain(src(a))).toContain('\n    modal.Image.debian_slim(python_version="3.12")\n');
          expect(src(a)).toContain('extra_index_url="https://download.pytorch.org/whl/cu128"');
          expect(a.plan.image.packages).toEqual([
            "vllm==0.9.1",
            "huggingface_hub[hf_transfer]==0.32.0",
            "flashinfer-python==0.2.6.post1",
          ]);
        },
      },
      {
        what: "env: HF_HUB_ENABLE_HF_TRANSFER and VLLM_USE_V1",
        check: (a) => expect(envOf(a)).toMatchObject({ HF_HUB_ENABLE_HF_TRANSFER: "1", VLLM_USE_V1: "1" }),
      },
      { what: "one B200", check: (a) => expect(assigned(src(a), "GPU")).toBe('"B200"') },
      {
        what: "pinned revision",
        check: (a) => pair(a, "--revision", "12fd6884d2585dd4d020373e7f39f74507b31866"),
      },
      { what: "FAST_BOOT: eager mode", check: (a) => expect(engineCmd(src(a))).toContain("--enforce-eager") },
      {
        what: "@app.function + @modal.concurrent(max_inputs=32) + @modal.web_server(port 8000, 10 min) def serve()",
        check: (a) => {
          expect(src(a)).toMatch(
            /\n\)\n@modal\.concurrent\(max_inputs=32\)\n@modal\.web_server\(port=PORT, startup_timeout=STARTUP_TIMEOUT\)\ndef serve\(\):/,
          );
          expect(assigned(src(a), "PORT")).toBe("8000");
          expect(decorator(src(a), "app.function")).toContain("scaledown_window=15 * MINUTES");
        },
      },
      {
        what: "volumes: huggingface-cache, vllm-cache",
        check: (a) =>
          expect(volumesOf(a)).toEqual({
            "/root/.cache/huggingface": "huggingface-cache",
            "/root/.cache/vllm": "vllm-cache",
          }),
      },
    ],
    differences: [
      'subprocess.Popen(cmd) of the argv list instead of Popen(" ".join(cmd), shell=True): no shell parses config values',
      "serve() waits for the engine before the guard opens the port, so Modal routes no request to a loading engine",
    ],
  },

  "002 Mixtral 8x7B on 2× A100-80GB, weights baked into the image": {
    preset: "mixtral-vllm",
    properties: [
      { what: "app name", check: (a) => expect(assigned(src(a), "APP_NAME")).toBe('"example-vllm-mixtral"') },
      { what: "two A100 80GB", check: (a) => expect(assigned(src(a), "GPU")).toBe('"A100-80GB:2"') },
      { what: "tensor parallel over both", check: (a) => pair(a, "--tensor-parallel-size", "2") },
      {
        what: "weights downloaded into the image at build time (snapshot_download, pinned revision), no weights volume",
        check: (a) => {
          expect(body(src(a), "download_weights(")).toContain("revision=MODEL_REVISION");
          expect(assigned(src(a), "MODEL_REVISION")).toBe('"286ae6737d048ad1d965c2e830864df02db50f2f"');
          expect(imageChain(src(a))).toContain("\n    .run_function(download_weights)\n");
          expect(volumesOf(a)).toEqual({});
        },
      },
      {
        what: "CUDA graphs on (enforce_eager=False)",
        check: (a) => expect(engineCmd(src(a))).toContain("--no-enforce-eager"),
      },
      { what: "gpu_memory_utilization 0.9", check: (a) => pair(a, "--gpu_memory_utilization", "0.9") },
      {
        what: "env: HF_HUB_ENABLE_HF_TRANSFER",
        check: (a) => expect(envOf(a)).toMatchObject({ HF_HUB_ENABLE_HF_TRANSFER: "1" }),
      },
      {
        what: "10 min idle window (container_idle_timeout) and 10 min timeout",
        check: (a) => {
          expect(decorator(src(a), "app.function")).toContain("scaledown_window=10 * MINUTES");
          expect(decorator(src(a), "app.function")).toContain("timeout=10 * MINUTES");
        },
      },
    ],
    differences: [
      'modal.gpu.A100(size="80GB", count=2) is removed from the SDK: gpu="A100-80GB:2"',
      "container_idle_timeout= is removed: scaledown_window=",
      "modal.Mount and the FastAPI frontend are gone: the OpenAI-compatible server is the interface",
      "the AsyncLLMEngine generator class is replaced by `vllm serve` (OpenAI API) behind the guard",
      'ignore_patterns=["*.pt", "*.bin"] is dropped: some repos ship only .bin weights',
    ],
  },

  "003 community vLLM + sleep mode + GPU snapshots, private": {
    preset: "qwen-vllm-snapshot",
    properties: [
      { what: "one A100 80GB", check: (a) => expect(assigned(src(a), "GPU")).toBe('"A100-80GB"') },
      { what: "served as qwen3.6-27b", check: (a) => pair(a, "--served-model-name", "qwen3.6-27b") },
      {
        what: "gpu_memory_utilization 0.85 (headroom for snapshot/restore)",
        check: (a) => pair(a, "--gpu_memory_utilization", "0.85"),
      },
      {
        what: "speculative decoding: MTP, 2 tokens",
        check: (a) => pair(a, "--speculative-config", '{"method":"mtp","num_speculative_tokens":2}'),
      },
      {
        what: "compile + CUDA graphs kept (fast_boot false)",
        check: (a) => expect(engineCmd(src(a))).toContain("--no-enforce-eager"),
      },
      {
        what: "secrets: vllm-api-key (VLLM_API_KEY) and huggingface-secret; the key joins argv at start time",
        check: (a) => {
          expect(decorator(src(a), "app.cls")).toContain("secrets=[api_key_secret, hf_secret]");
          expect(body(src(a), "start_engine(")).toContain(
            'cmd.append("--api-key=" + os.environ["VLLM_API_KEY"])',
          );
        },
      },
      {
        what: "env: SAFETENSORS_FAST_GPU, HF_XET_HIGH_PERFORMANCE, VLLM_SERVER_DEV_MODE, TORCHINDUCTOR_COMPILE_THREADS",
        check: (a) =>
          expect(envOf(a)).toMatchObject({
            SAFETENSORS_FAST_GPU: "1",
            HF_XET_HIGH_PERFORMANCE: "1",
            VLLM_SERVER_DEV_MODE: "1",
            TORCHINDUCTOR_COMPILE_THREADS: "1",
          }),
      },
      {
        what: "5 min scaledown, 16 concurrent requests, scale to zero",
        check: (a) => {
          expect(decorator(src(a), "app.cls")).toContain("scaledown_window=5 * MINUTES");
          expect(decorator(src(a), "app.cls")).not.toContain("min_containers");
          expect(src(a)).toContain("@modal.concurrent(max_inputs=16)");
        },
      },
      {
        what: "warm up, sleep, snapshot; wake after restore",
        check: (a) =>
          expect(enterSteps(a, "start(self")).toEqual(["start_engine", "wait_ready", "warmup", "sleep"]),
      },
    ],
    differences: [
      "vLLM's --api-key guards only /v1: the seed leaves /sleep, /wake_up, /collective_rpc and /metrics public; the guard keys /metrics and refuses the rest",
    ],
  },

  "004 Qwen3-8B on SGLang with snapshots and DeepGEMM precompile": {
    preset: "qwen3-sglang-snapshot",
    properties: [
      {
        what: "app name",
        check: (a) => expect(assigned(src(a), "APP_NAME")).toBe('"example-sglang-snapshot"'),
      },
      {
        what: "image: the SGLang team's runtime image, entrypoint cleared, huggingface-hub pinned",
        check: (a) => {
          expect(imageChain(src(a))).toContain(
            '\n    modal.Image.from_registry("lmsysorg/sglang:v0.5.6.post2-cu129-amd64-runtime")\n    .entrypoint([])',
          );
          expect(a.plan.image.packages).toEqual(["huggingface-hub==0.36.0"]);
        },
      },
      {
        what: "env: HF_HUB_CACHE at the volume, Xet high performance, JIT DeepGEMM, TORCHINDUCTOR_COMPILE_THREADS",
        check: (a) =>
          expect(envOf(a)).toMatchObject({
            HF_HUB_CACHE: "/root/.cache/huggingface",
            HF_XET_HIGH_PERFORMANCE: "1",
            SGLANG_ENABLE_JIT_DEEPGEMM: "1",
            TORCHINDUCTOR_COMPILE_THREADS: "1",
          }),
      },
      { what: 'exactly an H100 ("H100!")', check: (a) => expect(assigned(src(a), "GPU")).toBe('"H100!"') },
      {
        what: "volumes: huggingface-cache and deepgemm-cache at the seed's paths",
        check: (a) =>
          expect(volumesOf(a)).toEqual({
            "/root/.cache/huggingface": "huggingface-cache",
            "/root/.cache/deepgemm": "deepgemm-cache",
          }),
      },
      {
        what: "DeepGEMM precompiled at build time on the GPU, with both volumes, only when SGLANG_ENABLE_JIT_DEEPGEMM is on",
        check: (a) => {
          // The seed checks the switch at build time; codegen knows the image env, so the step
          // is there exactly when the switch is on (generate.test.ts turns it off).
          const fn = body(src(a), "compile_deep_gemm(");
          expect(a.plan.image.env).toContainEqual(
            expect.objectContaining({ name: "SGLANG_ENABLE_JIT_DEEPGEMM", value: "1" }),
          );
          expect(fn).not.toContain("os.environ");
          expect(fn).toMatch(
            /"sglang\.compile_deep_gemm",\s+"--model-path=Qwen\/Qwen3-8B-FP8",\s+"--revision=/,
          );
          expect(imageChain(src(a))).toMatch(
            /\n {4}\.run_function\(\n {8}compile_deep_gemm,\n {8}gpu=GPU,\n/,
          );
        },
      },
      {
        what: "@modal.concurrent(max_inputs=1000, target_inputs=10); Modal's default 60 s scaledown and 300 s timeout",
        check: (a) => {
          expect(src(a)).toContain("@modal.concurrent(max_inputs=1000, target_inputs=10)");
          expect(decorator(src(a), "app.cls")).toContain("scaledown_window=1 * MINUTES");
          expect(decorator(src(a), "app.cls")).toContain("timeout=5 * MINUTES");
        },
      },
      {
        what: "launch_server flags in the seed's order: model, revision, name, host, port, TP, CUDA graph bs, max running, metrics, memory saver, weights CPU backup",
        check: (a) => {
          // The seed's `python -m sglang.launch_server`, run by rouse's guard module after it
          // adds itself to SGLang's app (the seed has no guard: its admin routes are public).
          expect(engineCmd(src(a)).slice(0, 5)).toEqual([
            "python",
            "-m",
            "rouse_guard",
            "sglang.srt.entrypoints.http_server:app",
            "sglang.launch_server",
          ]);
          inOrder(
            a,
            "--model-path",
            "--revision",
            "--served-model-name",
            "--host",
            "--port",
            "--tp-size",
            "--cuda-graph-max-bs",
            "--max-running-requests",
            "--enable-metrics",
            "--enable-memory-saver",
            "--enable-weights-cpu-backup",
          );
          pair(a, "--cuda-graph-max-bs", "1000");
          pair(a, "--max-running-requests", "1000");
        },
      },
      {
        what: "warm up 3× (16 tokens), release memory before the snapshot, resume after restore",
        check: (a) => {
          expect(enterSteps(a, "start(self")).toEqual(["start_engine", "wait_ready", "warmup", "sleep"]);
          expect(body(src(a), "sleep(")).toContain('"/release_memory_occupation"');
          expect(body(src(a), "wake_up(")).toContain('"/resume_memory_occupation"');
          expect(a.plan.lifecycle.warmupCount).toBe(3);
        },
      },
      {
        what: "web server on 8000 with a 10 min startup timeout",
        check: (a) => {
          expect(assigned(src(a), "PORT")).toBe("8000");
          expect(assigned(src(a), "STARTUP_TIMEOUT")).toBe("10 * MINUTES");
        },
      },
    ],
    differences: [
      "compile_deep_gemm runs an argv list with check=True instead of an f-string with shell=True",
      "--tp-size instead of --tp (an argparse abbreviation only), as the SGLang plugin spells it",
      "SGLANG_DG_CACHE_DIR points DeepGEMM at the mounted volume (the seed's volume never received the kernels)",
      "after resume, the app waits for /health before taking traffic (the seed does not)",
      "SGLang binds 127.0.0.1 behind the guard: the seed exposes /release_memory_occupation and friends publicly",
      "verified wake: a greedy canary is recorded before the release and replayed after the resume, before traffic",
      "config values are passed as --flag=value (a value starting with '-' stays a value)",
    ],
  },
};

for (const [seed, { preset, properties, differences }] of Object.entries(seeds)) {
  describe(`seed ${seed} → preset ${preset}`, () => {
    const found = findPreset(preset);
    if (!found) throw new Error(`no preset ${preset}`);
    const app = render(found.config);
    for (const p of properties) it(p.what, () => p.check(app));
    it("differs only deliberately (see the list in this test)", () => {
      expect(differences.length).toBeGreaterThan(0);
      expect(found.seed).toMatch(/^\d{3}_/);
    });
  });
}
