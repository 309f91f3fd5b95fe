import { createServer } from "node:net";
import { conformanceConfigs } from "./conformance-configs.ts";
import type { DeploymentViewV1 } from "./v1/deployment-view.ts";
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

export { type ConformanceConfigName, conformanceConfigs, minimalDeployment } from "./conformance-configs.ts";

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface ConformanceOptions {
  /**
   * More configs to run the per-config cases on (e.g. your presets), beside the suite's own
   * (`conformanceConfigs(plugin.engine)`); each a validated config, defaults filled in.
   */
  readonly extraConfigs?: Readonly<Record<string, DeploymentViewV1>>;
}

/**
 * Registers the suite with your test runner. Needs nothing but this package: the configs are
 * plain objects of the plugin's own `engine.kind`.
 */
export function runEnginePluginConformance(
  plugin: EnginePluginV1,
  t: TestApi,
  options: ConformanceOptions = {},
): void {
  const { describe, it, expect } = t;
  const own = conformanceConfigs(plugin.engine);
  const configs = Object.entries({ ...own, ...options.extraConfigs });
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

      it(`${name}: runs rouse's in-process guard only when asked, and then names it in argv`, () => {
        // Unasked, no claim; asked, either no claim (rouse puts its proxy in front) or the
        // middleware's import path in argv, on the host and port given.
        const plain = launchSpecV1Schema.parse(plugin.launch(config, ctx));
        expect(plain.guard === undefined).toBe(true);
        const asgiGuard = { module: "rouse_guard_conformance", attribute: "Guard" };
        const asked = launchSpecV1Schema.parse(plugin.launch(config, { ...ctx, asgiGuard }));
        if (asked.guard === "in-process") {
          expect(asked.argv.some((a) => a.includes(asgiGuard.module))).toBe(true);
          expect([asked.host, asked.port]).toEqual([ctx.host, ctx.port]);
        } else expect(asked.argv.join(" ")).not.toContain(asgiGuard.module);
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
      const config = own.hostileExtraArgs;
      const { argv } = launchSpecV1Schema.parse(plugin.launch(config, ctx));
      for (const arg of config.engine.extraArgs) expect(argv).toContain(arg);
    });

    it("never puts the API key in argv or env literals: it comes from the secret's variable", () => {
      const config = own.withKey;
      const launch = launchSpecV1Schema.parse(plugin.launch(config, ctx));
      const fromEnv = launch.argsFromEnv.some((a) => a.env === "MY_KEY");
      const passesEnv = Object.values(launch.env).some((v) => v.includes("MY_KEY"));
      expect(fromEnv || passesEnv).toBe(true);
    });

    it("snapshot recipe starts the engine, waits, and sleeps before the snapshot when it can", () => {
      const config = own.minimal;
      const recipe = snapshotRecipeV1Schema.parse(plugin.snapshotRecipe(config));
      expect(recipe.beforeSnapshot[0]).toBe("start");
      expect(recipe.beforeSnapshot).toContain("waitReady");
      if (plugin.capabilities.sleep) {
        expect(recipe.beforeSnapshot[recipe.beforeSnapshot.length - 1]).toBe("sleep");
        expect(recipe.afterRestore).toContain("wake");
      }
    });

    it("a plugin that sleeps verifies the wake: a greedy canary recorded before sleep, replayed after wake", () => {
      const config = own.minimal;
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
      const config = own.cpuSnapshot;
      const recipe = snapshotRecipeV1Schema.parse(plugin.snapshotRecipe(config));
      expect(recipe.beforeSnapshot.filter((s) => s !== "prepare")).toEqual([]);
      expect(recipe.afterRestore).toContain("start");
    });

    it("waitReady fails at its deadline against a closed port, naming the engine", async () => {
      const port = await closedPort();
      const client = plugin.createLifecycleClient(own.minimal, {
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
      const client = plugin.createLifecycleClient(own.minimal, {
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
