import type { SnapshotStepV1 } from "@rouse/engine-spec";
import { atom, call, dict, entry, type Item, kw, list, lit } from "../../python/expr.ts";
import type { PyPrinter } from "../../python/printer.ts";
import type { AppPlan } from "../plan.ts";
import { stepsUsed } from "./engine.ts";
import { seconds, sectionText } from "./shared.ts";

// The Modal side: which decorator carries the server (the seeds' `@app.cls` +
// `@modal.web_server`, seed 001's plain `@app.function`, or `@app.server`), and the
// enter methods that run the plugin's snapshot recipe.

/** Phase names in the boot report, per step and side of the snapshot. */
const MARK: Record<"before" | "after", Record<SnapshotStepV1, string>> = {
  before: {
    prepare: "prepare_done",
    start: "engine_spawn",
    waitReady: "engine_ready",
    warmup: "warmup_done",
    canary: "canary_recorded",
    sleep: "sleep_done",
    wake: "wake_done",
  },
  // After restore, distinct names: a restored report keeps the snapshotted boot's phases.
  after: {
    prepare: "prepare_after_restore",
    start: "engine_spawn_after_restore",
    waitReady: "ready_after_restore",
    warmup: "warmup_after_restore",
    canary: "canary_checked",
    sleep: "sleep_after_restore",
    wake: "wake_done",
  },
};

const CALL: Record<Exclude<SnapshotStepV1, "start" | "canary">, (engine: string) => string> = {
  prepare: () => "prepare()",
  waitReady: (engine) => `wait_ready(${engine})`,
  warmup: () => "warmup()",
  sleep: () => "sleep()",
  wake: () => "wake_up()",
};

const STEP_COMMENT: Partial<Record<SnapshotStepV1, string>> = {
  prepare:
    "No GPU before a CPU-only snapshot: import and read what needs none; the engine starts after restore.",
  warmup: "Warm up before the snapshot, so compiled kernels and CUDA graphs are in it.",
  canary: "Record the canary while awake: every wake replays it before traffic.",
  sleep: "Sleep, so the snapshot holds the engine's state but little GPU memory.",
};

function emitSteps(
  p: PyPrinter,
  plan: AppPlan,
  steps: readonly SnapshotStepV1[],
  side: "before" | "after",
  engineRef: string,
): void {
  const used = stepsUsed(plan);
  for (const step of steps) {
    if (!used.has(step)) continue;
    const comment = side === "before" ? STEP_COMMENT[step] : undefined;
    if (comment) p.comment(comment);
    // Phase names and calls are fixed identifiers, never config data.
    if (step === "start") {
      p.code(`boot_mark("${MARK[side].start}")`, `${engineRef} = start_engine()`);
    } else if (step === "canary") {
      // Recorded on the instance, so it is in the snapshot and a restored container has it.
      if (side === "before") p.code("self.canary = canary()");
      else p.code(`${engineRef} = verify_wake(${engineRef}, self.canary)`);
      p.code(`boot_mark("${MARK[side].canary}")`);
    } else {
      p.code(CALL[step](engineRef), `boot_mark("${MARK[side][step]}")`);
    }
  }
}

/** The snap=False method: `wake_up` as in the seeds when it wakes the engine, else `restore`. */
function afterName(plan: AppPlan): string {
  return plan.recipe?.afterRestore.includes("wake") ? "wake_up" : "restore";
}

/**
 * The snapshot pair: `enter(snap=True)` boots, warms and sleeps the engine before the
 * snapshot; `enter(snap=False)` runs in every container and wakes it. `afterWake` adds
 * what the serving style needs once the engine is back (the guard, for `@app.server`).
 */
function emitSnapshotEnters(
  p: PyPrinter,
  plan: AppPlan,
  recipe: NonNullable<AppPlan["recipe"]>,
  afterWake?: () => void,
): void {
  p.definition({ header: "def start(self):", decorators: ["@modal.enter(snap=True)"] }, () => {
    emitSteps(p, plan, recipe.beforeSnapshot, "before", "self.engine");
    p.comment(`A restored container gets a new MODAL_TASK_ID: that is how ${afterName(plan)} tells.`);
    p.code('self.snapshot_task = os.environ.get("MODAL_TASK_ID")');
  });
  p.definition({ header: `def ${afterName(plan)}(self):`, decorators: ["@modal.enter(snap=False)"] }, () => {
    p.code('boot_mark("restore")');
    p.code('BOOT["restored"] = os.environ.get("MODAL_TASK_ID") != self.snapshot_task');
    emitSteps(p, plan, recipe.afterRestore, "after", "self.engine");
    afterWake?.();
  });
}

function guardAndReport(p: PyPrinter, plan: AppPlan): void {
  // In-process, the guard has served since the engine opened PORT; the mark keeps the
  // boot report's phases the same in both shapes.
  if (plan.guard === "proxy")
    p.code(plan.apiKey ? "start_guard(os.environ[API_KEY_ENV])" : "start_guard(None)");
  p.code('boot_mark("guard_ready")', "report_boot()");
}

/** Arguments shared by `@app.cls`, `@app.function` and `@app.server`. */
function commonArgs(plan: AppPlan): Item[] {
  const args: Item[] = [kw("image", atom("image")), kw("gpu", atom("GPU"))];
  if (plan.cpu !== undefined) args.push(kw("cpu", plan.cpu));
  if (plan.memory !== undefined) args.push(kw("memory", plan.memory, "MiB"));
  args.push(
    kw("scaledown_window", seconds(plan.scaling.scaledownWindow), "idle time before a replica scales down"),
  );
  return args;
}

function storageArgs(plan: AppPlan): Item[] {
  const args: Item[] = [];
  if (plan.volumes.length)
    args.push(kw("volumes", dict(plan.volumes.map((v) => entry(v.path, atom(v.variable))))));
  if (plan.secrets.length) args.push(kw("secrets", list(plan.secrets.map((s) => atom(s.variable)))));
  return args;
}

function containerArgs(plan: AppPlan): Item[] {
  const { scaling } = plan;
  const args: Item[] = [];
  if (scaling.minContainers > 0)
    args.push(kw("min_containers", scaling.minContainers, "always warm, always billed"));
  if (scaling.maxContainers !== undefined) args.push(kw("max_containers", scaling.maxContainers));
  if (scaling.bufferContainers !== undefined) args.push(kw("buffer_containers", scaling.bufferContainers));
  return args;
}

function snapshotArgs(plan: AppPlan): Item[] {
  if (!plan.snapshot.enabled) return [];
  const multiGpu =
    plan.gpu.count > 1
      ? "Modal documents GPU snapshots as mostly incompatible with multi-GPU containers: test restores before relying on them."
      : undefined;
  const args: Item[] = [kw("enable_memory_snapshot", true, multiGpu)];
  if (plan.snapshot.gpu) args.push(kw("experimental_options", dict([entry("enable_gpu_snapshot", true)])));
  return args;
}

const SNAPSHOT_WHY =
  "Modal runs the snap=True enter method once, snapshots the container's memory when it returns, and starts later containers from that snapshot; snap=False methods run in every container, restored or not. Snapshots form only for deployed apps (`modal deploy`, not `modal run`), after a few cold starts.";

export function emitService(p: PyPrinter, plan: AppPlan): void {
  if (plan.snapshot.enabled || plan.apiKey) p.import("os");
  const { endpoint } = plan;
  if (endpoint.kind === "server") emitServerStyle(p, plan);
  else if (endpoint.kind === "cls") emitClsStyle(p, plan, endpoint.method);
  else emitFunctionStyle(p, plan, endpoint.object);
}

/** The seeds' snapshot shape: `@app.cls` + `@modal.concurrent` + enter(snap=True/False) + `@modal.web_server`. */
function emitClsStyle(p: PyPrinter, plan: AppPlan, method: string): void {
  const recipe = plan.recipe!;
  const cls = call(
    "app.cls",
    ...commonArgs(plan),
    kw("timeout", seconds(plan.scaling.timeout), "longest a request may run"),
    kw("startup_timeout", atom("STARTUP_TIMEOUT"), "longest the enter methods may take"),
    ...storageArgs(plan),
    ...containerArgs(plan),
    ...regionArg(plan, "region"),
    ...snapshotArgs(plan),
  );
  const comment = sectionText("The server", SNAPSHOT_WHY);
  p.definition({ header: `class ${plan.className}:`, comment, decorators: [cls, concurrent(plan)] }, () => {
    emitSnapshotEnters(p, plan, recipe);
    p.definition({ header: `def ${method}(self):`, decorators: [webServer(plan)] }, () => {
      p.comment(
        plan.guard === "proxy"
          ? "After restore: the guard's socket is never part of a snapshot."
          : "The engine serves PORT itself, with the guard inside its HTTP server.",
      );
      guardAndReport(p, plan);
    });
    p.definition({ header: "def stop(self):", decorators: ["@modal.exit()"] }, () =>
      p.code("self.engine.terminate()"),
    );
  });
}

/** Seed 001's shape, without snapshots: one web-server function starts everything. */
function emitFunctionStyle(p: PyPrinter, plan: AppPlan, name: string): void {
  const fn = call(
    "app.function",
    ...commonArgs(plan),
    kw("timeout", seconds(plan.scaling.timeout), "longest a request may run"),
    kw("startup_timeout", atom("STARTUP_TIMEOUT"), "longest the container may take to start"),
    ...storageArgs(plan),
    ...containerArgs(plan),
    ...regionArg(plan, "region"),
  );
  const comment = sectionText(
    "The server",
    "Without snapshots the server is one function: Modal calls it in each new container and routes requests to it once PORT accepts connections.",
  );
  p.definition(
    { header: `def ${name}():`, comment, decorators: [fn, concurrent(plan), webServer(plan)] },
    () => {
      emitSteps(p, plan, ["start"], "before", "engine");
      p.comment(
        plan.guard === "proxy"
          ? "The guard opens PORT only once the engine is ready, so Modal sends no request to a container that cannot answer it yet."
          : "The engine's server opens PORT only once the model is loaded; waiting here makes the boot report's ready mark.",
      );
      emitSteps(p, plan, ["waitReady"], "before", "engine");
      guardAndReport(p, plan);
    },
  );
}

/** Modal's `@app.server`: no request queueing (503 while no replica), Modal proxy auth by default. */
function emitServerStyle(p: PyPrinter, plan: AppPlan): void {
  const comment = sectionText(
    "The server",
    `\`@app.server\` routes HTTP straight to PORT: no queueing (a 503 while no replica is up) and lower latency.${plan.snapshot.enabled ? ` ${SNAPSHOT_WHY}` : ""}`,
  );
  const { scaling } = plan;
  const server = call(
    "app.server",
    kw("port", atom("PORT")),
    ...commonArgs(plan),
    kw("startup_timeout", atom("STARTUP_TIMEOUT"), "longest the enter methods may take"),
    ...storageArgs(plan),
    kw(
      "target_concurrency",
      scaling.targetInputs ?? scaling.maxInputs,
      "requests per replica the autoscaler aims for",
    ),
    kw("max_concurrency", scaling.maxInputs, "above this, Modal answers 429"),
    ...containerArgs(plan),
    ...regionArg(plan, "compute_region"),
    ...routingRegionArg(plan),
    kw(
      "unauthenticated",
      !plan.proxyAuth,
      plan.proxyAuth
        ? "Modal proxy auth: callers send Modal-Key and Modal-Secret"
        : "no Modal proxy auth (serving.proxyAuth)",
    ),
    ...snapshotArgs(plan),
  );
  p.definition({ header: `class ${plan.className}:`, comment, decorators: [server] }, () => {
    if (plan.recipe) {
      emitSnapshotEnters(p, plan, plan.recipe, () => guardAndReport(p, plan));
    } else {
      p.definition({ header: "def start(self):", decorators: ["@modal.enter()"] }, () => {
        emitSteps(p, plan, ["start", "waitReady"], "before", "self.engine");
        guardAndReport(p, plan);
      });
    }
    p.definition({ header: "def stop(self):", decorators: ["@modal.exit()"] }, () =>
      p.code("self.engine.terminate()"),
    );
  });
}

function concurrent(plan: AppPlan) {
  const args: Item[] = [kw("max_inputs", plan.scaling.maxInputs)];
  if (plan.scaling.targetInputs !== undefined) args.push(kw("target_inputs", plan.scaling.targetInputs));
  return call("modal.concurrent", ...args);
}

function webServer(plan: AppPlan) {
  const args: Item[] = [kw("port", atom("PORT")), kw("startup_timeout", atom("STARTUP_TIMEOUT"))];
  if (plan.proxyAuth) args.push(kw("requires_proxy_auth", true));
  return call("modal.web_server", ...args);
}

/**
 * `@app.server` proxies requests through `routing_region` (one region, "us-east" by default:
 * modal/app.py `server`), whatever `compute_region` says. Requests take the same region as
 * the containers: the region itself, or the first of a list (codegen warns about the rest).
 */
export function routingRegionOf(plan: AppPlan): string | undefined {
  const region = plan.scaling.region;
  return region === undefined ? undefined : typeof region === "string" ? region : region[0];
}

function routingRegionArg(plan: AppPlan): Item[] {
  const routing = routingRegionOf(plan);
  return routing === undefined
    ? []
    : [kw("routing_region", lit(routing), "requests enter Modal in the containers' region")];
}

function regionArg(plan: AppPlan, name: "region" | "compute_region"): Item[] {
  const region = plan.scaling.region;
  return region === undefined ? [] : [kw(name, lit(region))];
}
