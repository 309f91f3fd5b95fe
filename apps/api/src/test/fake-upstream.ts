import { Readable } from "node:stream";
import {
  type ProbeResult,
  readableBody,
  type Upstream,
  type UpstreamRequest,
  type UpstreamResponse,
} from "../upstream/types.ts";

export type FakeBehaviour = (req: UpstreamRequest, n: number) => UpstreamResponse | Promise<UpstreamResponse>;

/**
 * An in-memory upstream for router/gateway unit tests: `behaviour` answers each send. Not an
 * HTTP server and not a second fake OpenAI upstream: it implements the gateway's `Upstream`
 * interface so routing (weights, tiers, probes) is tested without sockets; every test over
 * HTTP uses the one fake upstream, `@rouse/client/testing`.
 */
export class FakeUpstream implements Upstream {
  readonly name: string;
  readonly url: string;
  readonly models: readonly string[];
  readonly weight: number;
  readonly tier: number;
  behaviour: FakeBehaviour;
  probeResult: () => ProbeResult = () => ({ ready: true, latencyMs: 1 });
  sent: UpstreamRequest[] = [];
  probes = 0;
  closed = false;

  constructor(
    name: string,
    models: readonly string[],
    behaviour: FakeBehaviour = () => ok({ ok: true }),
    options: { weight?: number; tier?: number } = {},
  ) {
    this.name = name;
    this.url = `fake://${name}`;
    this.models = models;
    this.weight = options.weight ?? 1;
    this.tier = options.tier ?? 0;
    this.behaviour = behaviour;
  }

  async send(req: UpstreamRequest): Promise<UpstreamResponse> {
    this.sent.push(req);
    return this.behaviour(req, this.sent.length);
  }
  async probe(): Promise<ProbeResult> {
    this.probes++;
    return this.probeResult();
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}

export function ok(body: unknown, status = 200): UpstreamResponse {
  const text = JSON.stringify(body);
  return {
    status,
    headers: { "content-type": "application/json" },
    body: Readable.from([Buffer.from(text)]),
  };
}

export function sse(events: readonly string[], status = 200): UpstreamResponse {
  return {
    status,
    headers: { "content-type": "text/event-stream" },
    body: readableBody(Readable.from(events.map((e) => Buffer.from(`data: ${e}\n\n`)))),
  };
}

export function refused(): never {
  throw Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" });
}
