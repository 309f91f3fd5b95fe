import type { ExitInfo } from "../process/engine-process.ts";

// Which engine exits no retry can fix. A config or platform error ends the same
// way on every attempt, so retrying it five times with backoff only keeps the
// waiting requests waiting (issue #17): such exits fail the engine at once, and
// the waiting requests get the reason.

export type ExitKind = "config" | "platform" | "transient";

export interface ExitClass {
  readonly kind: ExitKind;
  /** What to fix, for the failure reason; undefined for transient exits. */
  readonly fix?: string;
}

interface Known {
  /** A function when it depends on the context (a port collision is permanent only on a fixed port). */
  readonly kind: ExitKind | ((context: ExitContext) => ExitKind);
  readonly pattern: RegExp;
  readonly fix: (m: RegExpExecArray, context: ExitContext) => string;
}

export interface ExitContext {
  /** Whether this machine has a GPU (fixes that need one are not suggested without). */
  readonly gpu: boolean;
  /** The engine's port is fixed (`local.port`); a free port is picked again at each start otherwise. */
  readonly fixedPort: boolean;
}

const KNOWN: readonly Known[] = [
  {
    kind: "platform",
    // vllm/config/model.py on the CPU build; the engine cannot sleep on this machine.
    pattern: /Sleep mode is not supported on current platform/,
    fix: (_, c) =>
      c.gpu
        ? "this vLLM build cannot sleep (a CPU build?): install a CUDA/ROCm vLLM, or set local.scaleToZero: stop"
        : "this machine has no GPU, so the engine cannot sleep: set local.scaleToZero: stop",
  },
  {
    kind: "platform",
    pattern: /No CUDA GPUs are available|Found no NVIDIA driver|libcuda\.so[^\n]*(cannot open|not found)/,
    fix: () =>
      "the engine needs a GPU this machine does not have: use a CPU build of the engine (local.executable)",
  },
  {
    // The engine's own HTTP port (not a ZMQ socket between its processes, which is retried).
    // On a fixed port the next attempt collides again; a picked port is picked anew.
    kind: (c) => (c.fixedPort ? "config" : "transient"),
    pattern: /^(?!.*ZMQ).*[Aa]ddress already in use/m,
    fix: () =>
      "another process holds the engine's port: free local.port, or remove it (a free port is then picked)",
  },
  {
    kind: "config",
    // huggingface_hub rejects a path that is not a directory as a repo id.
    pattern:
      /HFValidationError|Repo id must be in the form|is not a local folder and is not a valid model identifier|RepositoryNotFoundError|does not appear to have a file named config\.json/,
    fix: () => "the model was not found: check model.id (a hub repo id, or an existing model directory)",
  },
  {
    kind: "config",
    pattern: /GatedRepoError|Access to model .* is restricted|401 Client Error/,
    fix: () => "the model is gated: export HF_TOKEN (or put it in env:) with access to it",
  },
  {
    kind: "config",
    // argparse: `vllm serve: error: unrecognized arguments: --x` / `argument --y: invalid …`.
    pattern: /: error: (unrecognized arguments: .*|argument [^\n]*)/,
    fix: (m) =>
      `the engine refused its arguments (${m[1]}): check engine.extraArgs against the installed version`,
  },
  {
    kind: "config",
    // (not "No available memory for the cache blocks": that depends on what else holds the GPU now)
    pattern: /larger than the maximum number of tokens that can be stored in KV cache/,
    fix: () => "the KV cache does not fit: lower model.maxModelLen, or raise engine.gpuMemoryUtilization",
  },
];

/** Classifies an exit from the log lines of the run that exited. */
export function classifyExit(info: ExitInfo, runLog: string, context: ExitContext): ExitClass {
  if (info.spawnError) return { kind: "config", fix: "the engine executable could not be run" };
  for (const k of KNOWN) {
    const m = k.pattern.exec(runLog);
    if (!m) continue;
    const kind = typeof k.kind === "function" ? k.kind(context) : k.kind;
    return kind === "transient" ? { kind } : { kind, fix: k.fix(m, context) };
  }
  return { kind: "transient" };
}
