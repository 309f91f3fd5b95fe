import type { DeploymentConfigV1 } from "@rouse/config";
import type { EngineLifecycleClientV1, EnginePluginV1 } from "@rouse/engine-spec";
import { Pool } from "undici";
import {
  type CanaryAnswer,
  type CanaryVerdict,
  compareCanary,
  runCanary,
  sendJson,
} from "../lifecycle/canary.ts";
import { EngineGate } from "../lifecycle/engine-gate.ts";
import type { EngineRules } from "../lifecycle/engine-rules.ts";
import { describeExit, type EngineProcess, spawnEngine } from "../process/engine-process.ts";
import type { LogRing } from "../process/log-ring.ts";
import { describeListeners, listenersOn } from "../preflight/port.ts";

// One spawned engine process and everything that talks to it: the plugin's
// lifecycle client and the request pool, both behind its gate. The supervisor
// decides *when* (states, queue, crashes); this says *how*, for one process.

export interface EngineRunOptions {
  readonly plugin: EnginePluginV1;
  readonly config: DeploymentConfigV1;
  readonly name: string;
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly host: string;
  readonly port: number;
  readonly apiKey: string | undefined;
  readonly logs: LogRing;
  readonly rules: EngineRules;
}

export class EngineRun {
  readonly proc: EngineProcess;
  readonly port: number;
  readonly baseUrl: string;
  readonly apiKey: string | undefined;
  readonly client: EngineLifecycleClientV1;
  readonly pool: Pool;
  /** Aborted when the process exits: ends waits on it at once. */
  readonly exit = new AbortController();
  /** Its number in the log ring: crash reasons quote only its lines. */
  readonly logRun: number;
  /** Every call the runtime makes to it; closed while it is asleep or checkpointed. */
  readonly gate: EngineGate;
  readonly #rules: EngineRules;
  readonly #logs: LogRing;
  /** We are stopping it: its exit is no crash. */
  expected = false;
  /** The canary recorded before its first scale-down (verified wake). */
  canary: CanaryAnswer | undefined;
  /** Why no canary could be recorded for it. */
  canaryUnavailable: string | undefined;
  /** Asleep (so a resume must wake it). */
  slept = false;

  /** Spawns the engine process (the log ring's current run is its run). */
  constructor(o: EngineRunOptions) {
    this.port = o.port;
    this.apiKey = o.apiKey;
    this.#rules = o.rules;
    this.#logs = o.logs;
    this.logRun = o.logs.run;
    this.baseUrl = `http://${o.host.includes(":") ? `[${o.host}]` : o.host}:${o.port}`;
    this.proc = spawnEngine({ argv: o.argv, env: o.env, logs: o.logs });
    this.gate = new EngineGate(o.name, o.rules.safeWhile);
    this.client = o.plugin.createLifecycleClient(o.config, {
      baseUrl: this.baseUrl,
      ...(o.apiKey ? { apiKey: o.apiKey } : {}),
      fetch: this.gate.fetch(),
    });
    this.pool = new Pool(this.baseUrl, {
      connections: 256,
      pipelining: 1,
      keepAliveTimeout: 30_000,
      headersTimeout: 10 * 60_000,
      bodyTimeout: 5 * 60_000,
    });
  }

  /**
   * Why the listener that passed the readiness probe is not this engine, or
   * undefined when it is: the process is alive, the listener on the port (where
   * /proc shows it) is in its process group, and `/v1/models` serves `model`.
   */
  async foreignListener(model: string | undefined): Promise<string | undefined> {
    const where = `${this.baseUrl} answered the readiness probe`;
    if (this.proc.exit)
      return `${where}, but the engine we started had exited (${describeExit(this.proc.exit)})`;
    const listeners = listenersOn(this.port);
    const pgid = this.proc.pid;
    if (listeners.length > 0 && !listeners.some((l) => l.pgid === pgid)) {
      return `${where}, but the process listening there is ${describeListeners(listeners)}, not the engine we started (pid ${pgid}): free the port or change local.port`;
    }
    let ids: string[];
    try {
      const body = (await this.#send({ method: "GET", path: "/v1/models", timeoutSeconds: 10 })) as {
        data?: { id?: unknown }[];
      } | null;
      ids = (body?.data ?? []).map((m) => String(m.id));
    } catch (error) {
      return `${where}, but GET /v1/models failed (${messageOf(error)}): it does not look like the engine we started`;
    }
    if (model !== undefined && !ids.includes(model)) {
      return `${where}, but it serves ${ids.length ? ids.map((i) => `'${i}'`).join(", ") : "no model"}, not '${model}': another server holds the port; free it or change local.port`;
    }
    return undefined;
  }

  /** The sleep call, confirmed by the engine's own state; the gate closes once the call is made. */
  async sleep(level: 1 | 2, timeoutMs: number): Promise<void> {
    await this.client.sleep({ level, timeoutMs });
    this.gate.phase = "asleep";
    this.slept = true;
    // Some engines answer before they are asleep: the engine's own state decides.
    if (!(await this.client.isSleeping()))
      throw new Error("the engine says it is not sleeping after the sleep call");
  }

  /**
   * The wake call, confirmed. The plugin's lifecycle client makes the after-wake calls
   * (vLLM level 2: reload the weights, reset the prefix cache) as part of the wake, so
   * they pass the gate as wake calls; they are logged here.
   */
  async wake(timeoutMs: number): Promise<void> {
    await this.client.wakeUp({ timeoutMs });
    for (const call of this.#rules.afterWake) this.#logs.push("supervisor", `after wake: ${call.method} ${call.path}`);
    if (await this.client.isSleeping()) throw new Error("the engine still says it is sleeping after wake_up");
    this.gate.phase = "open";
    this.slept = false;
  }

  /** Records the canary once (the engine is drained: nothing else runs). Returns its cost in ms, if it ran. */
  async recordCanary(): Promise<number | undefined> {
    const spec = this.#rules.canary;
    if (!spec || this.canary || this.canaryUnavailable) return undefined;
    const started = performance.now();
    try {
      this.canary = await runCanary(spec, this.gate.fetch(), this.baseUrl, this.apiKey);
      this.#logs.push("supervisor", `canary recorded: ${this.canary.tokens.length} tokens`);
    } catch (error) {
      this.canaryUnavailable = messageOf(error);
      this.#logs.push("supervisor", `warning: no canary (wakes are not verified): ${this.canaryUnavailable}`);
    }
    return performance.now() - started;
  }

  /** Replays the canary against the recorded one; undefined when there is nothing to compare. */
  async replayCanary(): Promise<(CanaryVerdict & { ms: number }) | undefined> {
    const spec = this.#rules.canary;
    if (!spec || !this.canary) return undefined;
    const started = performance.now();
    let verdict: CanaryVerdict;
    try {
      const after = await runCanary(spec, this.gate.fetch(), this.baseUrl, this.apiKey);
      verdict = compareCanary(spec, this.canary, after);
    } catch (error) {
      verdict = { ok: false, detail: `the canary request failed: ${messageOf(error)}` };
    }
    return { ...verdict, ms: performance.now() - started };
  }

  /** The plugin's pre-checkpoint call, as the checkpoint command takes it. */
  releaseHook(plugin: EnginePluginV1): string[] {
    const release = plugin.capabilities.releaseBeforeCheckpoint;
    if (!release) return [];
    return [release.startsWith("/") ? `POST ${this.baseUrl}${release}` : release];
  }

  /** Drops the connection pool (the process is gone or going). */
  close(): void {
    void this.pool.destroy().catch(() => {});
  }

  #send(call: Parameters<typeof sendJson>[2]): Promise<unknown> {
    return sendJson(this.gate.fetch(), this.baseUrl, call, this.apiKey);
  }
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
