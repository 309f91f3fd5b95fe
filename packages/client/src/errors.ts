import type { EngineErrorBody } from "./types/common.ts";

export interface RouseClientErrorOptions {
  cause?: unknown;
  /** What the caller can do about it. */
  hint?: string | undefined;
  /** The URL of the failed request (the last hop after redirects). */
  url?: string | undefined;
  /** How many attempts were made (1 = not retried). */
  attempts?: number | undefined;
}

/** Every error this package throws is a `RouseClientError`. */
export class RouseClientError extends Error {
  override name = "RouseClientError";
  readonly hint: string | undefined;
  readonly url: string | undefined;
  readonly attempts: number | undefined;

  constructor(message: string, options: RouseClientErrorOptions = {}) {
    super(options.hint === undefined ? message : `${message}\nHint: ${options.hint}`, {
      cause: options.cause,
    });
    this.hint = options.hint;
    this.url = options.url;
    this.attempts = options.attempts;
  }
}

export interface ApiErrorOptions extends RouseClientErrorOptions {
  status: number;
  /** The response body: parsed JSON when it was JSON, else text. */
  body: unknown;
  headers: Record<string, string>;
  requestId?: string | undefined;
}

/** The server answered with an HTTP error status (or a 2xx body this client could not read). */
export class ApiError extends RouseClientError {
  override name = "ApiError";
  readonly status: number;
  readonly body: unknown;
  /** The engine's `{ message, type, code, param }`, when the body had one. */
  readonly error: EngineErrorBody | undefined;
  readonly headers: Record<string, string>;
  /** `x-request-id` or Modal's function call id, when the server sent one. */
  readonly requestId: string | undefined;

  constructor(message: string, options: ApiErrorOptions) {
    super(message, options);
    this.status = options.status;
    this.body = options.body;
    this.error = engineError(options.body);
    this.headers = options.headers;
    this.requestId = options.requestId;
  }
}

/** No usable connection: refused, reset, DNS failure, closed before any response. */
export class ConnectionError extends RouseClientError {
  override name = "ConnectionError";
  /** The system or undici error code, e.g. `ECONNREFUSED`, `UND_ERR_SOCKET`. */
  readonly code: string | undefined;

  constructor(message: string, options: RouseClientErrorOptions & { code?: string | undefined }) {
    super(message, options);
    this.code = options.code;
  }
}

/**
 * Which wait ran out: `connect` (TCP/TLS), `firstByte` (request sent → first
 * response body byte), `idle` (gap between body chunks), or `deadline`
 * (`waitUntilReady`).
 */
export type TimeoutPhase = "connect" | "firstByte" | "idle" | "deadline";

export class TimeoutError extends RouseClientError {
  override name = "TimeoutError";
  readonly phase: TimeoutPhase;
  readonly timeoutMs: number;

  constructor(message: string, options: RouseClientErrorOptions & { phase: TimeoutPhase; timeoutMs: number }) {
    super(message, options);
    this.phase = options.phase;
    this.timeoutMs = options.timeoutMs;
  }
}

/** The stream began and then failed: an error event, a malformed chunk, or a broken connection. Never retried. */
export class StreamError extends RouseClientError {
  override name = "StreamError";
  /** The engine's error object when the stream carried one. */
  readonly error: EngineErrorBody | undefined;
  /** The raw `data` of the offending event, if any. */
  readonly data: string | undefined;

  constructor(
    message: string,
    options: RouseClientErrorOptions & { error?: unknown; data?: string | undefined },
  ) {
    super(message, options);
    this.error = engineError(options.error) ?? bareError(options.error);
    this.data = options.data;
  }
}

/** More redirects than `retry.maxRedirects`. */
export class RedirectError extends RouseClientError {
  override name = "RedirectError";
  /** Every `Location` followed, in order. */
  readonly redirects: readonly string[];
  readonly maxRedirects: number;

  constructor(
    message: string,
    options: RouseClientErrorOptions & { redirects: string[]; maxRedirects: number },
  ) {
    super(message, options);
    this.redirects = options.redirects;
    this.maxRedirects = options.maxRedirects;
  }
}

/** The caller's `AbortSignal` fired (or the stream was cancelled); `cause` is the signal's reason. */
export class AbortError extends RouseClientError {
  override name = "AbortError";
}

/** An error object that is not wrapped: `{"message": "...", ...}` (e.g. the data of an `event: error`). */
function bareError(value: unknown): EngineErrorBody | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  return typeof (value as { message?: unknown }).message === "string"
    ? (value as EngineErrorBody)
    : undefined;
}

/** Find the engine's error object in a body: `{"error": {...}}`, `{"error": "text"}` or a bare `{"object": "error", ...}`. */
export function engineError(body: unknown): EngineErrorBody | undefined {
  if (typeof body !== "object" || body === null) return undefined;
  const record = body as Record<string, unknown>;
  const inner = record.error;
  if (typeof inner === "string") return { message: inner };
  if (typeof inner === "object" && inner !== null) {
    const e = inner as Record<string, unknown>;
    return {
      ...e,
      message: typeof e.message === "string" ? e.message : JSON.stringify(inner),
    } as EngineErrorBody;
  }
  if (record.object === "error" && typeof record.message === "string")
    return record as unknown as EngineErrorBody;
  // FastAPI validation errors: {"detail": "..."} or {"detail": [{...}]}.
  if (typeof record.detail === "string") return { message: record.detail };
  if (Array.isArray(record.detail)) return { message: JSON.stringify(record.detail) };
  return undefined;
}
