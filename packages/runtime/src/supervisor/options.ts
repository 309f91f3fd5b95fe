import type { DeploymentConfigV1 } from "@rouse/config";
import type { EnginePluginV1 } from "@rouse/engine-spec";
import type { MemoryArbiter } from "../fleet/memory-budget.ts";
import type { EngineRules } from "../lifecycle/engine-rules.ts";
import type { GpuPresence } from "../preflight/gpu.ts";
import type { CheckpointCommand } from "../suspend/cuda-checkpoint.ts";
import type { CrashPolicyOptions } from "./crash-policy.ts";
import type { SupervisorEvent } from "./events.ts";

/** How one engine supervisor runs its engine; everything but `config` and `plugin` has a default. */
export interface SupervisorOptions {
  readonly config: DeploymentConfigV1;
  readonly plugin: EnginePluginV1;
  /** Default: `config.name`. */
  readonly name?: string;
  /** Where the config came from (a file), for messages. */
  readonly source?: string;
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** A fixed engine port. Default: `local.port`, else a free port at each start. */
  readonly port?: number;
  /** Replaces the plugin's executable (tests: the stand-in engine). */
  readonly executable?: readonly string[];
  /** Extra engine environment, after the plugin's. */
  readonly env?: Readonly<Record<string, string>>;
  /** Where flags read from the environment (`--api-key`) come from. Default process.env. */
  readonly secrets?: Readonly<Record<string, string | undefined>>;
  /** Idle time before scaling to zero. Default `scaling.scaledownWindow`. */
  readonly scaleDownAfterMs?: number;
  /** Spawn → healthy deadline. Default `scaling.startupTimeout`. */
  readonly startupTimeoutMs?: number;
  /** Warmup requests after each start. Default 1. */
  readonly warmupCount?: number;
  /** `Retry-After` seconds with a refusal (not ready, shutting down). Default 5. */
  readonly retryAfterSeconds?: number;
  readonly crash?: Partial<CrashPolicyOptions>;
  /** SIGTERM → SIGKILL grace. Default 15 s. */
  readonly stopGraceMs?: number;
  /** Sleep/wake/suspend call deadline. Default 5 minutes. */
  readonly lifecycleTimeoutMs?: number;
  /** Engine output lines kept. Default 500. */
  readonly logLines?: number;
  /** The CUDA checkpoint command (suspend mode). Default `defaultCheckpointCommand()`. */
  readonly checkpoint?: CheckpointCommand;
  readonly memory?: MemoryArbiter;
  readonly onEvent?: (event: SupervisorEvent) => void;
  /** Whether this machine has a GPU (fixes are suggested accordingly). Default: `detectGpu()`. */
  readonly gpu?: GpuPresence;
  /** Verified wake: replay a canary after every wake/resume. Default true. */
  readonly canary?: boolean;
  /** The engine's sleep level for `sleep`/`suspend`. Default `snapshot.sleepLevel` (1). */
  readonly sleepLevel?: 1 | 2;
  /** Replaces the plugin's canary / after-wake steps / safe calls (tests: a plugin without some). */
  readonly rules?: Partial<EngineRules>;
}
