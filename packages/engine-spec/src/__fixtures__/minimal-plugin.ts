import type { DeploymentViewV1, EnginePluginV1 } from "../index.ts";
import { EngineExitedError, EngineLifecycleError, EngineUnsupportedError } from "../index.ts";

// The smallest plugin that passes the conformance suite, written for the suite's own tests:
// each test breaks one rule of it and expects the suite to notice. Its engine is a made-up
// `toy-server` with sleep mode, so the sleep and canary cases run too.

const health = { method: "GET", path: "/health" } as const;

function waitReadyClient(config: DeploymentViewV1, baseUrl: string): EnginePluginV1["createLifecycleClient"] {
  return () => ({
    engine: "toy",
    async waitReady({ timeoutMs, process, intervalMs = 100 }) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        if (process && process.exitCode !== null)
          throw new EngineExitedError("toy", "GET /health", process.exitCode);
        const ok = await fetch(new URL("/health", baseUrl), { signal: AbortSignal.timeout(500) }).then(
          (r) => r.ok,
          () => false,
        );
        if (ok) return;
        if (Date.now() > deadline)
          throw new EngineLifecycleError("toy", "GET /health", `not ready within ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, intervalMs));
      }
    },
    warmup: async () => {},
    sleep: () =>
      Promise.reject(new EngineUnsupportedError("toy", "sleep", `not in this fixture (${config.model.id})`)),
    wakeUp: async () => {},
    isSleeping: async () => false,
    health: async () => true,
    metrics: () => Promise.reject(new EngineUnsupportedError("toy", "GET /metrics", "not in this fixture")),
  });
}

export const minimalPlugin: EnginePluginV1 = {
  specificationVersion: "v1",
  engine: "toy",
  displayName: "Toy server",
  defaultVersion: "1.0.0",
  capabilities: { sleep: true, cudaCheckpoint: false },
  validate: () => [],
  launch: (config, ctx) => ({
    argv: [
      "toy-server",
      config.model.id,
      "--host",
      ctx.host,
      "--port",
      String(ctx.port),
      ...config.engine.extraArgs,
    ],
    env: {},
    argsFromEnv: config.secrets.apiKey
      ? [{ flag: "--api-key", env: config.secrets.apiKeyEnv, optional: false }]
      : [],
    host: ctx.host,
    port: ctx.port,
  }),
  image: (config) => ({
    base: { kind: "debian_slim", python: "3.12" },
    clearEntrypoint: false,
    packages: [`toy-server==${config.engine.version ?? "1.0.0"}`],
    env: [],
    buildSteps: [],
    caches: [],
  }),
  lifecycle: () => ({
    readiness: { probe: health, portOpensWhenReady: true },
    health,
    warmup: { method: "POST", path: "/v1/completions", json: { prompt: "Hi", max_tokens: 4 } },
    warmupCount: 1,
    sleep: { call: { method: "POST", path: "/sleep" } },
    wake: { call: { method: "POST", path: "/wake" } },
    canary: {
      request: {
        method: "POST",
        path: "/v1/completions",
        json: { prompt: "Hi", max_tokens: 4, temperature: 0, logprobs: 1 },
      },
      tokensField: "choices.0.logprobs.tokens",
      logprobsField: "choices.0.logprobs.token_logprobs",
      logprobTolerance: 0.01,
    },
    asleepMeans: "weights → host RAM",
    holdsRequestsWhileAsleep: true,
    routes: [
      { path: "/health", access: "public" },
      { path: "/v1/", access: "key" },
    ],
    adminPaths: ["/sleep", "/wake"],
  }),
  snapshotRecipe: (config) =>
    config.snapshot.gpu
      ? {
          beforeSnapshot: ["start", "waitReady", "warmup", "canary", "sleep"],
          afterRestore: ["wake", "canary"],
          env: [],
        }
      : {
          beforeSnapshot: ["prepare"],
          afterRestore: ["start", "waitReady"],
          prepare: { imports: ["json"] },
          env: [],
        },
  createLifecycleClient: (config, options) => waitReadyClient(config, options.baseUrl)(config, options),
};
