import { type ChildProcess } from "node:child_process";
export declare const STANDIN_PATH: string;
/** The argv prefix that runs the stand-in: use it as a plugin's `executable` (add `--engine`). */
export declare function standinExecutable(engine: "vllm" | "sglang"): string[];
export interface RunningStandin {
    readonly child: ChildProcess;
    readonly port: number;
    readonly baseUrl: string;
    /** Everything written to stdout and stderr so far. */
    output(): string;
    /** Resolves with the exit code once the process has exited. */
    readonly exited: Promise<number | null>;
    stop(): Promise<void>;
}
/** A port nothing listens on right now (the stand-in binds it a moment later). */
export declare function freePort(): Promise<number>;
/**
 * Spawns `argv` (default: the stand-in with `--engine` and `args`), adding `--port`
 * and `--host 127.0.0.1` unless `argv` is given whole.
 */
export declare function spawnStandin(options: {
    engine: "vllm" | "sglang";
    args?: readonly string[];
    /** A full argv (e.g. a plugin's launch argv); it must already carry host and port. */
    argv?: readonly string[];
    port?: number;
    env?: NodeJS.ProcessEnv;
}): Promise<RunningStandin>;
