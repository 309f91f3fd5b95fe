import { EngineLifecycleError, type HttpCallV1 } from "@rouse/engine-spec";
import { Agent, fetch as undiciFetch } from "undici";

// One HTTP call to an engine, described by an HttpCallV1 from the plugin's
// lifecycle spec. Every failure is an EngineLifecycleError naming the engine,
// the endpoint and what came back; every call has a deadline.

export type FetchLike = typeof globalThis.fetch;

export interface EngineHttpOptions {
  /** e.g. `http://127.0.0.1:8000` */
  readonly baseUrl: string;
  readonly apiKey?: string;
  readonly fetch?: FetchLike;
}

export interface EngineResponse {
  readonly status: number;
  readonly body: string;
  readonly ok: boolean;
}

// Our deadlines are the only ones: undici's own 300 s headers timeout would cut
// a first warmup request that compiles for longer.
const dispatcher = new Agent({ headersTimeout: 0, bodyTimeout: 0, connect: { timeout: 10_000 } });
const defaultFetch: FetchLike = (input, init) =>
  undiciFetch(input as Parameters<typeof undiciFetch>[0], {
    ...(init as object),
    dispatcher,
  }) as unknown as Promise<Response>;

/** The call got no answer within its own deadline (not refused, not reset: no answer yet). */
export class EngineCallTimeoutError extends EngineLifecycleError {
  override readonly name = "EngineCallTimeoutError";
  readonly timeoutMs: number;
  constructor(engine: string, endpoint: string, timeoutMs: number, cause: unknown) {
    super(engine, endpoint, `no answer within ${timeoutMs} ms`, { cause });
    this.timeoutMs = timeoutMs;
  }
}

/** `POST /sleep?level=1` — how errors name the endpoint. */
export function describeCall(call: Pick<HttpCallV1, "method" | "path" | "query">): string {
  const query = call.query && Object.keys(call.query).length > 0 ? `?${new URLSearchParams(call.query)}` : "";
  return `${call.method} ${call.path}${query}`;
}

export function urlOf(baseUrl: string, call: Pick<HttpCallV1, "path" | "query">): string {
  const url = new URL(call.path, baseUrl.endsWith("/") ? baseUrl : `${baseUrl}/`);
  for (const [k, v] of Object.entries(call.query ?? {})) url.searchParams.set(k, v);
  return url.toString();
}

/** What went wrong below HTTP, in words: refused, reset, timed out. */
export function describeNetworkError(error: unknown, timeoutMs: number): string {
  const e = error as {
    name?: string;
    code?: string;
    cause?: { code?: string; message?: string };
    message?: string;
  };
  if (e?.name === "TimeoutError") return `no answer within ${timeoutMs} ms`;
  if (e?.name === "AbortError") return "aborted";
  const code = e?.cause?.code ?? e?.code;
  if (code === "ECONNREFUSED") return "connection refused (nothing listens on the port yet)";
  if (code === "ECONNRESET" || code === "UND_ERR_SOCKET") return "connection reset (did the engine exit?)";
  return `request failed: ${code ?? e?.cause?.message ?? e?.message ?? String(error)}`;
}

/**
 * Sends `call` and returns status + body. Rejects with EngineLifecycleError on a
 * network failure or timeout; an HTTP error status is returned, not thrown — see `expectOk`.
 */
export async function sendEngineCall(
  engine: string,
  call: HttpCallV1,
  options: EngineHttpOptions & { timeoutMs: number; signal?: AbortSignal },
): Promise<EngineResponse> {
  const endpoint = describeCall(call);
  const headers: Record<string, string> = { accept: "application/json, text/plain, */*" };
  if (options.apiKey) headers.authorization = `Bearer ${options.apiKey}`;
  let body: string | undefined;
  if (call.json !== undefined) {
    headers["content-type"] = "application/json";
    body = JSON.stringify(call.json);
  }
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([timeout, options.signal]) : timeout;
  try {
    const response = await (options.fetch ?? defaultFetch)(urlOf(options.baseUrl, call), {
      method: call.method,
      headers,
      ...(body !== undefined ? { body } : {}),
      signal,
    });
    const text = await response.text();
    const okStatus = call.okStatus ?? [200];
    return { status: response.status, body: text, ok: okStatus.includes(response.status) };
  } catch (error) {
    if (timeout.aborted) throw new EngineCallTimeoutError(engine, endpoint, options.timeoutMs, error);
    throw new EngineLifecycleError(engine, endpoint, describeNetworkError(error, options.timeoutMs), {
      cause: error,
    });
  }
}

/** Throws an EngineLifecycleError with the status and body unless the response counts as success. */
export function expectOk(
  engine: string,
  call: HttpCallV1,
  response: EngineResponse,
  doing: string,
): EngineResponse {
  if (response.ok) return response;
  throw new EngineLifecycleError(engine, describeCall(call), `${doing} failed`, {
    status: response.status,
    body: response.body,
  });
}

/** Parses a JSON body, or throws naming the endpoint and what came back instead. */
export function jsonBody(engine: string, call: HttpCallV1, response: EngineResponse): unknown {
  try {
    return JSON.parse(response.body);
  } catch (error) {
    throw new EngineLifecycleError(engine, describeCall(call), "expected a JSON answer", {
      status: response.status,
      body: response.body,
      cause: error,
    });
  }
}

/** Reads `a.b.c` out of a JSON value. */
export function fieldOf(value: unknown, path: string): unknown {
  let current = value;
  for (const key of path.split(".")) {
    if (typeof current !== "object" || current === null) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}
