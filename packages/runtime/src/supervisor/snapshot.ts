import type { DeploymentConfigV1 } from "@rouse/config";
import type { ExitInfo } from "../process/engine-process.ts";
import type { LogLine } from "../process/log-ring.ts";
import type { Transition } from "../state/machine.ts";
import type { EngineState } from "../state/states.ts";
import type { LatencySummary } from "./latency-stats.ts";

export type ScaleToZeroMode = DeploymentConfigV1["local"]["scaleToZero"];

export interface ExitInfoJson {
  readonly code: number | null;
  readonly signal: string | null;
  /** Why it never started (ENOENT, EACCES). */
  readonly error?: string;
}

/** One engine as `GET /api/v1/engines/<name>` shows it. */
export interface EngineSnapshot {
  readonly name: string;
  readonly source: string | undefined;
  readonly engine: string;
  readonly models: readonly string[];
  readonly mode: ScaleToZeroMode;
  /** Set when suspend cannot work here and the engine stops instead. */
  readonly suspendUnavailable: string | undefined;
  readonly state: EngineState;
  readonly since: string;
  readonly pid: number | null;
  readonly url: string | null;
  readonly inFlight: number;
  readonly lastUsed: string | null;
  readonly scaleDownAfterMs: number;
  readonly pinned: boolean;
  readonly gpuDemand: readonly number[];
  readonly restarts: number;
  readonly lastExit: (ExitInfoJson & { readonly at: string }) | null;
  readonly failure: {
    readonly reason: string;
    readonly at: string;
    readonly logTail: readonly LogLine[];
  } | null;
  readonly stats: {
    readonly requests: number;
    readonly timeInStateMs: Record<EngineState, number>;
    readonly coldStart: LatencySummary;
    readonly wake: LatencySummary;
    readonly scaleDown: LatencySummary;
    /** What each canary request cost (recording and replays). */
    readonly canary: LatencySummary;
  };
  /** Verified wake: the canary replayed after every wake/resume. */
  readonly canary: {
    readonly enabled: boolean;
    /** The current process has a recorded canary. */
    readonly recorded: boolean;
    /** Why none could be recorded for the current process (wakes then go unverified). */
    readonly unavailable: string | null;
    readonly checks: number;
    readonly mismatches: number;
    /** The last mismatch (the engine was restarted cold). */
    readonly last: { readonly at: string; readonly via: "sleep" | "suspend"; readonly detail: string } | null;
  };
  /** The calls the runtime made to the current process, by engine phase, and those it refused to make. */
  readonly gate: {
    readonly phase: "open" | "asleep" | "checkpointed";
    readonly sent: Readonly<Record<"open" | "asleep" | "checkpointed", number>>;
    readonly refused: number;
  } | null;
  readonly history: readonly Transition[];
}

export function exitJson(info: ExitInfo): ExitInfoJson {
  return {
    code: info.code,
    signal: info.signal,
    ...(info.spawnError ? { error: info.spawnError.code ?? info.spawnError.message } : {}),
  };
}
