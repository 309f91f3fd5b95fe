import type { ErrorBody } from "@rouse/config";

// Every error the server returns has the OpenAI shape, so OpenAI SDKs raise their
// usual typed errors (AuthenticationError, RateLimitError, …) against rouse.

export type OpenAIErrorType =
  | "invalid_request_error"
  | "authentication_error"
  | "permission_error"
  | "not_found_error"
  | "rate_limit_error"
  | "request_too_large"
  | "service_unavailable"
  | "upstream_error"
  | "server_error";

/** An error that becomes an HTTP response with an OpenAI-style body. */
export class GatewayError extends Error {
  override readonly name = "GatewayError";
  readonly status: number;
  readonly type: OpenAIErrorType;
  readonly code: string | null;
  readonly param: string | null;
  /** Seconds, sent as `Retry-After`. */
  readonly retryAfter: number | undefined;
  constructor(
    status: number,
    type: OpenAIErrorType,
    message: string,
    options: { code?: string; param?: string; retryAfter?: number; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.status = status;
    this.type = type;
    this.code = options.code ?? null;
    this.param = options.param ?? null;
    this.retryAfter = options.retryAfter;
  }

  toBody(): ErrorBody {
    return { error: { message: this.message, type: this.type, code: this.code, param: this.param } };
  }
}

export function errorBody(type: OpenAIErrorType, message: string, code: string | null = null): ErrorBody {
  return { error: { message, type, code, param: null } };
}

/** JSON response for a GatewayError, with Retry-After when it has one. */
export function errorResponse(err: GatewayError, headers: Record<string, string> = {}): Response {
  const h: Record<string, string> = { "content-type": "application/json", ...headers };
  if (err.retryAfter !== undefined) h["retry-after"] = String(err.retryAfter);
  return new Response(JSON.stringify(err.toBody()), { status: err.status, headers: h });
}

/** The SSE event that ends a stream whose upstream failed after headers were sent. */
export function sseErrorEvent(type: OpenAIErrorType, message: string, code: string): string {
  return `data: ${JSON.stringify(errorBody(type, message, code))}\n\n`;
}
