import type { ExitInfo } from "../process/engine-process.ts";
import type { Transition } from "../state/machine.ts";

/** What a supervisor reports as it works, for metrics and logs (see apps/api's local metrics). */
export type SupervisorEvent =
  | { readonly type: "transition"; readonly engine: string; readonly transition: Transition }
  /** Spawn → ready (after warmup); `healthyMs`: spawn → first healthy probe. */
  | { readonly type: "cold-start"; readonly engine: string; readonly ms: number; readonly healthyMs: number }
  /** A request arrived while asleep/suspended → ready. */
  | { readonly type: "wake"; readonly engine: string; readonly ms: number; readonly via: "sleep" | "suspend" }
  | {
      readonly type: "scale-down";
      readonly engine: string;
      readonly ms: number;
      readonly via: "sleep" | "stop" | "suspend";
    }
  /** A canary replayed after a wake/resume; `ok: false` restarts the engine cold. */
  | {
      readonly type: "canary";
      readonly engine: string;
      readonly via: "sleep" | "suspend";
      readonly ok: boolean;
      readonly ms: number;
      readonly detail: string;
    }
  | {
      readonly type: "crash";
      readonly engine: string;
      readonly exit: ExitInfo;
      readonly action: "restart" | "fail" | "wait";
    };
