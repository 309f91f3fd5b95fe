import {
  ConfigError,
  type DeploymentConfigV1Input,
  parseDeployment,
  presets,
  validateDeployment,
} from "@rouse/config";
import { type EnginePluginV1, UnsupportedSpecificationError } from "@rouse/engine-spec";
import { vllm } from "@rouse/engine-vllm";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { configArbitrary } from "../__fixtures__/configs.ts";
import { assigned, body, decorator, engineCmd, imageChain, plugins, render } from "../__fixtures__/render.ts";
import { scenarios } from "../__fixtures__/scenarios.ts";
import { EnginePluginContractError } from "./errors.ts";
import { fitsRawTripleQuotes } from "./emit/guard.ts";
import { generateApp } from "./generate.ts";

const revision = "0123456789abcdef0123456789abcdef01234567";
const base = {
  version: 1 as const,
  model: { id: "Qwen/Qwen3-8B-FP8", revision },
  engine: { kind: "vllm" as const },
};
const withBase = (extra: Partial<DeploymentConfigV1Input>): DeploymentConfigV1Input =>
  ({ ...base, ...extra }) as DeploymentConfigV1Input;

/** Every fixed config plus a seeded sample of random valid ones. */
function manyApps(n = 120) {
  const configs: unknown[] = [...presets.map((p) => p.config), ...Object.values(scenarios)];
  for (const c of fc.sample(configArbitrary(), { numRuns: n * 3, seed: 99 })) {
    if (configs.length >= n + 10) break;
    if (validateDeployment(c, { plugins }).ok) configs.push(c);
  }
  return configs.map((c) => render(c));
}
const apps = manyApps();

describe("generateApp", () => {
  it("is deterministic: the same config and plugin give the same bytes", () => {
    for (const preset of presets) expect(render(preset.config).source).toBe(render(preset.config).source);
  });

  it("names the file app.py and returns the plan it was made from", () => {
    const app = render(base);
    expect(app.fileName).toBe("app.py");
    // vLLM runs rouse's guard in its own server, so the engine serves the public port.
    expect(app.plan.ports).toEqual({ public: 8000, engine: 8000 });
    expect(app.plan.guard).toBe("in-process");
    expect(render(base, { proxied: true }).plan.ports).toEqual({ public: 8000, engine: 8001 });
    expect(app.plan.className).toBe("VllmServer");
  });

  it("never emits removed Modal names, in any emitted app", () => {
    // MODAL_FACTS.md §5: these raise at import in modal 1.6.4 (or do not exist).
    const removed =
      /keep_warm|concurrency_limit|container_idle_timeout|allow_concurrent_inputs|modal\.gpu\b|\bMount\b|web_endpoint\b/;
    expect(apps.length).toBeGreaterThan(100);
    for (const app of apps) expect(app.source).not.toMatch(removed);
  });

  it("never runs a shell, and never writes the API key: it joins argv from the secret's variable", () => {
    for (const app of apps) {
      expect(app.source).not.toContain("shell=True");
      expect(app.source).toContain("subprocess.Popen(cmd");
    }
    const app = render(withBase({ secrets: { apiKey: "my-key", apiKeyEnv: "MY_KEY" } }));
    // One element, --api-key=KEY: a key that starts with '-' must not read as a flag.
    expect(body(app.source, "start_engine(")).toContain('cmd.append("--api-key=" + os.environ["MY_KEY"])');
    expect(assigned(app.source, "API_KEY_ENV")).toBe('"MY_KEY"');
    expect(app.source).toContain('env["ROUSE_GUARD_KEY_ENV"] = API_KEY_ENV');
    expect(
      render(withBase({ secrets: { apiKey: "my-key", apiKeyEnv: "MY_KEY" } }), { proxied: true }).source,
    ).toContain("start_guard(os.environ[API_KEY_ENV])");
    expect(engineCmd(app.source)).not.toContain("--api-key");
  });

  it("binds the engine to 0.0.0.0:PORT with the guard inside its server (vLLM's --middleware, SGLang's launcher)", () => {
    for (const app of apps) {
      const argv = app.plan.launch.argv;
      expect(app.plan.guard).toBe("in-process");
      expect(argv[argv.indexOf("--host") + 1]).toBe("0.0.0.0");
      expect(argv[argv.indexOf("--port") + 1]).toBe(String(app.plan.ports.public));
      if (app.plan.engine.kind === "vllm")
        expect(argv.slice(-2)).toEqual(["--middleware", "rouse_guard.RouseGuard"]);
      else
        expect(argv.slice(0, 5)).toEqual([
          "python",
          "-m",
          "rouse_guard",
          "sglang.srt.entrypoints.http_server:app",
          "sglang.launch_server",
        ]);
      expect(app.source).toContain('GUARD_MODULE_NAME = "rouse_guard"\n');
      expect(app.source).toContain('with open(os.path.join(folder, GUARD_MODULE_NAME + ".py"), "w") as f:');
      expect(app.source).not.toContain("start_guard(");
    }
  });

  it("behind the proxy guard, binds the engine to 127.0.0.1 next to the public port; only the guard listens on 0.0.0.0", () => {
    for (const config of [...presets.map((p) => p.config), ...Object.values(scenarios)]) {
      const app = render(config, { proxied: true });
      const argv = app.plan.launch.argv;
      expect(app.plan.guard).toBe("proxy");
      expect(argv[argv.indexOf("--host") + 1]).toBe("127.0.0.1");
      expect(argv[argv.indexOf("--port") + 1]).toBe(String(app.plan.ports.engine));
      expect(argv).not.toContain("--middleware");
      expect(app.source.match(/0\.0\.0\.0/g)).toHaveLength(2); // the guard's bind, and its docstring
    }
    expect(render(withBase({ serving: { port: 65_535 } }), { proxied: true }).plan.ports).toEqual({
      public: 65_535,
      engine: 65_534,
    });
  });

  it("leaves no dead code: every top-level function and constant is used", () => {
    const entrypoints = new Set(["test", "app"]);
    for (const app of apps) {
      const names = [...app.source.matchAll(/^(?:def (\w+)\(|([A-Za-z_]\w*) = )/gm)].map(
        (m) => m[1] ?? m[2]!,
      );
      for (const name of new Set(names)) {
        if (entrypoints.has(name)) continue;
        const uses = app.source.match(new RegExp(`\\b${name}\\b`, "g"))?.length ?? 0;
        const definitions = names.filter((n) => n === name).length;
        expect(uses, `${name} is defined but never used`).toBeGreaterThan(definitions);
      }
    }
  });

  it("emits only the lifecycle helpers the recipe uses", () => {
    const plain = render(withBase({ snapshot: { enabled: false, gpu: false } })).source;
    for (const fn of ["warmup", "sleep", "wake_up", "wait_for"]) expect(plain).not.toContain(`def ${fn}(`);
    const noWarmup = render(withBase({ snapshot: { warmupRequests: 0 } })).source;
    expect(noWarmup).not.toContain("def warmup(");
    expect(noWarmup).toContain("def sleep(");
  });
});

describe("serving styles", () => {
  it("web-server + snapshots: @app.cls, @modal.concurrent below it, enter(snap=True/False), web_server, exit", () => {
    const src = render(withBase({ scaling: { maxInputs: 20, targetInputs: 10 } })).source;
    const cls = decorator(src, "app.cls");
    expect(cls).toContain("enable_memory_snapshot=True");
    expect(cls).toContain('experimental_options={"enable_gpu_snapshot": True}');
    expect(src).toContain(`${cls}\n@modal.concurrent(max_inputs=20, target_inputs=10)\nclass VllmServer:`);
    const order = [
      "@modal.enter(snap=True)",
      "@modal.enter(snap=False)",
      "@modal.web_server(port=PORT",
      "@modal.exit()",
    ];
    const at = order.map((d) => src.indexOf(d));
    expect(at.every((i) => i > 0)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    expect(body(src, "serve(self")).toContain("report_boot()");
    expect(body(render(withBase({}), { proxied: true }).source, "serve(self")).toContain("start_guard(");
  });

  it("CPU-only snapshots leave the GPU snapshot option out", () => {
    const cls = decorator(render(withBase({ snapshot: { enabled: true, gpu: false } })).source, "app.cls");
    expect(cls).toContain("enable_memory_snapshot=True");
    expect(cls).not.toContain("experimental_options");
  });

  it("CPU-only snapshots touch no GPU before the snapshot: prepare only, the engine starts after restore", () => {
    for (const kind of ["vllm", "sglang"] as const) {
      for (const style of ["web-server", "server"] as const) {
        const app = render(
          withBase({ engine: { kind }, serving: { style }, snapshot: { enabled: true, gpu: false } }),
        );
        const before = body(app.source, "start(self");
        expect(before, `${kind} ${style}`).toContain("prepare()");
        expect(before).not.toMatch(/start_engine|wait_ready|warmup|sleep|canary/);
        const after = body(app.source, "restore(self");
        expect(after).toMatch(/self\.engine = start_engine\(\)\n\s+wait_ready\(self\.engine\)/);
        // Never slept, so no sleep mode, no wake and no canary to replay.
        expect(app.plan.launch.argv).not.toContain("--enable-sleep-mode");
        expect(app.plan.launch.argv).not.toContain("--enable-memory-saver");
        expect(app.source).not.toMatch(/def (sleep|wake_up|canary)\(/);
        expect(assigned(app.source, "PREPARE_IMPORTS")).toContain(`"${kind}.`);
      }
    }
  });

  it("verified wake: the canary is recorded before the sleep and replayed after the wake, before the guard", () => {
    for (const kind of ["vllm", "sglang"] as const) {
      for (const style of ["web-server", "server"] as const) {
        const app = render(withBase({ engine: { kind }, serving: { style } }));
        const before = body(app.source, "start(self");
        expect(before.indexOf("self.canary = canary()")).toBeGreaterThan(before.indexOf("warmup()"));
        expect(before.indexOf("self.canary = canary()")).toBeLessThan(before.indexOf("sleep()"));
        const after = body(app.source, "wake_up(self");
        const verify = after.indexOf("self.engine = verify_wake(self.engine, self.canary)");
        expect(verify, `${kind} ${style}`).toBeGreaterThan(after.indexOf("wake_up()"));
        if (style === "server") expect(verify).toBeLessThan(after.indexOf("report_boot()"));
        expect(app.plan.lifecycle.canary?.request.json).toMatchObject({
          temperature: 0,
          max_tokens: 16,
          logprobs: 1,
        });
      }
    }
  });

  it("SGLang's compile cache applies: the volume is mounted and Inductor/Triton write into it", () => {
    const app = render(withBase({ engine: { kind: "sglang" }, caches: { compile: "sglang-cache" } }));
    expect(app.plan.volumes.find((v) => v.role === "compile")).toMatchObject({
      name: "sglang-cache",
      path: "/root/.cache/sglang",
    });
    const env = Object.fromEntries(app.plan.image.env.map((e) => [e.name, e.value]));
    expect(env).toMatchObject({
      SGLANG_CACHE_DIR: "/root/.cache/sglang",
      TORCHINDUCTOR_CACHE_DIR: "/root/.cache/sglang/inductor",
      TRITON_CACHE_DIR: "/root/.cache/sglang/triton",
    });
    expect(decorator(app.source, "app.cls")).toContain('"/root/.cache/sglang": compile_volume');
  });

  it("multimodal: false emits the engine's text-only flag; multimodal: true does not", () => {
    for (const kind of ["vllm", "sglang"] as const) {
      expect(engineCmd(render(withBase({ engine: { kind } })).source)).toContain("--language-model-only");
      const mm = withBase({ engine: { kind }, model: { ...base.model, multimodal: true } });
      expect(engineCmd(render(mm).source)).not.toContain("--language-model-only");
    }
  });

  it("vLLM sleep level 2: wake_up reloads the weights, then resets the prefix cache", () => {
    const wake = body(render(withBase({ snapshot: { sleepLevel: 2 } })).source, "wake_up(");
    const order = ['"/wake_up"', '"/is_sleeping"', '"/collective_rpc"', '"/reset_prefix_cache"'].map((p) =>
      wake.indexOf(p),
    );
    expect(order.every((i) => i >= 0)).toBe(true);
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(wake).toContain('body={"method": "reload_weights"}');
    expect(body(render(withBase({})).source, "wake_up(")).not.toContain("/collective_rpc");
  });

  it("web-server without snapshots: seed 001's @app.function + @modal.concurrent + @modal.web_server", () => {
    const src = render(withBase({ snapshot: { enabled: false, gpu: false } })).source;
    expect(src).toMatch(
      /\n\)\n@modal\.concurrent\(max_inputs=32\)\n@modal\.web_server\(port=PORT, startup_timeout=STARTUP_TIMEOUT\)\ndef serve\(\):/,
    );
    expect(src).not.toContain("enable_memory_snapshot");
    expect(src).not.toContain("@modal.enter");
  });

  it("server: @app.server with port, target/max concurrency, startup timeout and auth; no @modal.concurrent, no timeout", () => {
    const app = render(
      withBase({ serving: { style: "server" }, scaling: { maxInputs: 16, targetInputs: 8, timeout: 900 } }),
    );
    const server = decorator(app.source, "app.server");
    for (const arg of [
      "port=PORT",
      "target_concurrency=8",
      "max_concurrency=16",
      "startup_timeout=STARTUP_TIMEOUT",
      "unauthenticated=True",
    ]) {
      expect(server).toContain(arg);
    }
    expect(server).not.toMatch(/\btimeout=|\bregion=/);
    expect(app.source).not.toContain("@modal.concurrent");
    expect(app.source).not.toContain("@modal.web_server");
    // MODAL_FACTS §4: snapshots apply to @app.server too.
    expect(server).toContain("enable_memory_snapshot=True");
    expect(body(app.source, "wake_up(self")).toContain("report_boot()");
    expect(app.warnings.map((w) => w.code)).toContain("server_no_timeout");
  });

  it("proxy auth: requires_proxy_auth=True on the web server, unauthenticated=False on @app.server", () => {
    expect(
      decorator(render(withBase({ serving: { proxyAuth: true } })).source, "modal.web_server"),
    ).toContain("requires_proxy_auth=True");
    expect(
      decorator(render(withBase({ serving: { proxyAuth: true, style: "server" } })).source, "app.server"),
    ).toContain("unauthenticated=False");
  });

  it("regions: region= on @app.cls, compute_region= + routing_region= on @app.server", () => {
    expect(decorator(render(withBase({ scaling: { region: "us-east" } })).source, "app.cls")).toContain(
      'region="us-east"',
    );
    const server = decorator(
      render(withBase({ serving: { style: "server" }, scaling: { region: ["eu", "us-east"] } })).source,
      "app.server",
    );
    expect(server).toContain('compute_region=["eu", "us-east"]');
    // Requests enter through the containers' region, not Modal's default us-east.
    expect(server).toContain('routing_region="eu"');
    const one = decorator(
      render(withBase({ serving: { style: "server" }, scaling: { region: "us-west" } })).source,
      "app.server",
    );
    expect(one).toContain('compute_region="us-west"');
    expect(one).toContain('routing_region="us-west"');
    expect(decorator(render(withBase({ serving: { style: "server" } })).source, "app.server")).not.toContain(
      "routing_region",
    );
    const codes = (c: DeploymentConfigV1Input) => render(c).warnings.map((w) => w.code);
    expect(
      codes(withBase({ serving: { style: "server" }, scaling: { region: ["eu", "us-east"] } })),
    ).toContain("server_routing_region");
    expect(codes(withBase({ serving: { style: "server" }, scaling: { region: "eu" } }))).not.toContain(
      "server_routing_region",
    );
  });

  it("sets min/max/buffer containers only when the config does", () => {
    const none = decorator(render(base).source, "app.cls");
    expect(none).not.toMatch(/min_containers|max_containers|buffer_containers/);
    const all = decorator(
      render(withBase({ scaling: { minContainers: 1, maxContainers: 3, bufferContainers: 2 } })).source,
      "app.cls",
    );
    for (const arg of ["min_containers=1", "max_containers=3", "buffer_containers=2"])
      expect(all).toContain(arg);
  });
});

describe("engine plugin facts reach the app", () => {
  it("fast boot toggles eager mode and several GPUs set tensor parallelism (the plugin's flags)", () => {
    const app = render(
      withBase({ engine: { kind: "vllm", fastBoot: true }, resources: { gpu: "H100", count: 2 } }),
    );
    expect(app.plan.launch.argv).toContain("--enforce-eager");
    const argv = app.plan.launch.argv;
    expect(argv[argv.indexOf("--tensor-parallel-size") + 1]).toBe("2");
    expect(assigned(app.source, "GPU")).toBe('"H100:2"');
  });

  it("SGLang's DeepGEMM precompile runs at build time with the GPU and its volumes", () => {
    const src = render({
      ...base,
      engine: { kind: "sglang" },
      caches: { deepgemm: "deepgemm-cache" },
    }).source;
    expect(src).toContain("def compile_deep_gemm():");
    expect(body(src, "compile_deep_gemm(")).not.toContain("os.environ"); // decided by codegen
    expect(imageChain(src)).toMatch(
      /\n {4}\.run_function\(\n {8}compile_deep_gemm,\n {8}gpu=GPU,\n {8}volumes=\{/,
    );
  });

  it("a build step behind an env switch is in the app exactly when the image env turns it on", () => {
    const sglang = { ...base, engine: { kind: "sglang" }, caches: { deepgemm: "deepgemm-cache" } } as const;
    // Every spelling Python's `os.environ.get(name, "").lower() in ("", "0", "false")` reads as off.
    for (const off of ["0", "false", "FALSE", "False", ""]) {
      const app = render({ ...sglang, env: { SGLANG_ENABLE_JIT_DEEPGEMM: off } });
      expect(app.source, off).not.toContain("compile_deep_gemm");
      expect(app.plan.image.buildSteps, off).toEqual([]);
    }
    for (const on of ["1", "true", "yes", " 0"]) {
      const app = render({ ...sglang, env: { SGLANG_ENABLE_JIT_DEEPGEMM: on } });
      expect(imageChain(app.source), on).toContain(".run_function(\n        compile_deep_gemm,");
    }
  });

  it("baked weights: a build-time snapshot_download, no weights volume, the HF token when there is one", () => {
    const src = render(withBase({ caches: { bakeWeights: true }, secrets: { huggingface: "hf" } })).source;
    // The model and its revision by the header's constants, as the seeds write them.
    expect(body(src, "download_weights(")).toContain(
      "snapshot_download(MODEL_NAME, revision=MODEL_REVISION)",
    );
    expect(src).toContain('\nMODEL_NAME = "Qwen/Qwen3-8B-FP8"  # on the Hugging Face Hub\n');
    expect(src).toMatch(/\nMODEL_REVISION = "0123456789abcdef[0-9a-f]+" {2}# pinned\n/);
    expect(imageChain(src)).toContain("\n    .run_function(download_weights, secrets=[hf_secret])\n");
    expect(src).not.toContain("weights_volume");
  });

  it("pip with the extra index when one is set, uv otherwise", () => {
    expect(imageChain(render(base).source)).toContain('\n    .uv_pip_install("vllm==');
    const src = render(
      withBase({ engine: { kind: "vllm", extraIndexUrl: "https://download.pytorch.org/whl/cu128" } }),
    ).source;
    expect(src).toContain('extra_index_url="https://download.pytorch.org/whl/cu128"');
    expect(imageChain(src)).toContain("\n    .pip_install(");
  });
});

describe("other plugins' shapes", () => {
  const config = parseDeployment(withBase({ secrets: { apiKey: "k" } }));

  it("optional secret flags join argv only when their variable is set", () => {
    const optional: EnginePluginV1 = {
      ...vllm,
      launch: (c, ctx) => ({
        ...vllm.launch(c, ctx),
        argsFromEnv: [{ flag: "--api-key", env: "ROUSE_API_KEY", optional: true }],
      }),
    };
    expect(body(generateApp(config, optional).source, "start_engine(")).toContain(
      'if "ROUSE_API_KEY" in os.environ:\n        cmd.append("--api-key=" + os.environ["ROUSE_API_KEY"])',
    );
  });

  it("a recipe without sleep: no sleep/wake helpers, the snap=False method still tells restored from cold", () => {
    const noSleep: EnginePluginV1 = {
      ...vllm,
      capabilities: { sleep: false, cudaCheckpoint: false },
      snapshotRecipe: () => ({ beforeSnapshot: ["start", "waitReady", "warmup"], afterRestore: [], env: [] }),
    };
    const src = generateApp(config, noSleep).source;
    for (const fn of ["def sleep(", "def wake_up(", "def wait_for("]) expect(src).not.toContain(fn);
    expect(body(src, "restore(self")).toContain(
      'BOOT["restored"] = os.environ.get("MODAL_TASK_ID") != self.snapshot_task',
    );
  });

  it("a build step without a GPU, volumes or an env switch runs unconditionally", () => {
    const step: EnginePluginV1 = {
      ...vllm,
      image: (c) => ({
        ...vllm.image(c),
        buildSteps: [{ name: "class", description: "x", argv: ["echo", "{}\"'"], gpu: false, volumes: [] }],
      }),
    };
    const src = generateApp(config, step).source;
    expect(src).toContain("def class_():"); // a keyword never becomes a name
    expect(imageChain(src)).toContain("\n    .run_function(class_)\n");
    expect(body(src, "class_(")).not.toContain("os.environ");
  });
});

describe("errors and warnings", () => {
  it("refuses a Volume mounted twice (the SDK refuses it at deploy), naming the field and the fix", () => {
    const config = withBase({ caches: { weights: "one", compile: "one" } });
    // A config rule since issue #13: `rouse validate` refuses it too.
    expect(() => render(config)).toThrow(ConfigError);
    try {
      render(config);
    } catch (e) {
      const issue = (e as ConfigError).issues[0]!;
      expect(issue).toMatchObject({ code: "volume_mounted_twice", path: ["caches", "compile"] });
      expect(issue.fix).toMatch(/caches\.compile/);
      expect((e as Error).message).toContain("caches.compile");
    }
    expect(render(config, { unchecked: true }).source).toContain('modal.Volume.from_name("one"');
  });

  it("refuses env values with line breaks (Modal's image builder writes one ENV line each)", () => {
    expect(() => render(withBase({ env: { X: "a\nb" } }))).toThrow(/env\.X contains a line break/);
    expect(render(withBase({ env: { X: 'a\\nb "q" {}' } })).source).toContain('"X": \'a\\\\nb "q" {}\'');
  });

  it("says next to the snapshot flag what the config's multi-GPU snapshot warning says", () => {
    // The warning itself is validation's (@rouse/config); renderApp in @rouse/engines reports it.
    const app = render(withBase({ resources: { gpu: "H100", count: 2 } }));
    expect(decorator(app.source, "app.cls")).toMatch(
      /# Modal documents GPU snapshots as mostly incompatible with multi-GPU containers:\s+# test restores/,
    );
  });

  it("reports its own warnings, and only those (validation reports the config's and the plugin's)", () => {
    const codes = (c: DeploymentConfigV1Input) => render(c).warnings.map((w) => `${w.source}:${w.code}`);
    expect(codes(withBase({ engine: { kind: "vllm", options: { vllm: { bogus: 1 } } } }))).toEqual([]);
    // vLLM writes no DeepGEMM cache: naming one is reported, not silently ignored.
    expect(codes(withBase({ caches: { deepgemm: "dg" } }))).toContain("codegen:cache_unused");
    expect(
      codes(withBase({ engine: { kind: "sglang" }, caches: { compile: "c", deepgemm: "dg" } })),
    ).not.toContain("codegen:cache_unused");
    expect(codes(withBase({ snapshot: { enabled: true, gpu: false } }))).toContain(
      "codegen:cpu_only_snapshot",
    );
    expect(codes(withBase({ snapshot: { enabled: true, gpu: true } }))).not.toContain(
      "codegen:cpu_only_snapshot",
    );
    expect(codes(withBase({ env: { HF_XET_HIGH_PERFORMANCE: "0" } }))).toContain(
      "codegen:env_overrides_engine",
    );
    expect(codes(withBase({ engine: { kind: "vllm", pythonVersion: "3.10" } }))).toContain(
      "codegen:python_3_10",
    );
    expect(codes(base)).toEqual([]);
  });

  it("the test renderer reports every config problem as a ConfigError", () => {
    expect(() => render({ version: 1, model: { id: "a b" }, engine: { kind: "vllm" } })).toThrow(ConfigError);
    expect(() => render({ version: 2 })).toThrow(/version/);
  });

  it("checks the plugin: wrong engine, unknown spec version, specs outside the contract", () => {
    const config = parseDeployment(base);
    const sglangConfig = parseDeployment({ ...base, engine: { kind: "sglang" } });
    expect(() => generateApp(sglangConfig, vllm)).toThrow(/engine.kind is 'sglang'/);
    expect(() =>
      generateApp(config, { ...vllm, specificationVersion: "v9" } as unknown as EnginePluginV1),
    ).toThrow(UnsupportedSpecificationError);
    // Behind the proxy guard the engine must bind loopback; with the guard inside, the public port.
    const publicBind: EnginePluginV1 = {
      ...vllm,
      launch: (c, ctx) => ({ ...vllm.launch(c, { ...ctx, asgiGuard: undefined }), host: "0.0.0.0" }),
    };
    expect(() => generateApp(config, publicBind)).toThrow(/binds 0.0.0.0:8001, not 127.0.0.1:8001/);
    const loopbackInProcess: EnginePluginV1 = {
      ...vllm,
      launch: (c, ctx) => ({ ...vllm.launch(c, ctx), host: "127.0.0.1" }),
    };
    expect(() => generateApp(config, loopbackInProcess)).toThrow(EnginePluginContractError);
    const noSleep: EnginePluginV1 = {
      ...vllm,
      lifecycle: (c) => ({ ...vllm.lifecycle(c), sleep: undefined }),
    };
    expect(() => generateApp(config, noSleep)).toThrow(/sleeps, but the lifecycle has no sleep call/);
    const badRoutes: EnginePluginV1 = { ...vllm, lifecycle: (c) => ({ ...vllm.lifecycle(c), routes: [] }) };
    expect(() => generateApp(config, badRoutes)).toThrow(/invalid lifecycle spec: routes/);
    const noCanary: EnginePluginV1 = {
      ...vllm,
      lifecycle: (c) => ({ ...vllm.lifecycle(c), canary: undefined }),
    };
    expect(() => generateApp(config, noCanary)).toThrow(/checks the canary, but the lifecycle has no canary/);
    // A plugin that starts its engine before a CPU-only snapshot would fail on Modal: no GPU there.
    const cpuOnly = parseDeployment({ ...base, snapshot: { enabled: true, gpu: false } });
    const gpuBeforeCpuSnapshot: EnginePluginV1 = {
      ...vllm,
      snapshotRecipe: () => ({ beforeSnapshot: ["start", "waitReady"], afterRestore: [], env: [] }),
    };
    expect(() => generateApp(cpuOnly, gpuBeforeCpuSnapshot)).toThrow(
      /snapshot.gpu false the snap=True phase has no GPU, but the recipe runs start, waitReady there/,
    );
  });
});

describe("the guard module inside app.py", () => {
  it("is written as a raw ''' string only when that holds it byte for byte", () => {
    expect(fitsRawTripleQuotes("ROUTES = {'/v1/': 'key'}\nx = r'\\d'\n")).toBe(true);
    for (const text of ["a = '''b'''\n", "line\r\n", "ends with \\\n", "ends with \\"])
      expect(fitsRawTripleQuotes(text), JSON.stringify(text)).toBe(false);
  });
});
