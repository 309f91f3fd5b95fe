import { type ChildProcess, spawn } from "node:child_process";
import type { LogRing } from "./log-ring.ts";

export interface ExitInfo {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** Set when the process could not be started at all (ENOENT, EACCES). */
  readonly spawnError?: Error & { code?: string };
}

export interface EngineProcess {
  readonly child: ChildProcess;
  readonly pid: number | undefined;
  readonly exited: Promise<ExitInfo>;
  /** The exit, once it happened. */
  readonly exit: ExitInfo | undefined;
  readonly alive: boolean;
  /** SIGTERM to the whole process group, SIGKILL after `graceMs`; resolves at exit. */
  stop(graceMs: number): Promise<ExitInfo>;
  /** Stops (SIGSTOP) or continues (SIGCONT) the whole group — used by tests and stand-ins. */
  signalGroup(signal: NodeJS.Signals): void;
}

export interface SpawnEngineOptions {
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly logs: LogRing;
  readonly cwd?: string;
}

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    // The engine leads its own process group (detached), so -pid reaches the
    // workers it forked too (vLLM's EngineCore, SGLang's scheduler).
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is gone already.
  }
}

// Engines lead their own process groups, so they would outlive this process if it
// exited without stopping them: kill whatever is still running on the way out.
const live = new Set<number>();
let exitHook = false;
function killOnExit(pid: number): void {
  live.add(pid);
  if (exitHook) return;
  exitHook = true;
  process.once("exit", () => {
    for (const p of live) killGroup(p, "SIGKILL");
  });
}

/**
 * Spawns an engine in its own process group with stdout/stderr captured into a
 * LogRing. Whatever way the leader exits, the rest of its group is killed, so a
 * crashed engine leaves no worker holding GPU memory.
 */
export function spawnEngine(options: SpawnEngineOptions): EngineProcess {
  const [command, ...args] = options.argv;
  if (command === undefined) throw new Error("empty engine argv");
  const child = spawn(command, args, {
    env: { ...process.env, ...options.env },
    cwd: options.cwd,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout?.setEncoding("utf8").on("data", (d: string) => options.logs.write("stdout", d));
  child.stderr?.setEncoding("utf8").on("data", (d: string) => options.logs.write("stderr", d));

  if (child.pid !== undefined) killOnExit(child.pid);
  let exit: ExitInfo | undefined;
  const exited = new Promise<ExitInfo>((resolve) => {
    const done = (info: ExitInfo) => {
      if (exit) return;
      exit = info;
      if (child.pid !== undefined) live.delete(child.pid);
      options.logs.flush();
      killGroup(child.pid, "SIGKILL");
      resolve(info);
    };
    child.once("exit", (code, signal) => done({ code, signal }));
    child.once("error", (error: Error & { code?: string }) => {
      // 'error' without a pid: it never ran. With a pid, 'exit' follows.
      if (child.pid === undefined) done({ code: null, signal: null, spawnError: error });
    });
  });

  return {
    child,
    pid: child.pid,
    exited,
    get exit() {
      return exit;
    },
    get alive() {
      return exit === undefined;
    },
    async stop(graceMs) {
      if (exit) return exit;
      killGroup(child.pid, "SIGTERM");
      // A stopped group (SIGSTOP) only sees SIGTERM once continued.
      killGroup(child.pid, "SIGCONT");
      const timer = setTimeout(() => killGroup(child.pid, "SIGKILL"), graceMs);
      const info = await exited;
      clearTimeout(timer);
      return info;
    },
    signalGroup(signal) {
      killGroup(child.pid, signal);
    },
  };
}

/** `code 1`, `signal SIGKILL`, or why it never started. */
export function describeExit(info: ExitInfo): string {
  if (info.spawnError) return `could not start (${info.spawnError.code ?? info.spawnError.message})`;
  return info.signal ? `signal ${info.signal}` : `code ${info.code}`;
}
