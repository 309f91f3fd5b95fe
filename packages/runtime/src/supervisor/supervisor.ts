import { type DeploymentConfigV1, servedNamesOf } from "@rouse/config";
import { EngineExitedError, type EnginePluginV1, lifecycleSpecV1Schema } from "@rouse/engine-spec";
import { EngineRequestError } from "../errors.ts";
import { type EngineRules, engineRules } from "../lifecycle/engine-rules.ts";
import { detectGpu, type GpuPresence } from "../preflight/gpu.ts";
import { preSpawnProblem } from "../preflight/pre-spawn.ts";
import type { MemoryArbiter, MemoryTenant } from "../fleet/memory-budget.ts";
import { unlimitedMemory } from "../fleet/memory-budget.ts";
import { describeExit, type ExitInfo } from "../process/engine-process.ts";
import { redact, resolveLaunch } from "../process/launch.ts";
import { LogRing } from "../process/log-ring.ts";
import { freePort } from "../process/port.ts";
import { EngineStateMachine, type Transition } from "../state/machine.ts";
import { type EngineState, HOLDS_GPU } from "../state/states.ts";
import {
  type CheckpointCommand,
  defaultCheckpointCommand,
} from "../suspend/cuda-checkpoint.ts";
import { CrashPolicy } from "./crash-policy.ts";
import { EngineRun, messageOf } from "./engine-run.ts";
import type { ModeHost } from "./modes/host.ts";
import { sleepScaleDown, sleepWake } from "./modes/sleep.ts";
import { suspendResume, suspendScaleDown } from "./modes/suspend.ts";
import { classifyExit } from "./exit-class.ts";
import type { SupervisorEvent } from "./events.ts";
import { LatencyStats } from "./latency-stats.ts";
import { EngineLease, type Lease } from "./lease.ts";
import { type EngineSnapshot, type ExitInfoJson, exitJson, type ScaleToZeroMode } from "./snapshot.ts";
import type { SupervisorOptions } from "./options.ts";

export type { SupervisorOptions } from "./options.ts";

type Target = "ready" | "zero" | "off" | undefined;

const ZERO_STATES: ReadonlySet<EngineState> = new Set(["stopped", "sleeping", "suspended", "failed"]);

/**
 * Runs one local engine: spawns it from its plugin's launch spec, waits for it,
 * warms it up, scales it to zero when idle (engine sleep, process exit, or a
 * CUDA checkpoint), brings it back when asked (`wake()`: one start/wake however
 * often it is asked meanwhile) and restarts it with backoff when it crashes.
 *
 * It holds no requests: `acquire()` admits a request only while the engine is
 * ready and otherwise says why not. Whoever serves requests (the gateway) holds
 * them in its own bounded queue, calls `wake()`, and follows the state through
 * `onStateChange` — one cold-start queue per request path.
 *
 * All decisions happen in `#reconcile()`, which compares what is wanted (woken,
 * idle, evicted, closing) with the state, and runs at most one lifecycle task
 * at a time; every task ends by reconciling again.
 */
export class EngineSupervisor implements MemoryTenant {
  readonly name: string;
  readonly source: string | undefined;
  readonly config: DeploymentConfigV1;
  readonly plugin: EnginePluginV1;
  readonly models: readonly string[];
  readonly mode: ScaleToZeroMode;
  readonly demand: readonly number[];
  readonly pinned: boolean;
  readonly logs: LogRing;
  readonly scaleDownAfterMs: number;

  readonly #sm: EngineStateMachine;
  readonly #o: SupervisorOptions;
  readonly #retryAfterSeconds: number;
  readonly #crash: CrashPolicy;
  readonly #memory: MemoryArbiter;
  readonly #checkpoint: CheckpointCommand;
  readonly #host: string;
  readonly #startupTimeoutMs: number;
  readonly #lifecycleTimeoutMs: number;
  readonly #stopGraceMs: number;
  readonly #gpu: GpuPresence;
  readonly #rules: EngineRules;
  readonly #sleepLevel: 1 | 2;
  readonly #emit: (e: SupervisorEvent) => void;
  readonly #modes: ModeHost;
  readonly #monoStart = performance.now();
  readonly #wallStart = Date.now();

  #run: EngineRun | undefined;
  #task: Promise<void> | undefined;
  #want: Target;
  /** `#want` is "ready" because of `wake()` (for messages). */
  #woken = false;
  #inFlight = 0;
  #lastActivity = 0;
  #evicting: string | undefined;
  #closing = false;
  #forceStop = false;
  #idleTimer: NodeJS.Timeout | undefined;
  #restartTimer: NodeJS.Timeout | undefined;
  #retryTimer: NodeJS.Timeout | undefined;
  #suspendUnavailable: string | undefined;
  #restarts = 0;
  #requests = 0;
  #lastExit: (ExitInfoJson & { at: string }) | null = null;
  #failure: EngineSnapshot["failure"] = null;
  readonly #canary = { checks: 0, mismatches: 0, last: null as EngineSnapshot["canary"]["last"] };
  #quietWaiters: (() => void)[] = [];
  #spawnWaiters: (() => void)[] = [];
  readonly #stats = {
    coldStart: new LatencyStats(),
    wake: new LatencyStats(),
    scaleDown: new LatencyStats(),
    canary: new LatencyStats(),
  };

  constructor(options: SupervisorOptions) {
    const { config } = options;
    this.#o = options;
    this.config = config;
    this.plugin = options.plugin;
    this.name = options.name ?? config.name;
    this.source = options.source;
    this.models = servedNamesOf(config);
    this.mode = config.local.scaleToZero;
    this.demand = new Array<number>(config.resources.count).fill(config.engine.gpuMemoryUtilization);
    // minContainers ≥ 1 means "always warm" on Modal; locally: never scaled to zero, never evicted.
    this.pinned = config.scaling.minContainers >= 1;
    this.logs = new LogRing(options.logLines ?? 500);
    this.scaleDownAfterMs = options.scaleDownAfterMs ?? config.scaling.scaledownWindow * 1000;
    this.#startupTimeoutMs = options.startupTimeoutMs ?? config.scaling.startupTimeout * 1000;
    this.#lifecycleTimeoutMs = options.lifecycleTimeoutMs ?? 5 * 60_000;
    this.#stopGraceMs = options.stopGraceMs ?? 15_000;
    this.#host = options.host ?? "127.0.0.1";
    this.#retryAfterSeconds = options.retryAfterSeconds ?? 5;
    this.#crash = new CrashPolicy(options.crash);
    this.#memory = options.memory ?? unlimitedMemory;
    this.#checkpoint = options.checkpoint ?? defaultCheckpointCommand();
    this.#emit = options.onEvent ?? (() => {});
    this.#gpu = options.gpu ?? detectGpu();
    // One sleep level per config, as on Modal (the plugin's after-wake steps are chosen for it).
    this.#sleepLevel = options.sleepLevel ?? config.snapshot.sleepLevel;
    const rules = engineRules(options.plugin, config);
    this.#rules = { ...rules, ...(options.canary === false ? { canary: undefined } : {}), ...options.rules };
    this.#sm = new EngineStateMachine({ engine: this.name });
    this.#sm.onTransition((transition) => this.#emit({ type: "transition", engine: this.name, transition }));
    // What the scale-to-zero modes (./modes/) may do to this supervisor.
    this.#modes = {
      sleepLevel: this.#sleepLevel,
      lifecycleTimeoutMs: this.#lifecycleTimeoutMs,
      checkpoint: this.#checkpoint,
      canSleep: () => this.#canSleep(),
      asleepMeans: () => this.#asleepMeans(),
      set: (to, reason) => this.#set(to, reason),
      stop: (reason) => this.#stop(reason),
      current: (run) => this.#current(run),
      note: (line) => this.logs.push("supervisor", line),
      recordCanary: (run) => this.#recordCanary(run),
      verifyCanary: (run, via) => this.#verifyCanary(run, via),
      scaledDown: (via, started) => this.#scaledDown(via, started),
      woke: (via, started) => this.#woke(via, started),
      suspendUnavailable: (detail) => {
        this.#suspendUnavailable = detail;
      },
      retryIn: (ms) => {
        this.#retryTimer = setTimeout(() => {
          this.#retryTimer = undefined;
          this.#reconcile();
        }, ms);
      },
    };
  }

  get state(): EngineState {
    return this.#sm.state;
  }
  get history(): readonly Transition[] {
    return this.#sm.history;
  }
  get inFlight(): number {
    return this.#inFlight;
  }
  get lastUsed(): number {
    return this.#lastActivity;
  }
  /** Serving, or being brought up for requests (`wake()`): evicting it costs more. */
  get busy(): boolean {
    return this.#inFlight > 0 || this.#want === "ready";
  }
  /** The engine's base URL while a process runs. */
  get baseUrl(): string | undefined {
    return this.#run?.baseUrl;
  }
  get pid(): number | undefined {
    return this.#run?.proc.pid;
  }

  // ---- requests ----------------------------------------------------------------

  /**
   * A hold on the engine, for one request — only while it is ready (the fast
   * path: a counter and one small object). Otherwise it throws what `refusal()`
   * says; nothing waits here (the caller holds the request and calls `wake()`).
   */
  acquire(): Lease {
    const run = this.#run;
    if (this.#sm.state !== "ready" || run === undefined) throw this.refusal()!;
    this.#inFlight++;
    this.#requests++;
    this.#lastActivity = performance.now();
    return new EngineLease(this, run);
  }

  /**
   * Why a request cannot be admitted now, or undefined when it can: failed
   * (with the reason and how to restart), shutting down, or not ready yet
   * (`engine_not_ready`, naming the state: `wake()` brings it up).
   */
  refusal(): EngineRequestError | undefined {
    const state = this.#sm.state;
    if (state === "ready" && this.#run !== undefined && !this.#closing) return undefined; // the hot path
    const retry = { retryAfterSeconds: this.#retryAfterSeconds };
    if (this.#closing)
      return new EngineRequestError(
        this.name,
        "engine_shutting_down",
        `engine '${this.name}' is shutting down`,
        retry,
      );
    if (state === "failed") return this.#failedError();
    return new EngineRequestError(this.name, "engine_not_ready", `engine '${this.name}' is ${state}`, retry);
  }

  /**
   * Brings the engine up for requests: start, wake or resume — one for every
   * call until it is ready (a drain in progress is cancelled). Nothing for a
   * failed engine (`restart()`) or while shutting down.
   */
  wake(): void {
    if (this.#closing || this.#sm.state === "failed") return;
    if (this.#sm.state === "ready") {
      this.#lastActivity = performance.now();
      return;
    }
    this.#want = "ready";
    this.#woken = true;
    this.#reconcile();
  }

  /** Calls `fn` after every state change (synchronously); returns the unsubscribe function. */
  onStateChange(fn: (transition: Transition) => void): () => void {
    return this.#sm.onTransition(fn);
  }

  /** Called by EngineLease.release. */
  _release(): void {
    this.#inFlight--;
    this.#lastActivity = performance.now();
    // Draining waits for the last request in flight.
    if (this.#inFlight === 0 && this.#sm.state === "draining") this.#reconcile();
  }

  #failedError(): EngineRequestError {
    return new EngineRequestError(
      this.name,
      "engine_failed",
      `engine '${this.name}' has failed: ${this.#failure?.reason ?? "see its logs"} (logs: GET /api/v1/engines/${this.name}/logs; restart: POST /api/v1/engines/${this.name}/restart)`,
      { exitCode: this.#lastExit?.code ?? null },
    );
  }

  // ---- control -----------------------------------------------------------------

  /** Starts the engine now (preload) instead of on the first request. */
  start(): void {
    this.#want = "ready";
    this.#reconcile();
  }

  /** Scales to zero now (as if idle), after the requests in flight. */
  scaleToZero(): void {
    this.#want = "zero";
    this.#reconcile();
  }

  /** MemoryTenant: asked by the memory budget to free the GPU for another engine. */
  evict(reason: string): void {
    this.#evicting = reason;
    this.#reconcile();
  }

  /**
   * Starts a failed engine again, forgetting its past crashes. Resolves once it
   * has left `failed` (its state is then `starting`, or `failed` again at once
   * when a pre-spawn check still fails), so the caller can answer with it.
   */
  async restart(): Promise<EngineState> {
    if (this.#sm.state !== "failed" || this.#task) return this.#sm.state;
    this.#crash.reset();
    this.#failure = null;
    // Answered once the pre-spawn checks are done: spawned (starting), or failed again.
    const settled = new Promise<void>((resolve) => this.#spawnWaiters.push(resolve));
    this.#runTask("restart", () => this.#start("restart requested"));
    await Promise.race([settled, this.#task]);
    return this.#sm.state;
  }

  /**
   * Shutdown: new requests are refused, requests in flight may finish for
   * `drainTimeoutMs`, then the process is stopped. Resolves when it is gone.
   */
  async close(options: { drainTimeoutMs?: number } = {}): Promise<void> {
    this.#closing = true;
    for (const t of [this.#idleTimer, this.#restartTimer, this.#retryTimer]) clearTimeout(t);
    const force = setTimeout(() => {
      this.#forceStop = true;
      this.#reconcile();
    }, options.drainTimeoutMs ?? 30_000);
    const run = this.#run;
    // A model still loading is not waited for.
    if (this.#sm.state === "starting" && run) {
      run.expected = true;
      this.#set("stopping", "shutdown while starting");
      const info = await run.proc.stop(this.#stopGraceMs);
      this.#dropRun(run);
      this.#set("stopped", `exited (${describeExit(info)})`);
    }
    this.#reconcile();
    await new Promise<void>((resolve) => {
      this.#quietWaiters.push(resolve);
      this.#checkQuiet();
    });
    clearTimeout(force);
  }

  // ---- the decision loop -------------------------------------------------------------

  #target(): Target {
    if (this.#closing) return "off";
    if (this.#evicting !== undefined) return "zero";
    return this.#want;
  }

  #reconcile(): void {
    if (this.#task) return;
    const state = this.#sm.state;
    const target = this.#target();
    if (target === "ready") {
      if (state === "stopped" && !this.#restartTimer)
        this.#runTask("start", () => this.#start(this.#startReason()));
      else if (state === "sleeping") this.#runTask("wake", () => this.#wake());
      else if (state === "suspended" && !this.#retryTimer) this.#runTask("resume", () => this.#resume());
      else if (state === "draining") this.#set("ready", "drain cancelled: requests arrived");
      else if (state === "ready" && this.#want === "ready") this.#want = undefined;
    } else if (target === "zero" || target === "off") {
      if (state === "ready") this.#set("draining", this.#drainReason(target));
      if (this.#sm.state === "draining") {
        if (this.#inFlight > 0 && !this.#forceStop) return;
        if (target === "off") this.#runTask("stop", () => this.#stop("shutdown"));
        else this.#runTask("scale down", () => this.#scaleDown());
      } else if (ZERO_STATES.has(state)) {
        if (target === "off" && (state === "sleeping" || state === "suspended")) {
          this.#runTask("stop", () => this.#stop("shutdown"));
        } else if (target === "zero" && this.#settleZero()) {
          this.#reconcile();
        }
      }
    }
    this.#checkQuiet();
  }

  /** At zero: nothing more to do for an eviction or an idle scale-down. True if that changed the target. */
  #settleZero(): boolean {
    const changed = this.#evicting !== undefined || this.#want === "zero";
    this.#evicting = undefined;
    if (this.#want === "zero") this.#want = undefined;
    return changed;
  }

  #startReason(): string {
    if (this.#woken) return "woken for requests";
    return this.#restarts > 0 && this.#lastExit ? "restart after a crash" : "preload";
  }

  #drainReason(target: "zero" | "off"): string {
    if (target === "off") return "shutdown";
    if (this.#evicting) return `evicted: ${this.#evicting}`;
    return `idle for ${Math.round((performance.now() - this.#lastActivity) / 1000)} s (scaledownWindow ${this.scaleDownAfterMs / 1000} s)`;
  }

  #runTask(name: string, fn: () => Promise<void>): void {
    this.#task = fn()
      .catch((error: unknown) => this.#internalError(name, error))
      .finally(() => {
        this.#task = undefined;
        this.#reconcile();
      });
  }

  /** A task threw where it should not: stop the process and mark the engine failed, so nothing hangs. */
  async #internalError(task: string, error: unknown): Promise<void> {
    const reason = `${task} failed: ${error instanceof Error ? error.message : String(error)}`;
    this.logs.push("supervisor", reason);
    try {
      const run = this.#run;
      if (run) {
        run.expected = true;
        await run.proc.stop(this.#stopGraceMs);
        this.#dropRun(run);
      }
      this.#memory.release(this);
      if (this.#sm.state === "draining") this.#set("stopped", reason);
      if (this.#sm.state !== "failed") this.#fail(reason);
    } catch (again) {
      // Never let the task chain reject: note it and leave the state as it is.
      this.logs.push("supervisor", `could not recover from "${reason}": ${String(again)}`);
    }
  }

  #checkQuiet(): void {
    if (this.#quietWaiters.length === 0 || this.#task) return;
    if (this.#sm.state !== "stopped" && this.#sm.state !== "failed") return;
    for (const w of this.#quietWaiters.splice(0)) w();
  }

  #set(to: EngineState, reason: string): void {
    const from = this.#sm.state;
    this.#sm.to(to, reason);
    if (HOLDS_GPU.has(from) && !HOLDS_GPU.has(to)) this.#memory.release(this);
    if (ZERO_STATES.has(to)) this.#settleZero();
    if (to === "ready") {
      this.#lastActivity = performance.now();
      if (this.#want === "ready") this.#want = undefined;
      this.#woken = false;
      this.#armIdle(this.scaleDownAfterMs);
    }
  }

  #fail(reason: string): void {
    // The failing run's lines only (all of them, when it never got to spawn).
    this.#failure = {
      reason,
      at: new Date().toISOString(),
      logTail: this.logs.tail(50, { run: this.logs.run }),
    };
    this.#want = undefined;
    this.#woken = false;
    this.#set("failed", reason);
  }

  // ---- idle ------------------------------------------------------------------------

  #armIdle(ms: number): void {
    if (this.pinned || this.#closing) return;
    clearTimeout(this.#idleTimer);
    this.#idleTimer = setTimeout(() => this.#idleCheck(), Math.max(0, ms));
    this.#idleTimer.unref();
  }

  // One timer per idle period, not per request: requests only stamp #lastActivity.
  #idleCheck(): void {
    this.#idleTimer = undefined;
    if (this.#sm.state !== "ready") return;
    const idle = performance.now() - this.#lastActivity;
    if (this.busy || idle + 1 < this.scaleDownAfterMs) {
      this.#armIdle(this.busy ? this.scaleDownAfterMs : this.scaleDownAfterMs - idle);
      return;
    }
    this.#want = "zero";
    this.#reconcile();
  }

  // ---- tasks -------------------------------------------------------------------------

  async #start(reason: string): Promise<void> {
    await this.#reserveMemory();
    if (this.#closing) return this.#memory.release(this);
    this.#set("starting", reason);
    const fixedPort = this.#o.port ?? this.config.local.port;
    const port = fixedPort ?? (await freePort(this.#host));
    let launch: ReturnType<typeof resolveLaunch>;
    try {
      launch = resolveLaunch(
        this.plugin,
        this.config,
        { host: this.#host, port, ...(this.#o.executable ? { executable: this.#o.executable } : {}) },
        this.#o.secrets ?? process.env,
      );
    } catch (error) {
      return this.#fail((error as Error).message);
    }
    // The config's env: reaches the engine as on Modal; the plugin's own variables (sleep
    // mode needs VLLM_SERVER_DEV_MODE=1) win over it, the supervisor's (tests) over both.
    const env = { ...this.config.env, ...launch.env, ...this.#o.env };
    for (const k of Object.keys(this.config.env))
      if (k in launch.env && launch.env[k] !== this.config.env[k])
        launch = {
          ...launch,
          warnings: [...launch.warnings, `env.${k}: the engine plugin sets ${k}=${launch.env[k]} itself`],
        };
    this.logs.beginRun();
    // Known to fail before anything runs: fail now, with the fix, instead of retrying.
    const problem = await preSpawnProblem({
      argv: launch.argv,
      env: { ...process.env, ...env },
      config: this.config,
      host: this.#host,
      port,
      fixedPort: fixedPort !== undefined,
    });
    if (this.#closing) return this.#set("stopped", "shutdown");
    if (problem) {
      this.logs.push("supervisor", problem);
      this.#fail(problem);
      for (const w of this.#spawnWaiters.splice(0)) w();
      return;
    }
    for (const w of launch.warnings) this.logs.push("supervisor", `warning: ${w}`);
    this.logs.push("supervisor", `$ ${redact(launch.argv).join(" ")}`);
    const spawnedAt = performance.now();
    const run = new EngineRun({
      plugin: this.plugin,
      config: this.config,
      name: this.name,
      argv: launch.argv,
      env,
      host: this.#host,
      port,
      apiKey: launch.apiKey,
      logs: this.logs,
      rules: this.#rules,
    });
    const proc = run.proc;
    for (const w of this.#spawnWaiters.splice(0)) w();
    this.#run = run;
    void proc.exited.then((info) => this.#onExit(run, info));
    let healthyMs = 0;
    try {
      await run.client.waitReady({
        timeoutMs: this.#startupTimeoutMs,
        process: proc.child,
        intervalMs: 200,
        signal: run.exit.signal,
      });
      healthyMs = performance.now() - spawnedAt;
      // Something answered: make sure it is the engine we spawned, not a listener that was there.
      const foreign = await run.foreignListener(this.models[0]);
      if (foreign !== undefined) {
        if (!this.#current(run)) return;
        return this.#stopAfterFailure(run, foreign, { permanent: true });
      }
      const count = this.#o.warmupCount ?? 1;
      if (count > 0) await run.client.warmup({ count });
    } catch (error) {
      if (!this.#current(run)) return; // the exit handler or a shutdown took over
      // It died while loading: the exit handler (registered first) does the crash accounting.
      if (run.proc.exit || error instanceof EngineExitedError) {
        await run.proc.exited;
        return;
      }
      const message = messageOf(error);
      const hint = /not ready within/.test(message)
        ? `; the engine was still loading: raise scaling.startupTimeout (now ${Math.round(this.#startupTimeoutMs / 1000)} s) if it needs longer to boot`
        : "";
      return this.#stopAfterFailure(run, `start failed: ${message}${hint}`);
    }
    if (!this.#current(run)) return;
    const ms = performance.now() - spawnedAt;
    this.#stats.coldStart.add(ms);
    this.#emit({ type: "cold-start", engine: this.name, ms, healthyMs });
    this.#set(
      "ready",
      `ready ${Math.round(ms)} ms after spawn (healthy at ${Math.round(healthyMs)} ms, then warmup)`,
    );
  }

  async #scaleDown(): Promise<void> {
    const run = this.#run;
    if (!run) return this.#set("stopped", "no process");
    const why = this.#evicting ? `evicted: ${this.#evicting}` : "idle";
    const started = performance.now();
    const mode = this.mode === "suspend" && this.#suspendUnavailable ? "stop" : this.mode;
    if (mode === "sleep") return sleepScaleDown(this.#modes, run, why, started);
    if (mode === "suspend") return suspendScaleDown(this.#modes, run, this.plugin, why, started);
    await this.#stop(`${why}: scaleToZero stop`);
    if (this.#sm.state === "stopped") this.#scaledDown("stop", started);
  }

  /** Does the plugin put this engine to sleep here? (The suspend path sleeps first when it can.) */
  #canSleep(): boolean {
    try {
      return this.plugin.capabilities.sleep && this.plugin.lifecycle(this.config).sleep !== undefined;
    } catch {
      return false;
    }
  }

  #scaledDown(via: ScaleToZeroMode, started: number): void {
    const ms = performance.now() - started;
    this.#stats.scaleDown.add(ms);
    this.#emit({ type: "scale-down", engine: this.name, ms, via });
  }

  async #wake(): Promise<void> {
    const run = this.#run;
    if (!run) return this.#set("stopped", "no engine process to wake");
    await this.#reserveMemory();
    if (!this.#current(run) || this.#sm.state !== "sleeping") return this.#memory.release(this);
    return sleepWake(this.#modes, run);
  }

  async #resume(): Promise<void> {
    const run = this.#run;
    if (!run) return;
    await this.#reserveMemory();
    if (!this.#current(run) || this.#sm.state !== "suspended") return this.#memory.release(this);
    return suspendResume(this.#modes, run);
  }



  #woke(via: "sleep" | "suspend", started: number): void {
    const ms = performance.now() - started;
    this.#stats.wake.add(ms);
    this.#emit({ type: "wake", engine: this.name, ms, via });
    this.#set("ready", `awake after ${Math.round(ms)} ms`);
  }

  // ---- verified wake ---------------------------------------------------------------

  /** Records the run's canary before its first scale-down (see EngineRun.recordCanary). */
  async #recordCanary(run: EngineRun): Promise<void> {
    const ms = await run.recordCanary();
    if (ms !== undefined && run.canary) this.#stats.canary.add(ms);
  }

  /**
   * Replays the canary after a wake or resume, before traffic. A different answer
   * means the engine came back broken: it is stopped (the waiting requests then
   * cold-start it) and the mismatch is recorded. True when it may serve.
   */
  async #verifyCanary(run: EngineRun, via: "sleep" | "suspend"): Promise<boolean> {
    const verdict = await run.replayCanary();
    if (!verdict) return true;
    if (!this.#current(run)) return false;
    const { ok, detail, ms } = verdict;
    this.#stats.canary.add(ms);
    this.#canary.checks++;
    this.#emit({ type: "canary", engine: this.name, via, ok, ms, detail });
    if (ok) return true;
    this.#canary.mismatches++;
    this.#canary.last = { at: new Date().toISOString(), via, detail };
    const reason = `canary mismatch after ${via === "sleep" ? "wake" : "resume"}: ${detail}; restarting the engine cold`;
    this.logs.push("supervisor", reason);
    await this.#stop(reason);
    return false;
  }

  /** Stops the process on purpose (scale to zero, shutdown, a failed sleep/wake). */
  async #stop(reason: string): Promise<void> {
    const run = this.#run;
    if (!run) {
      if (this.#sm.state !== "stopped") this.#set("stopped", reason);
      return;
    }
    run.expected = true;
    const started = performance.now();
    this.#set("stopping", reason);
    const info = await run.proc.stop(this.#stopGraceMs);
    this.#dropRun(run);
    this.#set(
      "stopped",
      `exited (${describeExit(info)}) ${Math.round(performance.now() - started)} ms after the stop`,
    );
  }

  /** The engine would not become ready: stop it and count that like a crash (permanent: fail now). */
  async #stopAfterFailure(
    run: EngineRun,
    reason: string,
    options: { permanent?: boolean } = {},
  ): Promise<void> {
    run.expected = true;
    this.logs.push("supervisor", reason);
    this.#set("stopping", reason);
    const info = await run.proc.stop(this.#stopGraceMs);
    this.#dropRun(run);
    if (options.permanent) {
      this.#lastExit = { ...exitJson(info), at: new Date().toISOString() };
      this.#emit({ type: "crash", engine: this.name, exit: info, action: "fail" });
      return this.#fail(reason);
    }
    this.#crashed(info, reason);
  }

  #onExit(run: EngineRun, info: ExitInfo): void {
    run.exit.abort();
    if (run.expected || this.#run !== run) return;
    this.#dropRun(run);
    // Only what this run printed: an earlier run's last words (and our own notes) say nothing about this exit.
    const log = this.logs
      .tail(400, { run: run.logRun })
      .filter((l) => l.stream !== "supervisor")
      .map((l) => l.line)
      .join("\n");
    const fixedPort = (this.#o.port ?? this.config.local.port) !== undefined;
    const cls = classifyExit(info, log, { gpu: this.#gpu.present, fixedPort });
    // The plugin's reading of the log, else the engine's last words on stderr.
    const explained =
      (cls.kind === "transient" ? undefined : cls.fix) ??
      this.plugin.explainExit?.(log) ??
      this.logs
        .tail(50, { run: run.logRun })
        .filter((l) => l.stream === "stderr" && l.line.trim() !== "")
        .at(-1)
        ?.line.slice(0, 300);
    const reason = `exited unexpectedly (${describeExit(info)})${explained ? `: ${explained}` : ""}`;
    this.#crashed(info, reason, cls.kind !== "transient");
    this.#reconcile();
  }

  /** Crash accounting: restart with backoff, wait for the next request, or give up. */
  #crashed(info: ExitInfo, reason: string, permanent = false): void {
    this.#lastExit = { ...exitJson(info), at: new Date().toISOString() };
    const asleep = this.#sm.state === "sleeping" || this.#sm.state === "suspended";
    // A config or platform error fails the same way on every attempt: no retries.
    const verdict =
      info.spawnError || permanent
        ? ({ action: "fail", crashesInWindow: 1 } as const)
        : this.#crash.crashed(performance.now());
    const action = verdict.action === "fail" ? "fail" : asleep || this.#closing ? "wait" : "restart";
    this.#emit({ type: "crash", engine: this.name, exit: info, action });
    this.logs.push("supervisor", reason);
    if (action === "fail") {
      const why = info.spawnError
        ? `${reason}: is the engine installed? Set local.executable in the config, e.g. a venv's vllm`
        : permanent
          ? `${reason} (a retry would fail the same way)`
          : `${reason}; ${verdict.crashesInWindow} failures within ${this.#crash.options.windowMs / 1000} s, giving up`;
      this.#fail(why);
      return;
    }
    if (action === "wait") {
      this.#set("stopped", `${reason}; the next request cold-starts it`);
      return;
    }
    const delay = (verdict as { delayMs: number }).delayMs;
    this.#restarts++;
    this.#set(
      "stopped",
      `${reason}; restart ${verdict.crashesInWindow}/${this.#crash.options.maxCrashes - 1} in ${delay} ms`,
    );
    clearTimeout(this.#restartTimer);
    this.#restartTimer = setTimeout(() => {
      this.#restartTimer = undefined;
      if (this.#sm.state === "stopped") this.#want = "ready";
      this.#reconcile();
    }, delay);
  }

  /** Still this supervisor's live process, and not being stopped on purpose? (Checked after every await.) */
  #current(run: EngineRun): boolean {
    return this.#run === run && !run.expected;
  }

  #dropRun(run: EngineRun): void {
    if (this.#run === run) this.#run = undefined;
    run.close();
  }

  async #reserveMemory(): Promise<void> {
    const closed = new AbortController();
    if (this.#closing) closed.abort();
    await this.#memory.reserve(this, closed.signal).catch((error: unknown) => {
      if (!this.#closing) throw error;
    });
  }

  #asleepMeans(): string {
    try {
      return lifecycleSpecV1Schema.parse(this.plugin.lifecycle(this.config)).asleepMeans;
    } catch {
      return "asleep";
    }
  }

  // ---- reporting -------------------------------------------------------------------

  #wall(mono: number): string {
    return new Date(this.#wallStart + (mono - this.#monoStart)).toISOString();
  }

  snapshot(options: { history?: number } = {}): EngineSnapshot {
    const run = this.#run;
    return {
      name: this.name,
      source: this.source,
      engine: this.plugin.engine,
      models: this.models,
      mode: this.mode,
      suspendUnavailable: this.#suspendUnavailable,
      state: this.#sm.state,
      since: this.#wall(this.#sm.since),
      pid: run?.proc.pid ?? null,
      url: run?.baseUrl ?? null,
      inFlight: this.#inFlight,
      lastUsed: this.#lastActivity ? this.#wall(this.#lastActivity) : null,
      scaleDownAfterMs: this.scaleDownAfterMs,
      pinned: this.pinned,
      gpuDemand: this.demand,
      restarts: this.#restarts,
      lastExit: this.#lastExit,
      failure: this.#failure,
      stats: {
        requests: this.#requests,
        timeInStateMs: this.#sm.timeInState(),
        coldStart: this.#stats.coldStart.summary(),
        wake: this.#stats.wake.summary(),
        scaleDown: this.#stats.scaleDown.summary(),
        canary: this.#stats.canary.summary(),
      },
      canary: {
        enabled: this.#rules.canary !== undefined && this.mode !== "stop",
        recorded: run?.canary !== undefined,
        unavailable: run?.canaryUnavailable ?? null,
        checks: this.#canary.checks,
        mismatches: this.#canary.mismatches,
        last: this.#canary.last,
      },
      gate: run ? { phase: run.gate.phase, sent: { ...run.gate.sent }, refused: run.gate.refused } : null,
      history: this.#sm.history.slice(-(options.history ?? 50)),
    };
  }
}
