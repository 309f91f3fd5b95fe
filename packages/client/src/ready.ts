/** Health probes and waiting out a cold start. */
import { AbortError, ApiError, type RouseClientError, TimeoutError } from "./errors.ts";
import { sleep } from "./retry.ts";

export interface HealthOptions {
  /** Path under the server root (not under `/v1`), or an absolute URL. Default `/health`. */
  path?: string;
  signal?: AbortSignal;
  /** Per-probe first-byte timeout; defaults to the client's `timeouts.firstByteMs`. */
  timeoutMs?: number;
}

export type HealthResult =
  | { ok: true; status: number; elapsedMs: number; body: string }
  | { ok: false; status: number | undefined; elapsedMs: number; error: RouseClientError };

export interface ReadyProgress {
  /** 1-based probe number. */
  attempt: number;
  /** Since `waitUntilReady` was called. */
  elapsedMs: number;
  ready: boolean;
  /** The HTTP status of the last probe, when it got one. */
  lastStatus: number | undefined;
  /** Why the last probe failed. */
  lastError: RouseClientError | undefined;
  /** How long until the next probe (not set once ready). */
  nextDelayMs: number | undefined;
}

export interface WaitUntilReadyOptions {
  /** Give up after this long. Default 900 000 (15 min). */
  deadlineMs?: number;
  /** Pause between probes. Default 2 000. */
  intervalMs?: number;
  /** Health path, as for `health()`. */
  path?: string;
  /** Longest single probe; defaults to what is left of the deadline. */
  probeTimeoutMs?: number;
  signal?: AbortSignal;
  /** Called after every probe (the CLI draws a progress line from it). */
  onProgress?: (progress: ReadyProgress) => void;
}

export interface ReadyResult {
  attempts: number;
  elapsedMs: number;
  status: number;
}

/** Statuses that waiting cannot fix. */
const FATAL_STATUSES = new Set([401, 403]);

export async function waitUntilReady(
  probe: (options: HealthOptions) => Promise<HealthResult>,
  options: WaitUntilReadyOptions,
  describe: string,
): Promise<ReadyResult> {
  const deadlineMs = options.deadlineMs ?? 900_000;
  const intervalMs = options.intervalMs ?? 2_000;
  const start = performance.now();
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), deadlineMs);
  const signal = options.signal ? AbortSignal.any([options.signal, deadline.signal]) : deadline.signal;
  let lastStatus: number | undefined;
  let lastError: RouseClientError | undefined;

  const giveUp = (attempts: number): never => {
    if (options.signal?.aborted) {
      throw new AbortError("waitUntilReady was aborted", { cause: options.signal.reason, attempts });
    }
    const last =
      lastStatus !== undefined
        ? `last status ${lastStatus}`
        : lastError
          ? `last error: ${lastError.message}`
          : "no answer";
    throw new TimeoutError(
      `${describe} was not ready after ${deadlineMs} ms and ${attempts} probe(s) (${last})`,
      {
        phase: "deadline",
        timeoutMs: deadlineMs,
        attempts,
        cause: lastError,
        hint: "Raise deadlineMs for slow cold starts (large weights, first compile), or check the deployment's logs.",
      },
    );
  };

  try {
    for (let attempt = 1; ; attempt++) {
      const remaining = deadlineMs - (performance.now() - start);
      if (remaining <= 0 || signal.aborted) return giveUp(attempt - 1);
      const path = options.path;
      const result = await probe({
        signal,
        timeoutMs: Math.max(1, Math.ceil(Math.min(options.probeTimeoutMs ?? remaining, remaining))),
        ...(path === undefined ? {} : { path }),
      });
      const elapsedMs = performance.now() - start;
      if (result.ok) {
        options.onProgress?.({
          attempt,
          elapsedMs,
          ready: true,
          lastStatus: result.status,
          lastError: undefined,
          nextDelayMs: undefined,
        });
        return { attempts: attempt, elapsedMs, status: result.status };
      }
      // A probe cut short by the deadline says nothing new: keep the last real answer for the error.
      if (signal.aborted || elapsedMs >= deadlineMs) return giveUp(attempt);
      lastStatus = result.status;
      lastError = result.error;
      if (result.error instanceof ApiError && FATAL_STATUSES.has(result.error.status)) throw result.error;
      const nextDelayMs = Math.max(0, Math.min(intervalMs, deadlineMs - elapsedMs));
      options.onProgress?.({ attempt, elapsedMs, ready: false, lastStatus, lastError, nextDelayMs });
      try {
        await sleep(nextDelayMs, signal);
      } catch {
        return giveUp(attempt);
      }
    }
  } finally {
    clearTimeout(timer);
  }
}
