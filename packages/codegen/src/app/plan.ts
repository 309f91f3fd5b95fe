import { type DeploymentConfigV1, gpuStringOf, servedNamesOf } from "@rouse/config";
import {
  type BuildStepV1,
  type EnginePluginV1,
  type httpCallV1Schema,
  imageRecipeV1Schema,
  launchSpecV1Schema,
  lifecycleSpecV1Schema,
  type RouteRuleV1,
  type SnapshotStepV1,
  snapshotRecipeV1Schema,
} from "@rouse/engine-spec";
import { EnginePluginContractError } from "./errors.ts";

// Everything the emitted app needs, composed from the config and the engine plugin's
// answers. No engine facts live here: argv, image, lifecycle calls, routes and the
// snapshot steps all come from the plugin; codegen decides only Modal's side.

export type HttpCall = ReturnType<(typeof httpCallV1Schema)["parse"]>;
type ImageRecipe = ReturnType<(typeof imageRecipeV1Schema)["parse"]>;
export type CacheRole = "weights" | "compile" | "deepgemm";

export interface EnvEntry {
  readonly name: string;
  readonly value: string;
  readonly why: string;
}

export interface VolumePlan {
  readonly role: CacheRole;
  /** Modal Volume name. */
  readonly name: string;
  readonly path: string;
  /** Python variable holding the Volume handle. */
  readonly variable: string;
  readonly description: string;
}

export interface SecretPlan {
  readonly name: string;
  readonly variable: string;
  readonly purpose: string;
}

/**
 * Where the app's web endpoint lives, as Modal registers it: `cls` is an `@app.cls` with
 * a `@modal.web_server` method (snapshots), `function` an `@app.function` web server,
 * `server` an `@app.server` class. The emitter follows this; callers (`rouse deploy`,
 * `rouse logs`) use it to find the endpoint's URL and logs.
 */
export type Endpoint =
  | { readonly kind: "cls"; readonly object: string; readonly method: string }
  | { readonly kind: "function"; readonly object: string; readonly method: undefined }
  | { readonly kind: "server"; readonly object: string; readonly method: undefined };

export interface AppPlan {
  readonly appName: string;
  readonly engine: { readonly kind: string; readonly displayName: string };
  readonly model: { readonly id: string; readonly revision: string | undefined; readonly servedName: string };
  readonly style: "web-server" | "server";
  readonly snapshot: { readonly enabled: boolean; readonly gpu: boolean };
  readonly ports: { readonly public: number; readonly engine: number };
  /**
   * `in-process`: rouse's ASGI guard runs inside the engine's HTTP server, which serves the
   * public port itself; `proxy`: the engine binds loopback and the proxy guard faces PORT.
   */
  readonly guard: "in-process" | "proxy";
  readonly gpu: { readonly spec: string; readonly count: number };
  readonly cpu: number | undefined;
  readonly memory: number | undefined;
  readonly image: {
    readonly base: ImageRecipe["base"];
    readonly clearEntrypoint: boolean;
    readonly packages: readonly string[];
    readonly extraIndexUrl: string | undefined;
    readonly env: readonly EnvEntry[];
    readonly bakeWeights: boolean;
    readonly buildSteps: ReadonlyArray<BuildStepV1 & { readonly volumes: readonly CacheRole[] }>;
  };
  readonly volumes: readonly VolumePlan[];
  readonly secrets: readonly SecretPlan[];
  readonly scaling: DeploymentConfigV1["scaling"];
  readonly proxyAuth: boolean;
  readonly launch: {
    readonly argv: readonly string[];
    readonly env: Readonly<Record<string, string>>;
    readonly argsFromEnv: ReadonlyArray<{
      readonly flag: string;
      readonly env: string;
      readonly optional: boolean;
    }>;
    /** The plugin's one-line reasons for groups of flags (comments in ENGINE_CMD). */
    readonly notes: ReadonlyArray<{ readonly flag: string; readonly why: string }>;
  };
  readonly lifecycle: {
    readonly readiness: HttpCall;
    readonly warmup: HttpCall;
    readonly warmupCount: number;
    readonly sleep: ConfirmedCall | undefined;
    readonly wake: ConfirmedCall | undefined;
    /** Calls after the wake, before traffic (vLLM level 2: reload weights, reset prefix cache). */
    readonly afterWake: readonly HttpCall[];
    readonly canary: CanaryPlan | undefined;
    readonly asleepMeans: string;
    readonly routes: readonly RouteRuleV1[];
    readonly adminPaths: readonly string[];
  };
  /** Steps of the `snap=True` and `snap=False` enter methods; undefined without snapshots. */
  readonly recipe:
    | {
        readonly beforeSnapshot: readonly SnapshotStepV1[];
        readonly afterRestore: readonly SnapshotStepV1[];
        /** Modules `prepare` imports (CPU-only snapshots). */
        readonly prepareImports: readonly string[];
      }
    | undefined;
  readonly apiKey: { readonly secret: string; readonly env: string } | undefined;
  readonly className: string;
  readonly endpoint: Endpoint;
}

export interface CanaryPlan {
  readonly request: HttpCall;
  readonly tokensField: string;
  readonly logprobsField: string;
  readonly logprobTolerance: number;
}

export interface ConfirmedCall {
  readonly call: HttpCall;
  readonly confirm: { readonly call: HttpCall; readonly field: string; readonly equals: unknown } | undefined;
}

/** The module app.py writes for the engine process, and the middleware class in it. */
export const ASGI_GUARD = { module: "rouse_guard", attribute: "RouseGuard" } as const;

/** Behind the proxy guard, the engine listens next to the public port, on loopback only. */
export function enginePortFor(publicPort: number): number {
  return publicPort === 65_535 ? publicPort - 1 : publicPort + 1;
}

interface Schema<T> {
  safeParse(
    value: unknown,
  ):
    | { success: true; data: T }
    | { success: false; error: { issues: ReadonlyArray<{ path: PropertyKey[]; message: string }> } };
}

function parseOrThrow<T>(engine: string, what: string, schema: Schema<T>, value: unknown): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new EnginePluginContractError(
      engine,
      what,
      `${first?.path.map(String).join(".") || "(root)"}: ${first?.message}`,
    );
  }
  return parsed.data;
}

const VOLUME_VARIABLES: Record<CacheRole, string> = {
  weights: "weights_volume",
  compile: "compile_volume",
  deepgemm: "deepgemm_volume",
};

function volumeNameFor(config: DeploymentConfigV1, role: CacheRole): string | undefined {
  if (role === "weights") return config.caches.bakeWeights ? undefined : config.caches.weights;
  return config.caches[role];
}

/** Image env: the plugin's, then the snapshot recipe's, then the config's own (which wins on a clash). */
function mergeEnv(layers: ReadonlyArray<readonly EnvEntry[]>): { env: EnvEntry[]; overridden: EnvEntry[] } {
  const byName = new Map<string, EnvEntry>();
  const overridden: EnvEntry[] = [];
  for (const layer of layers) {
    for (const e of layer) {
      const before = byName.get(e.name);
      if (before && before.value === e.value) continue; // same value: keep the first reason
      if (before) overridden.push(before);
      byName.set(e.name, e);
    }
  }
  return { env: [...byName.values()], overridden };
}

/** What a build step's `os.environ.get(name, "").lower() not in ("", "0", "false")` would say. */
function switchedOn(env: readonly EnvEntry[], name: string): boolean {
  const value = env.find((e) => e.name === name)?.value ?? "";
  return !["", "0", "false"].includes(value.toLowerCase());
}

export interface PlanResult {
  readonly plan: AppPlan;
  /** Image env the config replaced (plugin values it overrode), for a warning. */
  readonly overriddenEnv: readonly EnvEntry[];
  /** `caches.*` roles the config sets but the engine writes no such cache for. */
  readonly unusedCaches: readonly CacheRole[];
}

export function planApp(config: DeploymentConfigV1, plugin: EnginePluginV1): PlanResult {
  const engine = plugin.engine;
  const publicPort = config.serving.port;
  const enginePort = enginePortFor(publicPort);
  // The guard runs inside the engine's own HTTP server when the plugin can put it there
  // (no proxy hop per token); otherwise the engine binds loopback behind the proxy guard.
  const inProcess = parseOrThrow(
    engine,
    "launch spec",
    launchSpecV1Schema,
    plugin.launch(config, { target: "modal", host: "0.0.0.0", port: publicPort, asgiGuard: ASGI_GUARD }),
  );
  const guard = inProcess.guard === "in-process" ? "in-process" : "proxy";
  const bind =
    guard === "in-process" ? { host: "0.0.0.0", port: publicPort } : { host: "127.0.0.1", port: enginePort };
  const launch =
    guard === "in-process"
      ? inProcess
      : parseOrThrow(
          engine,
          "launch spec",
          launchSpecV1Schema,
          plugin.launch(config, { target: "modal", ...bind }),
        );
  const image = parseOrThrow(engine, "image recipe", imageRecipeV1Schema, plugin.image(config));
  const life = parseOrThrow(engine, "lifecycle spec", lifecycleSpecV1Schema, plugin.lifecycle(config));
  const snapshot = config.snapshot.enabled
    ? parseOrThrow(engine, "snapshot recipe", snapshotRecipeV1Schema, plugin.snapshotRecipe(config))
    : undefined;

  if (launch.host !== bind.host || launch.port !== bind.port) {
    throw new EnginePluginContractError(
      engine,
      "launch spec",
      `it binds ${launch.host}:${launch.port}, not ${bind.host}:${bind.port}`,
    );
  }
  if (snapshot) {
    const steps = [...snapshot.beforeSnapshot, ...snapshot.afterRestore];
    if (!config.snapshot.gpu) {
      // Modal gives the snap=True phase of a CPU-only snapshot no GPU (its memory-snapshot
      // guide): an engine started there cannot load, so only GPU-free preparation may run.
      const needsGpu = snapshot.beforeSnapshot.filter((s) => s !== "prepare");
      if (needsGpu.length)
        throw new EnginePluginContractError(
          engine,
          "snapshot recipe",
          `with snapshot.gpu false the snap=True phase has no GPU, but the recipe runs ${needsGpu.join(", ")} there`,
        );
    }
    if (steps.includes("prepare") && !snapshot.prepare)
      throw new EnginePluginContractError(
        engine,
        "snapshot recipe",
        "it prepares, but names nothing to prepare",
      );
    if (steps.includes("canary") && !life.canary)
      throw new EnginePluginContractError(
        engine,
        "snapshot recipe",
        "it checks the canary, but the lifecycle has no canary",
      );
    if (steps.includes("sleep") && !life.sleep)
      throw new EnginePluginContractError(
        engine,
        "snapshot recipe",
        "it sleeps, but the lifecycle has no sleep call",
      );
    if (steps.includes("wake") && !life.wake)
      throw new EnginePluginContractError(
        engine,
        "snapshot recipe",
        "it wakes, but the lifecycle has no wake call",
      );
  }

  // A cache the config names but the plugin never writes would be silently ignored: say so.
  const unusedCaches = (["compile", "deepgemm"] as const).filter(
    (role) => config.caches[role] !== undefined && !image.caches.some((c) => c.role === role),
  );
  const volumes: VolumePlan[] = [];
  for (const cache of image.caches) {
    const name = volumeNameFor(config, cache.role);
    if (name === undefined || volumes.some((v) => v.role === cache.role)) continue;
    volumes.push({
      role: cache.role,
      name,
      path: cache.path,
      variable: VOLUME_VARIABLES[cache.role],
      description: cache.description,
    });
  }

  const secrets: SecretPlan[] = [];
  const addSecret = (name: string, variable: string, purpose: string) => {
    if (!secrets.some((s) => s.name === name)) secrets.push({ name, variable, purpose });
  };
  if (config.secrets.apiKey) {
    addSecret(
      config.secrets.apiKey,
      "api_key_secret",
      `the API key clients send as a Bearer token (${config.secrets.apiKeyEnv})`,
    );
  }
  if (config.secrets.huggingface)
    addSecret(config.secrets.huggingface, "hf_secret", "HF_TOKEN, for gated models");
  for (const [i, name] of config.secrets.extra.entries()) {
    addSecret(name, `extra_secret_${i + 1}`, "attached as the config lists it");
  }

  const { env, overridden } = mergeEnv([
    image.env,
    snapshot?.env ?? [],
    Object.entries(config.env).map(([name, value]) => ({ name, value, why: "set in the config" })),
  ]);

  const confirmed = (c: (typeof life)["sleep"]): ConfirmedCall | undefined =>
    c && {
      call: c.call,
      confirm: c.confirm && { call: c.confirm.call, field: c.confirm.field, equals: c.confirm.equals },
    };

  const className = `${engine.charAt(0).toUpperCase()}${engine.slice(1).replace(/[^A-Za-z0-9]/g, "")}Server`;
  const plan: AppPlan = {
    appName: config.name,
    engine: { kind: engine, displayName: plugin.displayName },
    model: { id: config.model.id, revision: config.model.revision, servedName: servedNamesOf(config)[0]! },
    style: config.serving.style,
    snapshot: { enabled: config.snapshot.enabled, gpu: config.snapshot.enabled && config.snapshot.gpu },
    ports: { public: publicPort, engine: bind.port },
    guard,
    gpu: { spec: gpuStringOf(config), count: config.resources.count },
    cpu: config.resources.cpu,
    memory: config.resources.memory,
    image: {
      base: image.base,
      clearEntrypoint: image.clearEntrypoint,
      packages: image.packages,
      extraIndexUrl: image.extraIndexUrl,
      env,
      bakeWeights: config.caches.bakeWeights,
      // A step that runs only when an env switch is on: decided here, from the image env
      // codegen writes, so app.py holds no condition whose answer is already known.
      buildSteps: image.buildSteps.filter((s) => s.onlyIfEnv === undefined || switchedOn(env, s.onlyIfEnv)),
    },
    volumes,
    secrets,
    scaling: config.scaling,
    proxyAuth: config.serving.proxyAuth,
    launch: { argv: launch.argv, env: launch.env, argsFromEnv: launch.argsFromEnv, notes: launch.argvNotes },
    lifecycle: {
      readiness: life.readiness.probe,
      warmup: life.warmup,
      warmupCount: life.warmupCount,
      sleep: confirmed(life.sleep),
      wake: confirmed(life.wake),
      afterWake: life.afterWake,
      canary: life.canary,
      asleepMeans: life.asleepMeans,
      routes: life.routes,
      adminPaths: life.adminPaths,
    },
    recipe: snapshot && {
      beforeSnapshot: snapshot.beforeSnapshot,
      afterRestore: snapshot.afterRestore,
      prepareImports: snapshot.prepare?.imports ?? [],
    },
    apiKey: config.secrets.apiKey
      ? { secret: config.secrets.apiKey, env: config.secrets.apiKeyEnv }
      : undefined,
    className,
    endpoint: endpointFor(config, className),
  };
  return { plan, overriddenEnv: overridden, unusedCaches };
}

/** The serving style and snapshots decide the endpoint's shape (see emit/service.ts). */
function endpointFor(config: DeploymentConfigV1, className: string): Endpoint {
  if (config.serving.style === "server") return { kind: "server", object: className, method: undefined };
  if (config.snapshot.enabled) return { kind: "cls", object: className, method: "serve" };
  return { kind: "function", object: "serve", method: undefined };
}
