import {
  EngineExitedError,
  EngineLifecycleError,
  type HttpCallV1,
  type WatchedProcessV1,
} from "@rouse/engine-spec";
import { describeCall, EngineCallTimeoutError, type EngineHttpOptions, sendEngineCall } from "./http.ts";

export interface WaitReadyOptions {
  readonly timeoutMs: number;
  /** Fail at once when this process has exited, instead of waiting out the deadline. */
  readonly process?: WatchedProcessV1;
  /** Pause between probes. Default 250 ms. */
  readonly intervalMs?: number;
  /** Longest one probe may take. Default: the probe's own `timeoutSeconds`, else the interval × 4 (at least 1 s); never past the deadline. */
  readonly probeTimeoutMs?: number;
  readonly signal?: AbortSignal;
}

function exited(process: WatchedProcessV1 | undefined): boolean {
  return process !== undefined && (process.exitCode !== null || (process.signalCode ?? null) !== null);
}

function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}

/**
 * Probes `probe` until it answers with an OK status. Rejects with EngineExitedError
 * as soon as `process` has exited, and with EngineLifecycleError at the deadline,
 * saying what the last probe saw (refused, HTTP 503, …).
 */
export async function waitUntilReady(
  engine: string,
  probe: HttpCallV1,
  http: EngineHttpOptions,
  options: WaitReadyOptions,
): Promise<void> {
  const endpoint = describeCall(probe);
  const interval = options.intervalMs ?? 250;
  // The probe's own timeout (SGLang's /health runs a generation and polls for its answer once a
  // second, so it takes over 1 s by design: a shorter client timeout never sees it succeed).
  const ownTimeout = probe.timeoutSeconds !== undefined ? probe.timeoutSeconds * 1000 : undefined;
  const fullTimeout = options.probeTimeoutMs ?? ownTimeout ?? Math.max(1_000, interval * 4);
  const deadline = Date.now() + options.timeoutMs;
  // A ChildProcess tells us when it exits, so a probe or pause in progress ends at once.
  const exit = new AbortController();
  const emitter = options.process as Partial<EventEmitterLike> | undefined;
  const onExit = () => exit.abort();
  emitter?.once?.("exit", onExit);
  const signal = options.signal ? AbortSignal.any([exit.signal, options.signal]) : exit.signal;
  try {
    return await probeLoop();
  } finally {
    emitter?.off?.("exit", onExit);
  }

  async function probeLoop(): Promise<void> {
    /** What the last probe saw; undefined until one has answered or failed. */
    let last: string | undefined;
    for (;;) {
      if (exited(options.process)) {
        throw new EngineExitedError(
          engine,
          endpoint,
          options.process!.exitCode,
          options.process!.signalCode ?? null,
        );
      }
      if (options.signal?.aborted)
        throw new EngineLifecycleError(engine, endpoint, "waiting for readiness was aborted");
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        throw new EngineLifecycleError(
          engine,
          endpoint,
          `not ready within ${options.timeoutMs} ms; last probe: ${last ?? "no probe answered yet"}`,
        );
      }
      const probeTimeout = Math.min(fullTimeout, remaining);
      // A probe the deadline cut short and that then timed out says nothing about the engine
      // ("no answer within 1 ms"): the error keeps what the last full probe saw (HTTP 503, …).
      const cutByDeadline = probeTimeout < fullTimeout;
      try {
        const response = await sendEngineCall(engine, probe, {
          ...http,
          timeoutMs: probeTimeout,
          signal,
        });
        if (response.ok) return;
        last = `HTTP ${response.status}${response.body ? `: ${response.body.slice(0, 200)}` : ""}`;
      } catch (error) {
        const timedOut = error instanceof EngineCallTimeoutError;
        if (!(timedOut && cutByDeadline && last !== undefined))
          last = error instanceof EngineLifecycleError ? error.detail : String(error);
      }
      if (exited(options.process)) continue;
      await pause(Math.min(interval, Math.max(0, deadline - Date.now())), signal);
    }
  }
}

interface EventEmitterLike {
  once(event: "exit", listener: () => void): unknown;
  off(event: "exit", listener: () => void): unknown;
}
