import { Agent, fetch as undiciFetch } from "undici";
import type { SafeCalls } from "./engine-rules.ts";

// The callers' deadlines are the only ones (as in @rouse/engine-kit): undici's own 300 s
// headers timeout would cut a first warmup request that compiles for longer.
const dispatcher = new Agent({ headersTimeout: 0, bodyTimeout: 0, connect: { timeout: 10_000 } });
const engineFetch: typeof globalThis.fetch = (input, init) =>
  undiciFetch(input as Parameters<typeof undiciFetch>[0], {
    ...(init as object),
    dispatcher,
  }) as unknown as Promise<Response>;

// Every call the runtime makes to an engine process (readiness and health
// probes, lifecycle calls, canaries, after-wake steps) goes through one gate.
// While the engine is asleep or checkpointed, the gate lets through only the
// paths its plugin says are safe then, and refuses the rest without sending
// anything: a probe that reaches a released SGLang, or a request that reaches a
// checkpointed vLLM that is not asleep, kills the engine.

export type GatePhase = "open" | "asleep" | "checkpointed";

export class EngineCallRefusedError extends Error {
  override readonly name = "EngineCallRefusedError";
  readonly path: string;
  readonly phase: GatePhase;
  constructor(engine: string, path: string, phase: GatePhase) {
    super(`engine '${engine}' is ${phase}: the runtime does not send ${path} to it (not safe in that state)`);
    this.path = path;
    this.phase = phase;
  }
}

export class EngineGate {
  readonly engine: string;
  readonly #safe: SafeCalls;
  #phase: GatePhase = "open";
  /** Calls refused so far (each one a bug in the runtime's own sequencing). */
  refused = 0;
  /** Calls sent per phase, for tests and status. */
  readonly sent: Record<GatePhase, number> = { open: 0, asleep: 0, checkpointed: 0 };

  constructor(engine: string, safe: SafeCalls) {
    this.engine = engine;
    this.#safe = safe;
  }

  get phase(): GatePhase {
    return this.#phase;
  }
  set phase(phase: GatePhase) {
    this.#phase = phase;
  }

  /** Throws EngineCallRefusedError unless `path` may reach the engine now. */
  check(path: string): void {
    if (this.#phase !== "open") {
      const allowed = this.#phase === "asleep" ? this.#safe.asleep : this.#safe.checkpointed;
      if (!allowed.includes(path)) {
        this.refused++;
        throw new EngineCallRefusedError(this.engine, path, this.#phase);
      }
    }
    this.sent[this.#phase]++;
  }

  /** A fetch that asks the gate first (given to the plugin's lifecycle client). */
  fetch(inner: typeof globalThis.fetch = engineFetch): typeof globalThis.fetch {
    return (input, init) => {
      const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
      try {
        this.check(new URL(url).pathname);
      } catch (error) {
        return Promise.reject(error);
      }
      return inner(input, init);
    };
  }
}
