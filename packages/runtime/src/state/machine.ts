import { canTransition, ENGINE_STATES, type EngineState, IllegalTransitionError } from "./states.ts";

export interface Transition {
  readonly from: EngineState;
  readonly to: EngineState;
  /** Wall-clock time, ISO 8601. */
  readonly at: string;
  readonly reason: string;
  /** How long the engine was in `from`, ms. */
  readonly afterMs: number;
}

export interface StateMachineOptions {
  readonly engine: string;
  readonly initial?: EngineState;
  /** Transitions kept for `/api/v1/engines/<name>` (oldest dropped first). Default 200. */
  readonly historySize?: number;
  /** Monotonic ms clock (tests fake it). Default performance.now. */
  readonly now?: () => number;
  /** Wall clock for the `at` stamps. Default Date.now. */
  readonly wallClock?: () => number;
}

/**
 * Holds one engine's state, checks every transition against TRANSITIONS, and
 * keeps a bounded history plus the total time spent in each state.
 */
export class EngineStateMachine {
  readonly engine: string;
  #state: EngineState;
  #since: number;
  readonly #history: Transition[] = [];
  readonly #historySize: number;
  readonly #timeIn = new Map<EngineState, number>();
  readonly #listeners = new Set<(t: Transition) => void>();
  readonly #now: () => number;
  readonly #wall: () => number;

  constructor(options: StateMachineOptions) {
    this.engine = options.engine;
    this.#state = options.initial ?? "stopped";
    this.#now = options.now ?? (() => performance.now());
    this.#wall = options.wallClock ?? Date.now;
    this.#since = this.#now();
    this.#historySize = options.historySize ?? 200;
  }

  get state(): EngineState {
    return this.#state;
  }
  /** Monotonic ms at which the current state began. */
  get since(): number {
    return this.#since;
  }
  get history(): readonly Transition[] {
    return this.#history;
  }

  is(...states: EngineState[]): boolean {
    return states.includes(this.#state);
  }

  /** Moves to `to`, or throws IllegalTransitionError and changes nothing. */
  to(to: EngineState, reason: string): Transition {
    const from = this.#state;
    if (!canTransition(from, to)) throw new IllegalTransitionError(this.engine, from, to, reason);
    const now = this.#now();
    const afterMs = now - this.#since;
    this.#timeIn.set(from, (this.#timeIn.get(from) ?? 0) + afterMs);
    this.#state = to;
    this.#since = now;
    const t: Transition = { from, to, at: new Date(this.#wall()).toISOString(), reason, afterMs };
    this.#history.push(t);
    if (this.#history.length > this.#historySize) this.#history.shift();
    for (const fn of [...this.#listeners]) fn(t);
    return t;
  }

  /** Total ms spent in each state so far, the current one included. */
  timeInState(): Record<EngineState, number> {
    const now = this.#now();
    const out = {} as Record<EngineState, number>;
    for (const s of ENGINE_STATES) out[s] = this.#timeIn.get(s) ?? 0;
    out[this.#state] += now - this.#since;
    return out;
  }

  /** Calls `fn` after every transition; returns the unsubscribe function. */
  onTransition(fn: (t: Transition) => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }
}
