// The engine supervisor's states and the only transitions allowed between them.
// Resting states: stopped, ready, sleeping, suspended, failed. The others are
// in progress, named for what is happening. The table is data so it can be
// printed (README, `/api/v1/engines`) and tested edge by edge.

export const ENGINE_STATES = [
  "stopped",
  "starting",
  "ready",
  "draining",
  "falling-asleep",
  "sleeping",
  "waking",
  "suspending",
  "suspended",
  "resuming",
  "stopping",
  "failed",
] as const;

export type EngineState = (typeof ENGINE_STATES)[number];

/** Every allowed transition, `from → [to…]`. Anything else throws IllegalTransitionError. */
export const TRANSITIONS: Readonly<Record<EngineState, readonly EngineState[]>> = {
  // stopped → starting: a request arrived, preload, or a crash restart is due;
  // → failed: it cannot be started at all (e.g. its GPU memory can never be freed).
  stopped: ["starting", "failed"],
  // starting → stopped: the process exited while loading (restart scheduled);
  // → stopping: shutdown, or readiness timed out; → failed: too many crashes.
  starting: ["ready", "stopped", "stopping", "failed"],
  // ready → draining: idle for scaledownWindow, evicted for memory, or shutdown.
  ready: ["draining", "stopped", "failed"],
  // draining: new requests are held; waits for requests in flight, then acts.
  draining: ["falling-asleep", "suspending", "stopping", "ready", "stopped", "failed"],
  // falling-asleep → stopping: sleep failed, so the process is stopped to free memory anyway.
  "falling-asleep": ["sleeping", "stopping", "stopped", "failed"],
  sleeping: ["waking", "stopping", "stopped", "failed"],
  // waking → stopping: wake failed; the engine is stopped and cold-started instead.
  waking: ["ready", "stopping", "stopped", "failed"],
  // suspending → stopping: the checkpoint failed or is unavailable; stop instead.
  suspending: ["suspended", "stopping", "stopped", "failed"],
  suspended: ["resuming", "stopping", "stopped", "failed"],
  // resuming → suspended: the restore would not fit in free GPU memory yet (nothing touched).
  resuming: ["ready", "suspended", "stopping", "stopped", "failed"],
  stopping: ["stopped", "failed"],
  // failed → starting: an explicit restart (POST /api/v1/engines/<name>/restart).
  failed: ["starting"],
};

/** States in which the engine answers requests without any wait. */
export const SERVING: ReadonlySet<EngineState> = new Set(["ready"]);
/** States with an engine process alive. */
export const HAS_PROCESS: ReadonlySet<EngineState> = new Set([
  "starting",
  "ready",
  "draining",
  "falling-asleep",
  "sleeping",
  "waking",
  "suspending",
  "suspended",
  "resuming",
  "stopping",
]);
/** States that hold GPU memory (for the memory budget): everything with a process that is not scaled to zero. */
export const HOLDS_GPU: ReadonlySet<EngineState> = new Set([
  "starting",
  "ready",
  "draining",
  "falling-asleep",
  "waking",
  "suspending",
  "resuming",
  "stopping",
]);

export class IllegalTransitionError extends Error {
  override readonly name = "IllegalTransitionError";
  readonly engine: string;
  readonly from: EngineState;
  readonly to: EngineState;
  constructor(engine: string, from: EngineState, to: EngineState, reason: string) {
    super(
      `engine '${engine}': illegal transition ${from} → ${to} (${reason}); allowed from ${from}: ${TRANSITIONS[from].join(", ")}`,
    );
    this.engine = engine;
    this.from = from;
    this.to = to;
  }
}

export function canTransition(from: EngineState, to: EngineState): boolean {
  return TRANSITIONS[from].includes(to);
}
