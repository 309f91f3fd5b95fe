import { EngineRequestError, type EngineSupervisor, forward } from "@rouse/runtime";
import { GatewayError } from "../errors.ts";
import {
  type LiveUpstream,
  type ProbeResult,
  type Readiness,
  readableBody,
  type Upstream,
  type UpstreamRequest,
  type UpstreamResponse,
  UpstreamNotReady,
} from "../upstream/types.ts";

/**
 * A local engine (an @rouse/runtime supervisor) as a gateway upstream. It is a
 * live upstream: the gateway follows the engine's state (ready, or warming while
 * stopped, starting, asleep, suspended, waking…; down when failed) and holds the
 * requests that arrive meanwhile in this upstream's one bounded queue, waking the
 * engine for the first of them — one start or wake for all. The supervisor
 * admits requests only while ready; what it refuses (failed, shutting down, a
 * crash mid-request) comes back as a GatewayError, which the router passes on.
 */
export class EngineUpstream implements Upstream {
  readonly supervisor: EngineSupervisor;
  readonly name: string;
  readonly models: readonly string[];
  readonly weight = 1;
  readonly tier = 0;
  readonly live: LiveUpstream;

  constructor(supervisor: EngineSupervisor) {
    this.supervisor = supervisor;
    this.name = supervisor.name;
    this.models = supervisor.models;
    this.live = {
      readiness: () => this.#readiness(),
      subscribe: (fn) => supervisor.onStateChange(() => fn()),
      wake: () => supervisor.wake(),
    };
  }

  get url(): string {
    return `local:${this.supervisor.name} (${this.supervisor.state}${this.supervisor.baseUrl ? ` at ${this.supervisor.baseUrl}` : ""})`;
  }

  async send(req: UpstreamRequest): Promise<UpstreamResponse> {
    const refusal = this.supervisor.refusal();
    if (refusal?.code === "engine_not_ready") {
      this.supervisor.wake();
      throw new UpstreamNotReady(refusal.message);
    }
    try {
      const res = await forward(this.supervisor, req);
      return {
        status: res.status,
        headers: { ...res.headers, "x-rouse-engine": this.name },
        body: readableBody(res.body),
      };
    } catch (error) {
      if (error instanceof EngineRequestError) throw gatewayError(error);
      throw error;
    }
  }

  /** The engine's state as it is (no side effects: a probe never wakes it). */
  async probe(): Promise<ProbeResult> {
    const r = this.#readiness();
    if (r.state === "ready") return { ready: true, latencyMs: 0 };
    return { ready: false, latencyMs: 0, reason: r.detail, hard: r.state === "down" };
  }

  /** The engines are closed by `LocalEngines.close()`, after the gateway drained. */
  async close(): Promise<void> {}

  #readiness(): Readiness {
    const refusal = this.supervisor.refusal();
    if (refusal === undefined) return { state: "ready" };
    if (refusal.code === "engine_not_ready") return { state: "warming", detail: refusal.message };
    return { state: "down", detail: refusal.message, error: gatewayError(refusal) };
  }
}

/** The supervisor's refusal as the gateway's error: same status, code, message and Retry-After. */
function gatewayError(error: EngineRequestError): GatewayError {
  return new GatewayError(error.status, error.type, error.message, {
    code: error.code,
    ...(error.retryAfterSeconds !== undefined ? { retryAfter: error.retryAfterSeconds } : {}),
    cause: error,
  });
}
