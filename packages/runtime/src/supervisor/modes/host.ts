import type { EngineState } from "../../state/states.ts";
import type { CheckpointCommand } from "../../suspend/cuda-checkpoint.ts";
import type { EngineRun } from "../engine-run.ts";
import type { ScaleToZeroMode } from "../snapshot.ts";

/**
 * What a scale-to-zero mode needs from its supervisor: the state machine, the
 * stop path and the bookkeeping. The supervisor decides when; a mode does the
 * one scale-down or wake it is asked for, checking after every await that the
 * run is still the supervisor's (`current`), and returns.
 */
export interface ModeHost {
  readonly sleepLevel: 1 | 2;
  readonly lifecycleTimeoutMs: number;
  readonly checkpoint: CheckpointCommand;
  /** Does the plugin put this engine to sleep here? */
  canSleep(): boolean;
  /** What leaves GPU memory while asleep, in words. */
  asleepMeans(): string;
  set(to: EngineState, reason: string): void;
  /** Stops the process on purpose (memory freed; the next request cold-starts it). */
  stop(reason: string): Promise<void>;
  /** Still the supervisor's live process, not being stopped on purpose? */
  current(run: EngineRun): boolean;
  note(line: string): void;
  recordCanary(run: EngineRun): Promise<void>;
  /** True when the engine may serve; false after a mismatch stopped it. */
  verifyCanary(run: EngineRun, via: "sleep" | "suspend"): Promise<boolean>;
  scaledDown(via: ScaleToZeroMode, started: number): void;
  woke(via: "sleep" | "suspend", started: number): void;
  /** Suspend cannot work on this machine (checkpoint exit 3): later idles stop instead. */
  suspendUnavailable(detail: string): void;
  /** Reconcile again after `ms` (a restore that does not fit yet). */
  retryIn(ms: number): void;
}
