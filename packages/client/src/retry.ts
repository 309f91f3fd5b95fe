import { engineError, type RouseClientError } from "./errors.ts";

/** Why a request is being retried. */
export type RetryReason = "status" | "loading" | "connection";

export interface RetryInfo {
  /** The attempt that just failed (1-based). */
  attempt: number;
  /** How long the client now waits before the next attempt. */
  delayMs: number;
  reason: RetryReason;
  status?: number | undefined;
  /** The server's `Retry-After`, in ms, when it sent one (before capping). */
  retryAfterMs?: number | undefined;
  error?: RouseClientError | undefined;
  url: string;
}

export interface RetryOptions {
  /** Attempts in all, the first included; `1` turns retries off. Default 10. */
  maxAttempts?: number;
  /** Backoff base: attempt n waits a random time in [0, min(maxDelayMs, baseDelayMs·2^(n-1))). Default 500. */
  baseDelayMs?: number;
  /** Backoff cap. Default 30 000. */
  maxDelayMs?: number;
  /** Stop retrying once this long has passed since the call began. Default 900 000 (15 min). */
  maxElapsedMs?: number;
  /** A `Retry-After` longer than this is cut to it. Default 120 000. */
  maxRetryAfterMs?: number;
  /** Statuses retried before a response is used. Default `[502, 503, 504]`. */
  statuses?: readonly number[];
  /** Recognise an engine's "still loading" answer outside `statuses`. Default: a 5xx whose message says loading/starting/not ready. */
  isLoading?: (status: number, body: unknown) => boolean;
  /** Observe each retry (the CLI prints these). */
  onRetry?: (info: RetryInfo) => void;
  /** Source of randomness for the jitter, `Math.random` by default (tests pin it). */
  random?: () => number;
}

export type ResolvedRetry = Required<Omit<RetryOptions, "onRetry">> & Pick<RetryOptions, "onRetry">;

export const DEFAULT_RETRY: ResolvedRetry = {
  maxAttempts: 10,
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  maxElapsedMs: 900_000,
  maxRetryAfterMs: 120_000,
  statuses: [502, 503, 504],
  isLoading: isLoadingAnswer,
  random: Math.random,
};

export function resolveRetry(...layers: Array<RetryOptions | false | undefined>): ResolvedRetry {
  let out: ResolvedRetry = { ...DEFAULT_RETRY };
  for (const layer of layers) {
    if (layer === false) out = { ...out, maxAttempts: 1 };
    else if (layer !== undefined) out = { ...out, ...stripUndefined(layer) };
  }
  return out;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Full jitter: a uniform draw in [0, min(maxDelayMs, baseDelayMs · 2^(attempt-1))). */
export function backoffDelay(
  attempt: number,
  retry: Pick<ResolvedRetry, "baseDelayMs" | "maxDelayMs" | "random">,
): number {
  const ceiling = Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor(retry.random() * ceiling);
}

/**
 * Parse `Retry-After`: delay-seconds (fractions accepted) or an HTTP date.
 * Returns milliseconds (never negative), or `undefined` when absent or unreadable.
 */
export function parseRetryAfter(value: string | undefined, now: number = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (text === "") return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  // An HTTP date names its month; anything else (e.g. "-1") is not one.
  if (!/[a-z]/i.test(text)) return undefined;
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

const LOADING = /\b(loading|is starting|starting up|not ready|warming up|initiali[sz]ing)\b/i;

/** The default `isLoading`: a 5xx (or 404 from a router that does not know the model yet) saying the model is loading. */
export function isLoadingAnswer(status: number, body: unknown): boolean {
  if (status < 500 && status !== 404) return false;
  const message = typeof body === "string" ? body : (engineError(body)?.message ?? "");
  return LOADING.test(message);
}

/** Errors raised before any response byte, where sending the request again is safe. */
export const RETRYABLE_CONNECTION_CODES: ReadonlySet<string> = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "EAI_AGAIN",
  "ENETUNREACH",
  "EHOSTUNREACH",
  "UND_ERR_SOCKET",
  "UND_ERR_CONNECT_TIMEOUT",
]);

/** Sleep for `ms`, rejecting with the signal's reason if it aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
