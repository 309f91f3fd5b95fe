import { Agent, type Dispatcher } from "undici";

/** One HTTP exchange as the client needs it: no redirects followed, no retries, no timeouts. */
export interface TransportRequest {
  url: string;
  method: "GET" | "POST";
  /** Lower-case names. */
  headers: Record<string, string>;
  body: string | undefined;
  signal: AbortSignal;
}

export interface TransportResponse {
  status: number;
  /** Lower-case names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  /** Breaking out of the iteration closes the underlying stream. */
  body: AsyncIterable<Uint8Array>;
  /** Throw the body away (keeping the connection reusable when it is short). */
  discard(): void;
}

export type Transport = (request: TransportRequest) => Promise<TransportResponse>;

export interface PoolOptions {
  /** Most sockets per origin. Default: unlimited. */
  connections?: number;
  /** Requests in flight per socket (HTTP/1.1 pipelining). Default 1. */
  pipelining?: number;
  /** How long an idle keep-alive socket is kept. Default 30 000 ms. */
  keepAliveTimeoutMs?: number;
}

/** The keep-alive pool the client owns when no dispatcher is given. */
export function createPool(pool: PoolOptions, connectTimeoutMs: number): Agent {
  return new Agent({
    connections: pool.connections ?? null,
    pipelining: pool.pipelining ?? 1,
    keepAliveTimeout: pool.keepAliveTimeoutMs ?? 30_000,
    connect: { timeout: connectTimeoutMs },
    // First-byte and idle timeouts are the client's own (see exchange.ts), with phases undici cannot tell apart.
    headersTimeout: 0,
    bodyTimeout: 0,
  });
}

export function undiciTransport(dispatcher: Dispatcher): Transport {
  return async (request) => {
    const url = new URL(request.url);
    const response = await dispatcher.request({
      origin: url.origin,
      path: `${url.pathname}${url.search}`,
      method: request.method,
      headers: request.headers,
      body: request.body ?? null,
      signal: request.signal,
      headersTimeout: 0,
      bodyTimeout: 0,
    });
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(response.headers)) {
      if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : value;
    }
    return {
      status: response.statusCode,
      headers,
      body: response.body,
      discard: () => {
        response.body.dump({ limit: 64 * 1024 }).catch(() => {});
      },
    };
  };
}

export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

/** A transport over any `fetch` (the global one, or e.g. a Hono app's `app.request`). */
export function fetchTransport(fetchImpl: FetchLike): Transport {
  return async (request) => {
    const response = await fetchImpl(request.url, {
      method: request.method,
      headers: request.headers,
      body: request.body ?? null,
      signal: request.signal,
      redirect: "manual",
    });
    const headers: Record<string, string> = {};
    response.headers.forEach((value, name) => {
      headers[name.toLowerCase()] = value;
    });
    const stream = response.body;
    return {
      status: response.status,
      headers,
      body: stream === null ? emptyBody() : iterateWebStream(stream),
      discard: () => {
        stream?.cancel().catch(() => {});
      },
    };
  };
}

async function* emptyBody(): AsyncGenerator<Uint8Array> {}

async function* iterateWebStream(stream: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = stream.getReader();
  let finished = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) {
        finished = true;
        return;
      }
      yield value;
    }
  } finally {
    if (!finished) await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
}

/** The system or undici error code of an error, looking through `cause` and `AggregateError`s. */
export function errorCode(error: unknown, depth = 0): string | undefined {
  if (typeof error !== "object" || error === null || depth > 5) return undefined;
  const record = error as { code?: unknown; cause?: unknown; errors?: unknown };
  if (typeof record.code === "string") return record.code;
  const fromCause = errorCode(record.cause, depth + 1);
  if (fromCause !== undefined) return fromCause;
  if (Array.isArray(record.errors)) {
    for (const inner of record.errors) {
      const code = errorCode(inner, depth + 1);
      if (code !== undefined) return code;
    }
  }
  return undefined;
}
