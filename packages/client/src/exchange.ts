/**
 * One logical request: send it, follow redirects, retry where that is safe,
 * and enforce the connect / first-byte / idle timeouts. Resolves once a 2xx
 * answer's headers are in; its body is then read through `Exchange.body`,
 * which never retries.
 */
import {
  AbortError,
  ApiError,
  ConnectionError,
  RedirectError,
  RouseClientError,
  TimeoutError,
  type TimeoutPhase,
} from "./errors.ts";
import { hintForConnection, hintForStatus } from "./hints.ts";
import {
  backoffDelay,
  parseRetryAfter,
  RETRYABLE_CONNECTION_CODES,
  type ResolvedRetry,
  type RetryReason,
  sleep,
} from "./retry.ts";
import { createTiming, type RequestTiming } from "./timing.ts";
import { errorCode, type Transport, type TransportResponse } from "./transport.ts";

export interface Timeouts {
  /** TCP/TLS connect. Client-wide (connections are pooled). Default 30 000. */
  connectMs?: number;
  /**
   * From sending the request to the first byte of the response body, across
   * the redirects of one attempt. Cold starts live here. Default 900 000 (15 min).
   */
  firstByteMs?: number;
  /** Longest gap between two body chunks once the body has begun. Default 120 000. */
  idleMs?: number;
}

export type ResolvedTimeouts = Required<Timeouts>;

export const DEFAULT_TIMEOUTS: ResolvedTimeouts = {
  connectMs: 30_000,
  firstByteMs: 900_000,
  idleMs: 120_000,
};

export const DEFAULT_MAX_REDIRECTS = 20;

export interface SendContext {
  transport: Transport;
  /** The API base URL, for hints. */
  baseURL: string;
  timeouts: ResolvedTimeouts;
  retry: ResolvedRetry;
  maxRedirects: number;
  signal: AbortSignal | undefined;
}

export interface SendRequest {
  method: "GET" | "POST";
  url: string;
  /** Lower-case names. */
  headers: Record<string, string>;
  body: string | undefined;
}

export interface TimedChunk {
  bytes: Uint8Array;
  /** `performance.now()` when the chunk arrived. */
  at: number;
}

export interface Exchange {
  status: number;
  headers: Record<string, string>;
  /** The URL that answered (after redirects). */
  url: string;
  requestId: string | undefined;
  timing: RequestTiming;
  /** The body, chunk by chunk with arrival times; idle timeout enforced; errors are `RouseClientError`s. */
  body: AsyncIterable<TimedChunk>;
  /** Stop now: the body (if still open) fails with `reason` and the connection is closed. */
  cancel(reason: RouseClientError): void;
  /** The caller's signal, if any. */
  signal: AbortSignal | undefined;
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const CREDENTIAL_HEADERS = ["authorization", "proxy-authorization", "cookie", "modal-key", "modal-secret"];
const ERROR_BODY_LIMIT = 1024 * 1024;

type AttemptOutcome =
  | { kind: "done"; exchange: Exchange }
  | {
      kind: "retry";
      reason: RetryReason;
      error: RouseClientError;
      status?: number;
      retryAfterMs?: number | undefined;
    };

export async function send(request: SendRequest, ctx: SendContext): Promise<Exchange> {
  const timing = createTiming();
  const state: HopState = { hop: request, redirects: [] };
  for (let attempt = 1; ; attempt++) {
    timing.attempts = attempt;
    const outcome = await attemptOnce(state, ctx, timing);
    if (outcome.kind === "done") return outcome.exchange;

    const elapsed = performance.now() - timing.start;
    const delayMs =
      outcome.retryAfterMs !== undefined
        ? Math.min(outcome.retryAfterMs, ctx.retry.maxRetryAfterMs)
        : backoffDelay(attempt, ctx.retry);
    if (attempt >= ctx.retry.maxAttempts || elapsed + delayMs > ctx.retry.maxElapsedMs) {
      throw finalError(outcome.error, attempt, ctx, state.hop.url);
    }
    ctx.retry.onRetry?.({
      attempt,
      delayMs,
      reason: outcome.reason,
      status: outcome.status,
      retryAfterMs: outcome.retryAfterMs,
      error: outcome.error,
      url: state.hop.url,
    });
    try {
      await sleep(delayMs, ctx.signal);
    } catch (cause) {
      throw new AbortError("The request was aborted while waiting to retry", {
        cause,
        url: state.hop.url,
        attempts: attempt,
      });
    }
  }
}

interface HopState {
  hop: SendRequest;
  redirects: string[];
}

async function attemptOnce(
  state: HopState,
  ctx: SendContext,
  timing: RequestTiming,
): Promise<AttemptOutcome> {
  const guard = createGuard(ctx);
  guard.arm("firstByte", ctx.timeouts.firstByteMs, state.hop.url);
  let handedOver = false;
  try {
    for (;;) {
      const hop = state.hop;
      let response: TransportResponse;
      try {
        response = await ctx.transport({ ...hop, signal: guard.signal });
      } catch (cause) {
        const error = guard.failure(cause, hop.url, "beforeResponse");
        if (isRetryableBeforeResponse(error)) return { kind: "retry", reason: "connection", error };
        throw error;
      }
      timing.headers = performance.now();

      const location = response.headers.location;
      if (REDIRECT_STATUSES.has(response.status) && location !== undefined) {
        response.discard();
        const next = new URL(location, hop.url).toString();
        if (state.redirects.length >= ctx.maxRedirects) {
          throw new RedirectError(
            `Stopped after ${ctx.maxRedirects} redirects (maxRedirects = ${ctx.maxRedirects}); the next Location was ${next}`,
            {
              redirects: [...state.redirects],
              maxRedirects: ctx.maxRedirects,
              url: hop.url,
              attempts: timing.attempts,
              hint:
                "Modal answers 303 to a result URL every ~150 s while a long request or cold start runs, " +
                `so ${ctx.maxRedirects} redirects wait about ${Math.round((ctx.maxRedirects * 150) / 60)} min: raise maxRedirects to wait longer.`,
            },
          );
        }
        state.redirects.push(next);
        timing.redirects = state.redirects.length;
        state.hop = redirectedHop(hop, response.status, next);
        continue;
      }

      const requestId = requestIdOf(response.headers, state.redirects);
      if (response.status >= 200 && response.status < 300) {
        handedOver = true;
        return {
          kind: "done",
          exchange: {
            status: response.status,
            headers: response.headers,
            url: hop.url,
            requestId,
            timing,
            body: timedBody(response, guard, ctx, timing, hop.url),
            cancel: (reason) => guard.abort(reason),
            signal: ctx.signal,
          },
        };
      }

      const text = await readText(timedBody(response, guard, ctx, timing, hop.url), ERROR_BODY_LIMIT);
      const body = parseMaybeJson(text);
      const error = apiError(response, body, requestId, hop, timing.attempts, ctx);
      const reason: RetryReason | undefined = ctx.retry.statuses.includes(response.status)
        ? "status"
        : ctx.retry.isLoading(response.status, body)
          ? "loading"
          : undefined;
      if (reason === undefined) throw error;
      return {
        kind: "retry",
        reason,
        error,
        status: response.status,
        retryAfterMs: parseRetryAfter(response.headers["retry-after"]),
      };
    }
  } finally {
    if (!handedOver) guard.clear();
  }
}

function isRetryableBeforeResponse(error: RouseClientError): boolean {
  if (error instanceof TimeoutError) return error.phase === "connect";
  if (error instanceof ConnectionError)
    return error.code !== undefined && RETRYABLE_CONNECTION_CODES.has(error.code);
  return false;
}

/** Rebuild the error of the last attempt with the attempt count (and a hint that reflects it). */
function finalError(
  error: RouseClientError,
  attempts: number,
  ctx: SendContext,
  url: string,
): RouseClientError {
  if (error instanceof ApiError) {
    return new ApiError(firstLine(error.message), {
      status: error.status,
      body: error.body,
      headers: error.headers,
      requestId: error.requestId,
      url: error.url,
      attempts,
      hint: hintForStatus(error.status, { path: new URL(url).pathname, attempts, baseURL: ctx.baseURL }),
    });
  }
  if (error instanceof ConnectionError) {
    const suffix = attempts > 1 ? ` (after ${attempts} attempts)` : "";
    return new ConnectionError(`${firstLine(error.message)}${suffix}`, {
      code: error.code,
      cause: error.cause,
      url,
      attempts,
      hint: error.hint,
    });
  }
  return error;
}

function firstLine(message: string): string {
  const newline = message.indexOf("\nHint: ");
  return newline === -1 ? message : message.slice(0, newline);
}

function apiError(
  response: TransportResponse,
  body: unknown,
  requestId: string | undefined,
  hop: SendRequest,
  attempts: number,
  ctx: SendContext,
): ApiError {
  const probe = new ApiError("", { status: response.status, body, headers: response.headers });
  const detail =
    probe.error?.message ?? (typeof body === "string" && body.length > 0 ? body.slice(0, 500) : undefined);
  const idPart = requestId === undefined ? "" : ` (request id ${requestId})`;
  return new ApiError(
    `${response.status} from ${hop.method} ${hop.url}${detail === undefined ? "" : `: ${detail}`}${idPart}`,
    {
      status: response.status,
      body,
      headers: response.headers,
      requestId,
      url: hop.url,
      attempts,
      hint: hintForStatus(response.status, {
        path: new URL(hop.url).pathname,
        attempts,
        baseURL: ctx.baseURL,
      }),
    },
  );
}

function redirectedHop(hop: SendRequest, status: number, location: string): SendRequest {
  const headers = { ...hop.headers };
  let method = hop.method;
  let body = hop.body;
  // 303 always, and 301/302 after POST (as browsers and fetch do), become a GET without a body.
  if (status === 303 || ((status === 301 || status === 302) && method === "POST")) {
    method = "GET";
    body = undefined;
    delete headers["content-type"];
    delete headers["content-length"];
  }
  // Credentials go to the origin they were meant for, nowhere else.
  if (new URL(location).origin !== new URL(hop.url).origin) {
    for (const name of CREDENTIAL_HEADERS) delete headers[name];
  }
  return { method, url: location, headers, body };
}

const REQUEST_ID_HEADERS = [
  "x-request-id",
  "modal-function-call-id",
  "x-modal-function-call-id",
  "request-id",
];

function requestIdOf(headers: Record<string, string>, redirects: string[]): string | undefined {
  for (const name of REQUEST_ID_HEADERS) {
    const value = headers[name];
    if (value !== undefined && value !== "") return value;
  }
  // Modal's result URL names the function call.
  for (let i = redirects.length - 1; i >= 0; i--) {
    const id = new URL(redirects[i]!).searchParams.get("__modal_function_call_id");
    if (id !== null) return id;
  }
  return undefined;
}

interface Guard {
  signal: AbortSignal;
  arm(phase: TimeoutPhase, ms: number, url: string): void;
  clear(): void;
  abort(reason: RouseClientError): void;
  /** Turn whatever the transport threw into the `RouseClientError` it means. */
  failure(error: unknown, url: string, stage: "beforeResponse" | "body"): RouseClientError;
}

/** Per attempt: a timer for the current phase and an abort switch, both feeding one signal. */
function createGuard(ctx: SendContext): Guard {
  const controller = new AbortController();
  const user = ctx.signal;
  const signal = user === undefined ? controller.signal : AbortSignal.any([user, controller.signal]);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const clear = () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
  };
  const abort = (reason: RouseClientError) => {
    clear();
    if (!controller.signal.aborted) controller.abort(reason);
  };
  return {
    signal,
    clear,
    abort,
    arm(phase, ms, url) {
      clear();
      if (!(ms > 0 && Number.isFinite(ms))) return;
      timer = setTimeout(() => abort(timeoutError(phase, ms, url)), ms);
    },
    failure(error, url, stage) {
      if (controller.signal.aborted && controller.signal.reason instanceof RouseClientError) {
        return controller.signal.reason;
      }
      if (user?.aborted) return new AbortError("The request was aborted", { cause: user.reason, url });
      if (error instanceof RouseClientError) return error;
      const code = errorCode(error);
      if (stage === "beforeResponse" && code === "UND_ERR_CONNECT_TIMEOUT") {
        return timeoutError("connect", ctx.timeouts.connectMs, url, error);
      }
      const message = error instanceof Error ? error.message : String(error);
      return new ConnectionError(
        stage === "beforeResponse"
          ? `Could not get a response from ${url}: ${message}`
          : `The connection broke while reading the response from ${url}: ${message}`,
        { code, cause: error, url, hint: hintForConnection(code, url) },
      );
    },
  };
}

function timeoutError(phase: TimeoutPhase, rawMs: number, url: string, cause?: unknown): TimeoutError {
  const ms = Math.round(rawMs);
  const text: Record<TimeoutPhase, [string, string]> = {
    connect: [
      `Connecting to ${new URL(url).host} timed out after ${ms} ms (timeouts.connectMs)`,
      "Check that the host is reachable; raise timeouts.connectMs on slow networks.",
    ],
    firstByte: [
      `No response from ${url} within ${ms} ms (timeouts.firstByteMs)`,
      "The deployment may still be cold-starting: raise timeouts.firstByteMs, or await client.waitUntilReady() before sending.",
    ],
    idle: [
      `The response from ${url} stalled: no data for ${ms} ms (timeouts.idleMs)`,
      "The engine may be overloaded or stuck: check its logs, or raise timeouts.idleMs for very long prefills.",
    ],
    deadline: [`${url} was not ready within ${ms} ms`, "Raise deadlineMs, or check the deployment's logs."],
  };
  const [message, hint] = text[phase];
  return new TimeoutError(message, { phase, timeoutMs: ms, url, hint, cause });
}

async function* timedBody(
  response: TransportResponse,
  guard: Guard,
  ctx: SendContext,
  timing: RequestTiming,
  url: string,
): AsyncGenerator<TimedChunk> {
  try {
    for await (const bytes of response.body) {
      const at = performance.now();
      timing.firstByte ??= at;
      guard.arm("idle", ctx.timeouts.idleMs, url);
      if (bytes.byteLength > 0) yield { bytes, at };
    }
  } catch (error) {
    throw guard.failure(error, url, "body");
  } finally {
    guard.clear();
  }
}

/** Read a body as text, keeping at most `limit` characters (the rest is dropped with the connection). */
export async function readText(
  body: AsyncIterable<TimedChunk>,
  limit = Number.POSITIVE_INFINITY,
): Promise<string> {
  const decoder = new TextDecoder();
  let text = "";
  for await (const { bytes } of body) {
    text += decoder.decode(bytes, { stream: true });
    if (text.length >= limit) return text.slice(0, limit);
  }
  return text + decoder.decode();
}

export function parseMaybeJson(text: string): unknown {
  const trimmed = text.trim();
  if (trimmed.startsWith("{") || trimmed.startsWith("[")) {
    try {
      return JSON.parse(trimmed);
    } catch {
      return text;
    }
  }
  return text;
}
