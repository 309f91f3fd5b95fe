import { spawn } from "node:child_process";

// Runs rouse's CUDA checkpoint command (python/src/rouse_py/cuda_ckpt, see its
// README) as a subprocess and reads its JSON report. The command is the
// interface, so tests can swap in a named stand-in with the same exit codes.

export type CheckpointAction = "suspend" | "resume" | "state";

export interface CheckpointCommand {
  /** argv prefix, e.g. `["python3", "-m", "rouse_py.cuda_ckpt"]`. */
  readonly argv: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
}

/** `$ROUSE_CUDA_CKPT` (space-separated argv) or `python3 -m rouse_py.cuda_ckpt`. */
export function defaultCheckpointCommand(env: NodeJS.ProcessEnv = process.env): CheckpointCommand {
  const fromEnv = env.ROUSE_CUDA_CKPT?.trim();
  return { argv: fromEnv ? fromEnv.split(/\s+/) : ["python3", "-m", "rouse_py.cuda_ckpt"] };
}

/** What the exit code means for the supervisor (README "For the local runtime"). */
export type CheckpointVerdict =
  | "ok"
  /** 3: no driver ≥ 570 or no cuda-bindings: this machine cannot suspend. */
  | "unavailable"
  /** 11: the restore would not fit in free GPU memory; nothing was touched, retry later. */
  | "no-room"
  /** 5, 6, 7, 9, 10: it did not happen; the engine runs as before. */
  | "not-done"
  /** 8, 12: the engine is broken; kill it and cold-start. */
  | "broken"
  /** 2, 4, anything else. */
  | "error";

export interface CheckpointResult {
  readonly action: CheckpointAction;
  readonly exitCode: number | null;
  readonly verdict: CheckpointVerdict;
  /** The JSON report on stdout, when there was one. */
  readonly report: Record<string, unknown> | undefined;
  /** `kind: message` from the report's error, else stderr's last line. */
  readonly detail: string;
  readonly durationMs: number;
}

export function verdictOf(exitCode: number | null): CheckpointVerdict {
  switch (exitCode) {
    case 0:
      return "ok";
    case 3:
      return "unavailable";
    case 11:
      return "no-room";
    case 5:
    case 6:
    case 7:
    case 9:
    case 10:
      return "not-done";
    case 8:
    case 12:
      return "broken";
    default:
      return "error";
  }
}

export interface CheckpointRunOptions {
  readonly pid: number;
  /** Pre-suspend calls (`[METHOD ]URL[ BODY]`), e.g. the plugin's releaseBeforeCheckpoint. */
  readonly preSuspendHttp?: readonly string[];
  readonly postResumeHttp?: readonly string[];
  /** Lock timeout per process (the command's `--timeout-ms`). Default 30 s. */
  readonly lockTimeoutMs?: number;
  /** Kill the command after this long. Default 10 minutes (a checkpoint moves GBs). */
  readonly timeoutMs?: number;
}

export async function runCheckpoint(
  command: CheckpointCommand,
  action: CheckpointAction,
  options: CheckpointRunOptions,
): Promise<CheckpointResult> {
  // The whole tree (vLLM's API server + EngineCore), every phase's calls at once.
  const args = [...command.argv, action, "--pid", String(options.pid), "--tree", "--json"];
  if (action !== "state") args.push("--parallel");
  if (action === "suspend") {
    args.push("--timeout-ms", String(options.lockTimeoutMs ?? 30_000));
    for (const spec of options.preSuspendHttp ?? []) args.push("--pre-suspend-http", spec);
  }
  if (action !== "state")
    for (const spec of options.postResumeHttp ?? []) args.push("--post-resume-http", spec);

  const started = performance.now();
  const [bin, ...rest] = args;
  const child = spawn(bin!, rest, {
    env: { ...process.env, ...command.env },
    stdio: ["ignore", "pipe", "pipe"],
    timeout: options.timeoutMs ?? 10 * 60_000,
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  const exitCode = await new Promise<number | null>((resolve) => {
    child.once("error", (error: Error & { code?: string }) => {
      stderr += `${bin}: ${error.code ?? error.message}`;
      resolve(null);
    });
    child.once("close", (code) => resolve(code));
  });
  let report: Record<string, unknown> | undefined;
  try {
    const parsed: unknown = JSON.parse(stdout);
    if (parsed && typeof parsed === "object") report = parsed as Record<string, unknown>;
  } catch {
    report = undefined;
  }
  const error = report?.error as { kind?: string; message?: string } | undefined;
  const lastLine = stderr.trim().split("\n").at(-1) ?? "";
  const detail = error?.message
    ? `${error.kind ?? "error"}: ${error.message}`
    : lastLine || (exitCode === 0 ? "ok" : `exit ${exitCode}`);
  return {
    action,
    exitCode,
    verdict: exitCode === null ? "error" : verdictOf(exitCode),
    report,
    detail,
    durationMs: performance.now() - started,
  };
}
