// A third-party engine plugin written against the contract alone (@rouse/engine-spec is this
// package's only dependency): llama.cpp's `llama-server`. No sleep mode, so no snapshot dance.
// docs/write-an-engine-plugin.md walks through it.
import {
  type DeploymentViewV1,
  EngineExitedError,
  type EngineLifecycleClientV1,
  EngineLifecycleError,
  type EnginePluginV1,
  EngineUnsupportedError,
} from "@rouse/engine-spec";

/** llama-server serves one alias: the first served name, else the model id. */
export function aliasOf(config: DeploymentViewV1): string {
  return config.model.servedName?.[0] ?? config.model.id;
}

const PORT_HEALTH = { method: "GET", path: "/health", timeoutSeconds: 5 } as const;

function client(
  config: DeploymentViewV1,
  baseUrl: string,
  apiKey?: string,
  timeoutMs = 30_000,
): EngineLifecycleClientV1 {
  const call = async (method: string, path: string, body?: unknown, ms = timeoutMs) => {
    try {
      return await fetch(new URL(path, baseUrl), {
        method,
        headers: {
          "content-type": "application/json",
          ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(ms),
      });
    } catch (cause) {
      throw new EngineLifecycleError("llamacpp", `${method} ${path}`, "no answer", { cause });
    }
  };
  const unsupported = () =>
    Promise.reject(new EngineUnsupportedError("llamacpp", "sleep", "llama-server has no sleep mode"));
  return {
    engine: "llamacpp",
    async waitReady({ timeoutMs: limit, process, intervalMs = 250 }) {
      const deadline = Date.now() + limit;
      for (;;) {
        if (process && (process.exitCode !== null || (process.signalCode ?? null) !== null)) {
          throw new EngineExitedError(
            "llamacpp",
            "GET /health",
            process.exitCode,
            process.signalCode ?? null,
          );
        }
        // llama-server answers 503 while the model loads.
        if (
          await call("GET", "/health", undefined, 1_000).then(
            (r) => r.ok,
            () => false,
          )
        )
          return;
        if (Date.now() > deadline)
          throw new EngineLifecycleError("llamacpp", "GET /health", `not ready within ${limit} ms`);
        await new Promise((r) => setTimeout(r, intervalMs));
      }
    },
    async warmup({ count = 1 } = {}) {
      for (let i = 0; i < count; i++) {
        const r = await call("POST", "/v1/chat/completions", {
          model: aliasOf(config),
          messages: [{ role: "user", content: "Hi" }],
          max_tokens: 16,
        });
        if (!r.ok)
          throw new EngineLifecycleError("llamacpp", "POST /v1/chat/completions", "warmup failed", {
            status: r.status,
            body: await r.text(),
          });
      }
    },
    sleep: unsupported,
    wakeUp: unsupported,
    isSleeping: async () => false,
    health: () =>
      call("GET", "/health").then(
        (r) => r.ok,
        () => false,
      ),
    metrics: () =>
      Promise.reject(new EngineUnsupportedError("llamacpp", "GET /metrics", "not parsed by this example")),
  };
}

export const llamacpp: EnginePluginV1 = {
  specificationVersion: "v1",
  engine: "llamacpp",
  displayName: "llama.cpp server",
  defaultVersion: "6500",
  capabilities: { sleep: false, cudaCheckpoint: false },
  validate: (config) =>
    config.snapshot.enabled
      ? [
          {
            code: "no_sleep",
            field: "snapshot.enabled",
            message: "llama-server cannot sleep: the snapshot holds a loaded GPU",
          },
        ]
      : [],
  launch: (config, ctx) => ({
    argv: [
      ...(ctx.executable ?? ["llama-server"]),
      "-hf",
      config.model.id,
      "--host",
      ctx.host,
      "--port",
      String(ctx.port),
      "--alias",
      aliasOf(config),
      "-ngl",
      "999",
      ...(config.model.maxModelLen ? ["-c", String(config.model.maxModelLen)] : []),
      ...config.engine.extraArgs,
    ],
    env: {},
    argsFromEnv: config.secrets.apiKey
      ? [{ flag: "--api-key", env: config.secrets.apiKeyEnv, optional: false }]
      : [],
    host: ctx.host,
    port: ctx.port,
  }),
  image: () => ({
    base: { kind: "registry", ref: "ghcr.io/ggml-org/llama.cpp:server-cuda-b6500" },
    clearEntrypoint: true,
    packages: [],
    env: [],
    buildSteps: [],
    caches: [{ role: "weights", path: "/root/.cache/llama.cpp", description: "GGUF downloads" }],
  }),
  lifecycle: (config) => ({
    readiness: { probe: PORT_HEALTH, portOpensWhenReady: false },
    health: PORT_HEALTH,
    warmup: {
      method: "POST",
      path: "/v1/chat/completions",
      json: { model: aliasOf(config), messages: [{ role: "user", content: "Hi" }], max_tokens: 16 },
    },
    warmupCount: config.snapshot.warmupRequests,
    asleepMeans: "llama-server has no sleep mode",
    holdsRequestsWhileAsleep: false,
    routes: [
      { path: "/health", access: "public" },
      { path: "/v1/", access: "key" },
    ],
    adminPaths: ["/slots"],
  }),
  // llama.cpp has no sleep mode: with GPU snapshots the warm engine is captured; with
  // CPU-only snapshots the phase has no GPU: it only imports (so the files are read into
  // the snapshot), and the engine starts after restore.
  snapshotRecipe: (config) =>
    config.snapshot.gpu
      ? { beforeSnapshot: ["start", "waitReady", "warmup"], afterRestore: ["waitReady"], env: [] }
      : {
          beforeSnapshot: ["prepare"],
          afterRestore: ["start", "waitReady", "warmup"],
          prepare: { imports: ["json", "urllib.request"] },
          env: [],
        },
  createLifecycleClient: (config, options) =>
    client(config, options.baseUrl, options.apiKey, options.timeoutMs),
};
