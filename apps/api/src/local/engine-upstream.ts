import { EngineRequestError, type EngineSupervisor, forward } from "@rouse/runtime";
import { GatewayError } from "../errors.ts";
import {
  type ProbeResult,
  readableBody,
  type Upstream,
  type UpstreamRequest,
  type UpstreamResponse,
} from "../upstream/types.ts";

/**
 * A local engine (an @rouse/runtime supervisor) as a gateway upstream. `send`
 * waits through the engine's start or wake itself — one for all requests, in the
 * supervisor's bounded queue — so the router always sees it as usable; what the
 * supervisor refuses (queue full, deadline, failed, crashed) comes back as a
 * GatewayError, which the router passes on instead of retrying.
 */
export class EngineUpstream implements Upstream {
  readonly supervisor: EngineSupervisor;
  readonly name: string;
  readonly models: readonly string[];
  readonly weight = 1;
  readonly tier = 0;

  constructor(supervisor: EngineSupervisor) {
    this.supervisor = supervisor;
    this.name = supervisor.name;
    this.models = supervisor.models;
  }

  get url(): string {
    return `local:${this.supervisor.name} (${this.supervisor.state}${this.supervisor.baseUrl ? ` at ${this.supervisor.baseUrl}` : ""})`;
  }

  async send(req: UpstreamRequest): Promise<UpstreamResponse> {
    try {
      const res = await forward(this.supervisor, req);
      // What the engine's own wait cost (the gateway's x-rouse-cold-start covers its router only).
      const headers = {
        ...res.headers,
        "x-rouse-engine": this.name,
        "x-rouse-engine-cold-start": String(res.coldStart),
        "x-rouse-engine-wait-ms": String(Math.round(res.waitedMs)),
      };
      return { status: res.status, headers, body: readableBody(res.body) };
    } catch (error) {
      if (!(error instanceof EngineRequestError)) throw error;
      throw new GatewayError(error.status, error.type, error.message, {
        code: error.code,
        ...(error.retryAfterSeconds !== undefined ? { retryAfter: error.retryAfterSeconds } : {}),
        cause: error,
      });
    }
  }

  /** Ready unless failed: a stopped or sleeping engine starts on demand. */
  async probe(): Promise<ProbeResult> {
    const failed = this.supervisor.state === "failed";
    return failed
      ? { ready: false, latencyMs: 0, reason: `engine '${this.name}' failed`, hard: true }
      : { ready: true, latencyMs: 0 };
  }

  /** The engines are closed by `LocalEngines.close()`, after the gateway drained. */
  async close(): Promise<void> {}
}
