import { describe, expect, it } from "vitest";
import { minimalPlugin } from "./__fixtures__/minimal-plugin.ts";
import { accessOf, runEnginePluginConformance, type TestApi } from "./conformance.ts";
import type { EnginePluginV1 } from "./index.ts";

// The suite must pass a plugin that keeps the contract and fail one that breaks any rule:
// it is registered with a collecting runner here, each case run and its outcome kept.

async function outcomes(plugin: EnginePluginV1): Promise<Map<string, "pass" | "fail">> {
  const cases: { name: string; fn: () => unknown }[] = [];
  const t: TestApi = {
    describe: (_name, fn) => fn(),
    it: (name, fn) => cases.push({ name, fn }),
    expect: expect as unknown as TestApi["expect"],
  };
  runEnginePluginConformance(plugin, t);
  const result = new Map<string, "pass" | "fail">();
  for (const c of cases) {
    result.set(
      c.name,
      await Promise.resolve()
        .then(c.fn)
        .then(
          () => "pass" as const,
          () => "fail" as const,
        ),
    );
  }
  return result;
}

const failed = (m: Map<string, string>) => [...m].filter(([, o]) => o === "fail").map(([n]) => n);

describe("runEnginePluginConformance", () => {
  it("passes a plugin that keeps the contract, running every case on its own engine kind", async () => {
    const result = await outcomes(minimalPlugin);
    expect(failed(result)).toEqual([]);
    expect(result.size).toBeGreaterThan(30);
  });

  const broken: [string, Partial<EnginePluginV1>, RegExp][] = [
    [
      "binds a fixed host",
      { launch: (c, ctx) => ({ ...minimalPlugin.launch(c, ctx), host: "0.0.0.0" }) },
      /binds the host and port/,
    ],
    [
      "joins extra arguments into one shell string",
      {
        launch: (c, ctx) => {
          const spec = minimalPlugin.launch(c, ctx);
          return { ...spec, argv: [...spec.argv.slice(0, 6), c.engine.extraArgs.join(" ")].filter(Boolean) };
        },
      },
      /hostile extra arguments/,
    ],
    [
      "puts the API key name nowhere (drops it)",
      { launch: (c, ctx) => ({ ...minimalPlugin.launch(c, ctx), argsFromEnv: [] }) },
      /never puts the API key/,
    ],
    [
      "exposes an admin path",
      {
        lifecycle: (c) => {
          const life = minimalPlugin.lifecycle(c);
          return { ...life, routes: [{ path: "/", access: "public" }] };
        },
      },
      /keeps admin endpoints private/,
    ],
    [
      "leaves an image package unpinned",
      { image: (c) => ({ ...minimalPlugin.image(c), packages: ["toy-server"] }) },
      /pins every image package/,
    ],
    [
      "sleeps without a canary",
      { lifecycle: (c) => ({ ...minimalPlugin.lifecycle(c), canary: undefined }) },
      /verifies the wake/,
    ],
    [
      "starts the engine before a CPU-only snapshot",
      {
        snapshotRecipe: (c) =>
          c.snapshot.gpu
            ? minimalPlugin.snapshotRecipe(c)
            : { beforeSnapshot: ["start"], afterRestore: ["start"], env: [] },
      },
      /CPU-only snapshots/,
    ],
    [
      "claims the in-process guard without running it",
      { launch: (c, ctx) => ({ ...minimalPlugin.launch(c, ctx), guard: "in-process" as const }) },
      /in-process guard/,
    ],
    [
      "returns a launch spec that changes between calls",
      { launch: (c, ctx) => ({ ...minimalPlugin.launch(c, ctx), env: { N: String(Math.random()) } }) },
      /deterministic/,
    ],
  ];
  for (const [what, override, expected] of broken) {
    it(`fails a plugin that ${what}`, async () => {
      const names = failed(await outcomes({ ...minimalPlugin, ...override }));
      expect(names.length).toBeGreaterThan(0);
      expect(names.every((n) => expected.test(n))).toBe(true);
    });
  }

  it("fails a plugin whose waitReady never gives up", async () => {
    const hanging: EnginePluginV1 = {
      ...minimalPlugin,
      createLifecycleClient: (c, o) => ({
        ...minimalPlugin.createLifecycleClient(c, o),
        waitReady: () => new Promise((_, reject) => setTimeout(() => reject(new Error("gave up late")), 50)),
      }),
    };
    expect(failed(await outcomes(hanging)).sort()).toEqual([
      "waitReady fails at its deadline against a closed port, naming the engine",
      "waitReady fails fast when the engine process has exited",
    ]);
  });
});

describe("accessOf", () => {
  const routes = [
    { path: "/v1/", access: "key" },
    { path: "/health", access: "public" },
  ] as const;
  it("matches prefixes ending in / and exact paths, first rule first; the rest is private", () => {
    expect(accessOf(routes, "/v1/chat/completions")).toBe("key");
    expect(accessOf(routes, "/health")).toBe("public");
    expect(accessOf(routes, "/healthz")).toBe("private");
    expect(accessOf(routes, "/v1")).toBe("private");
    expect(accessOf([{ path: "/", access: "public" }, ...routes], "/sleep")).toBe("public");
  });
});
