// Test harness: engines behind the rouse gateway exactly as `rouse serve --local`
// runs them (apps/api's serveLocal: the gateway holds requests while an engine
// starts or wakes, in its one queue per upstream), driven with the official
// `openai` SDK. Engines are real processes: the STAND-IN ENGINE
// (tools/engine-standin, named so: it imitates vLLM/SGLang, it is not one) or,
// behind ROUSE_VLLM_CPU, the real vLLM CPU build.

import { createHash } from "node:crypto";
import {
  type DeploymentConfigV1,
  type DeploymentConfigV1Input,
  type GatewayConfigV1Input,
  parseDeployment,
} from "@rouse/config";
import OpenAI from "openai";
// The production front, by path: apps/api depends on this package, not the other way round.
import { type ServingLocal, serveLocal } from "../../../../apps/api/src/local/serve-local.ts";
import { standinExecutable } from "../../../../tools/engine-standin/spawn.ts";
import type { EngineEntry } from "../fleet/engine-set.ts";
import type { LocalEngines, LocalEnginesOptions } from "../fleet/local-engines.ts";
import type { EngineState } from "../state/states.ts";
import type { SupervisorEvent } from "../supervisor/events.ts";
import type { EngineSupervisor, SupervisorOptions } from "../supervisor/supervisor.ts";

type Input = DeploymentConfigV1Input;
type Overrides = Partial<Omit<Input, "version" | "engine" | "model">> & {
  engine?: Partial<Input["engine"]>;
  model?: Partial<Input["model"]>;
};

/** A config for a stand-in engine named `name`, serving the model `name`. */
export function standinConfig(name: string, over: Overrides = {}): DeploymentConfigV1 {
  return parseDeployment({
    version: 1,
    name,
    ...over,
    model: { id: `standin/${name}`, servedName: [name], ...over.model },
    engine: { kind: "vllm", ...over.engine },
    local: { scaleToZero: "stop", ...over.local },
  });
}

export interface StandinFlags {
  /** Boolean stand-in flags, e.g. `--sleep-returns-early`. */
  readonly flags?: readonly string[];
  /** Valued stand-in options, e.g. `{ "load-ms": 100 }`. */
  readonly values?: Readonly<Record<string, string | number>>;
}

/**
 * The stand-in as a plugin's executable. Valued options go last in `--k=v` form
 * so the stand-in's lenient parser cannot mistake the plugin's `serve MODEL`
 * for their values.
 */
export function standinExecutableFor(engine: "vllm" | "sglang", o: StandinFlags = {}): string[] {
  const values = { "load-ms": 150, "token-ms": 5, "sleep-delay-ms": 50, "wake-delay-ms": 50, ...o.values };
  return [
    ...standinExecutable(engine),
    ...(o.flags ?? []),
    ...Object.entries(values).map(([k, v]) => `--${k}=${v}`),
  ];
}

/** Supervisor settings that make tests quick: short windows and backoff. */
export function quick(over: Partial<SupervisorOptions> = {}): Partial<SupervisorOptions> {
  return {
    scaleDownAfterMs: 60_000,
    startupTimeoutMs: 15_000,
    stopGraceMs: 3_000,
    crash: { initialDelayMs: 100, maxDelayMs: 400, maxCrashes: 4, windowMs: 60_000 },
    gpu: { present: true, how: "stand-in engine (tests)" },
    ...over,
  };
}

export interface Harness {
  readonly engines: LocalEngines;
  /** The gateway in front of the engines. */
  readonly server: { readonly url: string };
  readonly openai: OpenAI;
  readonly events: SupervisorEvent[];
  engine(name: string): EngineSupervisor;
  close(): Promise<void>;
}

export async function startHarness(
  entries: readonly EngineEntry[],
  supervisor: (entry: EngineEntry) => Partial<SupervisorOptions>,
  options: Omit<LocalEnginesOptions, "supervisor" | "onEvent"> & {
    preload?: boolean;
    /** The gateway's `queue` settings: the one queue requests wait in while an engine starts or wakes. */
    queue?: GatewayConfigV1Input["queue"];
    retryAfterSeconds?: number;
  } = {},
): Promise<Harness> {
  const events: SupervisorEvent[] = [];
  const { preload, queue, retryAfterSeconds, ...engineOptions } = options;
  const apiKey = "harness";
  const local: ServingLocal = await serveLocal(entries, {
    port: 0,
    preload: preload ?? false,
    shutdownDeadlineMs: 2_000,
    log: () => {},
    gateway: {
      auth: {
        keys: [{ name: "harness", sha256: createHash("sha256").update(apiKey).digest("hex") }],
        allowNoAuthOnLoopback: true,
      },
      ...(queue ? { queue } : {}),
    },
    deps: { log: () => {}, ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}) },
    engines: {
      // The stand-in engine imitates GPU engines on this CPU machine.
      gpu: { present: true, how: "stand-in engine (tests)" },
      ...engineOptions,
      supervisor,
    },
    onEvent: (e) => events.push(e),
  });
  const { engines, server } = local;
  const openai = new OpenAI({
    baseURL: `${server.url}/v1`,
    apiKey,
    maxRetries: 0,
    timeout: 120_000,
  });
  return {
    engines,
    server,
    openai,
    events,
    engine: (name) => {
      const s = engines.byName(name);
      if (!s) throw new Error(`no engine ${name}`);
      return s;
    },
    async close() {
      await engines.close({ drainTimeoutMs: 2_000 });
      await local.close();
    },
  };
}

/** Resolves when `engine` reaches `state` (rejects after `timeoutMs`, naming the history). */
export async function until(engine: EngineSupervisor, state: EngineState, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (engine.state !== state) {
    if (Date.now() > deadline) {
      const path = engine.history.map((t) => `${t.to} (${t.reason})`).join(" → ");
      throw new Error(
        `engine ${engine.name} did not reach ${state} within ${timeoutMs} ms; it went: ${path}`,
      );
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Resolves once the history has a transition into `state` beyond its first `since` entries (fast transitions included). */
export async function untilEntered(
  engine: EngineSupervisor,
  state: EngineState,
  since = 0,
  timeoutMs = 15_000,
) {
  const deadline = Date.now() + timeoutMs;
  while (!engine.history.slice(since).some((t) => t.to === state)) {
    if (Date.now() > deadline)
      throw new Error(`engine ${engine.name} never entered ${state}: ${path(engine).join(" → ")}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The states the engine went through, in order. */
export const path = (engine: EngineSupervisor) => engine.history.map((t) => t.to);
export const count = (engine: EngineSupervisor, state: EngineState) =>
  path(engine).filter((s) => s === state).length;

export async function chat(
  openai: OpenAI,
  model: string,
  maxTokens = 4,
): Promise<{ text: string; headers: { get(name: string): string | null } }> {
  const { data, response } = await openai.chat.completions
    .create({ model, messages: [{ role: "user", content: "hi" }], max_tokens: maxTokens })
    .withResponse();
  return { text: data.choices[0]?.message.content ?? "", headers: response.headers };
}

export async function streamChat(openai: OpenAI, model: string, maxTokens = 4): Promise<string> {
  const stream = await openai.chat.completions.create({
    model,
    messages: [{ role: "user", content: "hi" }],
    max_tokens: maxTokens,
    stream: true,
  });
  let text = "";
  for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
  return text;
}
