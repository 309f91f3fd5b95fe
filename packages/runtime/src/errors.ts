/** The OpenAI error body, so OpenAI SDKs raise their usual typed errors. */
export interface OpenAIErrorBody {
  readonly error: {
    readonly message: string;
    readonly type: string;
    readonly code: string | null;
    readonly param: null;
    /** rouse: which local engine answered (absent in OpenAI's own errors). */
    readonly engine?: string;
    readonly exit_code?: number | null;
  };
}

export type EngineRequestErrorCode =
  /** Not ready yet (stopped, starting, asleep, suspended, waking…): `wake()` it and wait — in the caller's queue. */
  | "engine_not_ready"
  | "engine_failed"
  | "engine_crashed"
  /** The engine died or the connection broke after the response had begun (the gateway's code for any upstream). */
  | "upstream_disconnected"
  | "engine_shutting_down"
  | "engine_unreachable";

/**
 * A request the supervisor could not serve, as an HTTP answer: status,
 * OpenAI-style body naming the engine, and Retry-After where waiting helps.
 */
export class EngineRequestError extends Error {
  override readonly name = "EngineRequestError";
  readonly status: number;
  readonly type: "service_unavailable" | "upstream_error";
  readonly code: EngineRequestErrorCode;
  readonly engine: string;
  /** Seconds, for `Retry-After`. */
  readonly retryAfterSeconds: number | undefined;
  readonly exitCode: number | null | undefined;

  constructor(
    engine: string,
    code: EngineRequestErrorCode,
    message: string,
    options: { status?: number; retryAfterSeconds?: number; exitCode?: number | null; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.engine = engine;
    this.code = code;
    this.status =
      options.status ??
      (code === "engine_crashed" || code === "engine_unreachable" || code === "upstream_disconnected"
        ? 502
        : 503);
    this.type = this.status === 502 ? "upstream_error" : "service_unavailable";
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.exitCode = options.exitCode;
  }

  toBody(): OpenAIErrorBody {
    return {
      error: {
        message: this.message,
        type: this.type,
        code: this.code,
        param: null,
        engine: this.engine,
        ...(this.exitCode !== undefined ? { exit_code: this.exitCode } : {}),
      },
    };
  }
}
