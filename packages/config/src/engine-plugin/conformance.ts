import { createServer } from "node:net";
import type { DeploymentConfigV1Input } from "../deployment/v1/schema.ts";
import { parseDeployment } from "../deployment/validate.ts";
import {
  EngineExitedError,
  EngineLifecycleError,
  type EnginePluginV1,
  imageRecipeV1Schema,
  launchSpecV1Schema,
  lifecycleSpecV1Schema,
  type RouteRuleV1,
  snapshotRecipeV1Schema,
} from "./v1/index.ts";

// The conformance suite every engine plugin runs — vLLM, SGLang, and third-party
// plugins alike (like Hono's shared router suite). Pass your test runner's
// describe/it/expect; a skipped case must say why.

export interface TestApi {
  describe: (name: string, fn: () => void) => void;
  it: (name: string, fn: () => unknown | Promise<unknown>, timeout?: number) => void;
  expect: (value: unknown) => {
    toBe(v: unknown): void;
    toEqual(v: unknown): void;
    toContain(v: unknown): void;
    toBeGreaterThan(v: number): void;
    toBeLessThan(v: number): void;
    toMatch(v: RegExp): void;
    toBeInstanceOf(v: unknown): void;
    not: { toContain(v: unknown): void; toBe(v: unknown): void };
  };
}

/** First matching route decides; unlisted paths are private. */
export function accessOf(routes: readonly RouteRuleV1[], path: string): RouteRuleV1["access"] {
  for (const r of routes) {
    if (r.path.endsWith("/") ? path.startsWith(r.path) : path === r.path) return r.access;
  }
  return "private";
}

/** Configs every plugin must handle, for its engine kind. */
export function conformanceConfigs(engine: string): Record<string, DeploymentConfigV1Input> {
  const kind = engine as "vllm" | "sglang";
  const base = {
    version: 1 as const,
    model: { id: "org/Model-7B", revision: "0123456789abcdef0123456789abcdef01234567" },
  };
  return {
    minimal: { ...base, engine: { kind } },
    noSnapshot: { ...base, engine: { kind }, snapshot: { enabled: false, gpu: false } },
    multiGpu: { ...base, engine: { kind }, resources: { gpu: "H100", count: 2 } },
    withKey: { ...base, engine: { kind }, secrets: { apiKey: "my-key", apiKeyEnv: "MY_KEY" } },
    hostileExtraArgs: {
      ...base,
      engine: { kind, extraArgs: ["--some-flag", "a b; $(touch /tmp/x) `id` \"q\" 'q' \\"] },
    },
    full: {
      ...base,
      model: {
        ...base.model,
        servedName: ["m"],
        maxModelLen: 4096,
        toolCallParser: "hermes",
        reasoningParser: "qwen3",
      },
      engine: { kind, fastBoot: true, gpuMemoryUtilization: 0.8, maxNumSeqs: 16, maxBatchedTokens: 8192 },
      scaling: { maxInputs: 16, targetInputs: 8 },
    },
  };
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface ConformanceOptions {
  /**
   * The `engine.kind` of the configs the suite feeds the plugin. Default: the plugin's
   * own engine. rouse.yaml v1 names only `vllm` and `sglang`, so a plugin for another
   * engine runs the suite on configs of one of those kinds.
   */
  readonly configKind?: "vllm" | "sglang";
}

export function runEnginePluginConformance(
  plugin: EnginePluginV1,
  t: TestApi,
  options: ConformanceOptions = {},
): void {
  const { describe, it, expect } = t;
  const configs = Object.entries(conformanceConfigs(options.configKind ?? plugin.engine)).map(
    ([name, input]) => [name, parseDeployment(input)] as const,
  );
  const ctx = { target: "modal" as const, host: "0.0.0.0", port: 8000 };

  describe(`engine plugin conformance: ${plugin.engine}`, () => {
    it("declares spec v1, an engine name and a pinned default version", () => {
      expect(plugin.specificationVersion).toBe("v1");
      expect(plugin.engine).toMatch(/^[a-z][a-z0-9-]*$/);
      expect(plugin.defaultVersion).toMatch(/^[0-9]/);
    });

    for (const [name, config] of configs) {
      it(`${name}: returns valid, deterministic launch/image/lifecycle/snapshot specs`, () => {
        const launch = launchSpecV1Schema.parse(plugin.launch(config, ctx));
        expect(launchSpecV1Schema.parse(plugin.launch(config, ctx))).toEqual(launch);
        imageRecipeV1Schema.parse(plugin.image(config));
        lifecycleSpecV1Schema.parse(plugin.lifecycle(config));
        snapshotRecipeV1Schema.parse(plugin.snapshotRecipe(config));
        expect(Array.isArray(plugin.validate(config))).toBe(true);
      });

      it(`${name}: binds the host and port it was given`, () => {
        const { argv, host, port } = launchSpecV1Schema.parse(
          plugin.launch(config, { ...ctx, host: "127.0.0.1", port: 9123 }),
        );
        expect(host).toBe("127.0.0.1");
        expect(port).toBe(9123);
        expect(argv).toContain("127.0.0.1");
        expect(argv).toContain("9123");
      });

      it(`${name}: keeps admin endpoints private and health reachable`, () => {
        const life = lifecycleSpecV1Schema.parse(plugin.lifecycle(config));
        for (const admin of life.adminPaths) expect(accessOf(life.routes, admin)).toBe("private");
        expect(accessOf(life.routes, life.health.path)).not.toBe("private");
        expect(accessOf(life.routes, "/v1/chat/completions")).toBe("key");
      });

      it(`${name}: pins every image package`, () => {
        const image = imageRecipeV1Schema.parse(plugin.image(config));
        for (const pkg of image.packages) expect(pkg).toMatch(/(==|@)/);
      });
    }

    it("carries hostile extra arguments as single argv elements, unchanged", () => {
      const config = configs.find(([n]) => n === "hostileExtraArgs")![1];
      const { argv } = launchSpecV1Schema.parse(plugin.launch(config, ctx));
      for (const arg of config.engine.extraArgs) expect(argv).toContain(arg);
    });

    it("never puts the API key in argv or env literals: it comes from the secret's variable", () => {
      const config = configs.find(([n]) => n === "withKey")![1];
      const launch = launchSpecV1Schema.parse(plugin.launch(config, ctx));
      const fromEnv = launch.argsFromEnv.some((a) => a.env === "MY_KEY");
      const passesEnv = Object.values(launch.env).some((v) => v.includes("MY_KEY"));
      expect(fromEnv || passesEnv).toBe(true);
    });

    it("snapshot recipe starts the engine, waits, and sleeps before the snapshot when it can", () => {
      const config = configs.find(([n]) => n === "minimal")![1];
      const recipe = snapshotRecipeV1Schema.parse(plugin.snapshotRecipe(config));
      expect(recipe.beforeSnapshot[0]).toBe("start");
      expect(recipe.beforeSnapshot).toContain("waitReady");
      if (plugin.capabilities.sleep) {
        expect(recipe.beforeSnapshot[recipe.beforeSnapshot.length - 1]).toBe("sleep");
        expect(recipe.afterRestore).toContain("wake");
      }
    });

    it("a plugin that sleeps verifies the wake: a greedy canary recorded before sleep, replayed after wake", () => {
      const config = configs.find(([n]) => n === "minimal")![1];
      const recipe = snapshotRecipeV1Schema.parse(plugin.snapshotRecipe(config));
      if (!recipe.beforeSnapshot.includes("sleep")) return;
      const life = lifecycleSpecV1Schema.parse(plugin.lifecycle(config));
      // A lifecycle with sleep has a canary, and it is greedy.
      expect(life.canary === undefined).toBe(false);
      expect((life.canary?.request.json as { temperature?: unknown } | undefined)?.temperature).toBe(0);
      const before = recipe.beforeSnapshot;
      expect(before.indexOf("canary")).toBeGreaterThan(before.indexOf("waitReady"));
      expect(before.indexOf("canary")).toBeLessThan(before.indexOf("sleep"));
      expect(recipe.afterRestore.indexOf("canary")).toBeGreaterThan(recipe.afterRestore.indexOf("wake"));
    });

    it("CPU-only snapshots run nothing that needs a GPU before the snapshot", () => {
      const config = parseDeployment({
        ...conformanceConfigs(options.configKind ?? plugin.engine).minimal,
        snapshot: { enabled: true, gpu: false },
      });
      const recipe = snapshotRecipeV1Schema.parse(plugin.snapshotRecipe(config));
      expect(recipe.beforeSnapshot.filter((s) => s !== "prepare")).toEqual([]);
      expect(recipe.afterRestore).toContain("start");
    });

    it("waitReady fails at its deadline against a closed port, naming the engine", async () => {
      const port = await closedPort();
      const client = plugin.createLifecycleClient(configs[0]![1], {
        baseUrl: `http://127.0.0.1:${port}`,
        timeoutMs: 500,
      });
      const started = Date.now();
      let error: unknown;
      await client.waitReady({ timeoutMs: 600, intervalMs: 50 }).catch((e) => {
        error = e;
      });
      expect(error).toBeInstanceOf(EngineLifecycleError);
      expect(String((error as Error).message)).toContain(plugin.engine);
      expect(Date.now() - started).toBeLessThan(5_000);
    });

    it("waitReady fails fast when the engine process has exited", async () => {
      const port = await closedPort();
      const client = plugin.createLifecycleClient(configs[0]![1], {
        baseUrl: `http://127.0.0.1:${port}`,
        timeoutMs: 500,
      });
      let error: unknown;
      const started = Date.now();
      await client.waitReady({ timeoutMs: 60_000, intervalMs: 50, process: { exitCode: 1 } }).catch((e) => {
        error = e;
      });
      expect(error).toBeInstanceOf(EngineExitedError);
      expect(Date.now() - started).toBeLessThan(5_000);
    });
  });
}
