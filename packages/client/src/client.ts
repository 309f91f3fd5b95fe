import type { Dispatcher } from "undici";
import { type BaseUrls, normalizeBaseURL, resolveRootPath } from "./base-url.ts";
import { ApiError, RouseClientError } from "./errors.ts";
import {
  DEFAULT_MAX_REDIRECTS,
  DEFAULT_TIMEOUTS,
  type Exchange,
  parseMaybeJson,
  type ResolvedTimeouts,
  readText,
  type SendContext,
  send,
  type Timeouts,
} from "./exchange.ts";
import {
  type HealthOptions,
  type HealthResult,
  type ReadyResult,
  type WaitUntilReadyOptions,
  waitUntilReady,
} from "./ready.ts";
import { type ResolvedRetry, type RetryOptions, resolveRetry } from "./retry.ts";
import { ChatStream, CompletionStream, chatStreamSpec, completionStreamSpec } from "./stream.ts";
import { attachMeta, type WithMeta } from "./timing.ts";
import {
  createPool,
  type FetchLike,
  fetchTransport,
  type PoolOptions,
  type Transport,
  undiciTransport,
} from "./transport.ts";
import type {
  ChatCompletion,
  ChatCompletionCreateParams,
  ChatCompletionCreateParamsNonStreaming,
  ChatCompletionCreateParamsStreaming,
} from "./types/chat.ts";
import type {
  Completion,
  CompletionCreateParams,
  CompletionCreateParamsNonStreaming,
  CompletionCreateParamsStreaming,
} from "./types/completions.ts";
import type { CreateEmbeddingResponse, EmbeddingCreateParams } from "./types/embeddings.ts";
import type { ModelList } from "./types/models.ts";

export const CLIENT_VERSION = "0.1.0";

export interface ClientOptions {
  /** The server: `https://x`, `https://x/` and `https://x/v1` all work. */
  baseURL: string;
  /** Sent as `Authorization: Bearer <apiKey>`. */
  apiKey?: string | undefined;
  /** Modal proxy-auth tokens, sent as `Modal-Key` / `Modal-Secret`. */
  modalProxyAuth?: { key: string; secret: string } | undefined;
  /** Extra headers on every request. */
  headers?: Record<string, string>;
  /** The keep-alive pool the client creates (ignored when `dispatcher` or `fetch` is given). */
  pool?: PoolOptions;
  timeouts?: Timeouts;
  /** Retry policy; `false` turns retries off. */
  retry?: RetryOptions | false;
  /** Redirects followed per request (Modal's 303 result URLs count). Default 20. */
  maxRedirects?: number;
  /** Use this undici dispatcher (Agent, Pool, MockAgent…) instead of a pool of the client's own. Not closed by `close()`. */
  dispatcher?: Dispatcher;
  /** Use this `fetch` instead of undici (e.g. a Hono app's `app.request` in tests). Connect timeouts then count as first-byte ones. */
  fetch?: FetchLike;
}

export interface RequestOptions {
  signal?: AbortSignal;
  /** Per-request first-byte and idle timeouts (the connect timeout is the pool's). */
  timeouts?: Omit<Timeouts, "connectMs">;
  retry?: RetryOptions | false;
  maxRedirects?: number;
  headers?: Record<string, string>;
  /** Fields merged into the JSON body, for engine parameters the types do not know. */
  extraBody?: Record<string, unknown>;
}

export interface ChatCompletions {
  create(body: ChatCompletionCreateParamsStreaming, options?: RequestOptions): Promise<ChatStream>;
  create(
    body: ChatCompletionCreateParamsNonStreaming,
    options?: RequestOptions,
  ): Promise<WithMeta<ChatCompletion>>;
  create(
    body: ChatCompletionCreateParams,
    options?: RequestOptions,
  ): Promise<ChatStream | WithMeta<ChatCompletion>>;
}

export interface Completions {
  create(body: CompletionCreateParamsStreaming, options?: RequestOptions): Promise<CompletionStream>;
  create(body: CompletionCreateParamsNonStreaming, options?: RequestOptions): Promise<WithMeta<Completion>>;
  create(
    body: CompletionCreateParams,
    options?: RequestOptions,
  ): Promise<CompletionStream | WithMeta<Completion>>;
}

export interface RouseClient {
  /** The normalised API base, ending in `/v1`. */
  readonly baseURL: string;
  /** The server root, where `/health` lives. */
  readonly rootURL: string;
  readonly chat: { readonly completions: ChatCompletions };
  readonly completions: Completions;
  readonly models: { list(options?: RequestOptions): Promise<WithMeta<ModelList>> };
  readonly embeddings: {
    create(body: EmbeddingCreateParams, options?: RequestOptions): Promise<WithMeta<CreateEmbeddingResponse>>;
  };
  /** One probe of `/health` (no retries; redirects followed). Never throws for HTTP or network failures. */
  health(options?: HealthOptions): Promise<HealthResult>;
  /** Probe `/health` until it answers 2xx or the deadline passes (then a `TimeoutError` with phase `deadline`). */
  waitUntilReady(options?: WaitUntilReadyOptions): Promise<ReadyResult>;
  /** Close the client's own pool (not an injected dispatcher). */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * An OpenAI-compatible client for vLLM/SGLang engines and rouse deployments.
 *
 * @example
 * const client = createClient({ baseURL: "https://you--qwen.modal.run", apiKey: process.env.ROUSE_API_KEY });
 * const reply = await client.chat.completions.create({ model: "qwen", messages: [{ role: "user", content: "Hi" }] });
 */
export function createClient(options: ClientOptions): RouseClient {
  const urls: BaseUrls = normalizeBaseURL(options.baseURL);
  const timeouts: ResolvedTimeouts = { ...DEFAULT_TIMEOUTS, ...defined(options.timeouts) };
  const retry = resolveRetry(options.retry);
  const maxRedirects = options.maxRedirects ?? DEFAULT_MAX_REDIRECTS;
  const ownPool =
    options.fetch === undefined && options.dispatcher === undefined
      ? createPool(options.pool ?? {}, timeouts.connectMs)
      : undefined;
  const transport: Transport =
    options.fetch !== undefined
      ? fetchTransport(options.fetch)
      : undiciTransport(options.dispatcher ?? (ownPool as Dispatcher));

  const baseHeaders: Record<string, string> = { "user-agent": `rouse-client/${CLIENT_VERSION}` };
  if (options.apiKey) baseHeaders.authorization = `Bearer ${options.apiKey}`;
  if (options.modalProxyAuth) {
    baseHeaders["modal-key"] = options.modalProxyAuth.key;
    baseHeaders["modal-secret"] = options.modalProxyAuth.secret;
  }
  Object.assign(baseHeaders, lowerKeys(options.headers));

  function context(request: RequestOptions | undefined, overrides?: Partial<ResolvedTimeouts>): SendContext {
    return {
      transport,
      baseURL: urls.api,
      timeouts: { ...timeouts, ...defined(request?.timeouts), ...defined(overrides) },
      retry:
        request?.retry === undefined ? retry : (resolveRetry(options.retry, request.retry) as ResolvedRetry),
      maxRedirects: request?.maxRedirects ?? maxRedirects,
      signal: request?.signal,
    };
  }

  function headersFor(
    accept: string,
    request: RequestOptions | undefined,
    json: boolean,
  ): Record<string, string> {
    return {
      ...baseHeaders,
      accept,
      ...(json ? { "content-type": "application/json" } : {}),
      ...lowerKeys(request?.headers),
    };
  }

  async function postJson<T extends object>(
    path: string,
    body: object,
    request?: RequestOptions,
  ): Promise<WithMeta<T>> {
    const exchange = await send(
      {
        method: "POST",
        url: `${urls.api}${path}`,
        headers: headersFor("application/json", request, true),
        body: JSON.stringify({ ...body, ...request?.extraBody }),
      },
      context(request),
    );
    return readJson<T>(exchange);
  }

  async function getJson<T extends object>(path: string, request?: RequestOptions): Promise<WithMeta<T>> {
    const exchange = await send(
      {
        method: "GET",
        url: `${urls.api}${path}`,
        headers: headersFor("application/json", request, false),
        body: undefined,
      },
      context(request),
    );
    return readJson<T>(exchange);
  }

  async function postStream(path: string, body: object, request?: RequestOptions): Promise<Exchange> {
    const exchange = await send(
      {
        method: "POST",
        url: `${urls.api}${path}`,
        headers: headersFor("text/event-stream", request, true),
        body: JSON.stringify({ ...body, ...request?.extraBody }),
      },
      context(request),
    );
    const type = exchange.headers["content-type"] ?? "";
    if (type.includes("application/json")) {
      // Some servers answer a streamed request with one JSON body (usually an error).
      const text = await readText(exchange.body);
      const parsed = parseMaybeJson(text);
      throw new ApiError(`Expected an event stream from ${exchange.url}, got JSON: ${text.slice(0, 300)}`, {
        status: exchange.status,
        body: parsed,
        headers: exchange.headers,
        requestId: exchange.requestId,
        url: exchange.url,
        attempts: exchange.timing.attempts,
        hint: "The server does not stream this request: is it OpenAI-compatible, and does it support stream: true?",
      });
    }
    return exchange;
  }

  const chatCompletions = {
    async create(body: ChatCompletionCreateParams, request?: RequestOptions) {
      if (body.stream)
        return new ChatStream(await postStream("/chat/completions", body, request), chatStreamSpec);
      return postJson<ChatCompletion>("/chat/completions", body, request);
    },
  } as ChatCompletions;

  const completions = {
    async create(body: CompletionCreateParams, request?: RequestOptions) {
      if (body.stream)
        return new CompletionStream(await postStream("/completions", body, request), completionStreamSpec);
      return postJson<Completion>("/completions", body, request);
    },
  } as Completions;

  async function health(healthOptions: HealthOptions = {}): Promise<HealthResult> {
    const start = performance.now();
    const url = resolveRootPath(urls, healthOptions.path ?? "/health");
    try {
      const exchange = await send(
        { method: "GET", url, headers: headersFor("*/*", undefined, false), body: undefined },
        {
          ...context(
            { ...(healthOptions.signal ? { signal: healthOptions.signal } : {}), retry: false },
            healthOptions.timeoutMs === undefined ? undefined : { firstByteMs: healthOptions.timeoutMs },
          ),
        },
      );
      const body = await readText(exchange.body, 64 * 1024);
      return { ok: true, status: exchange.status, elapsedMs: performance.now() - start, body };
    } catch (error) {
      if (!(error instanceof RouseClientError)) throw error;
      return {
        ok: false,
        status: error instanceof ApiError ? error.status : undefined,
        elapsedMs: performance.now() - start,
        error,
      };
    }
  }

  const close = async () => {
    await ownPool?.close();
  };

  return {
    baseURL: urls.api,
    rootURL: urls.root,
    chat: { completions: chatCompletions },
    completions,
    models: { list: (request) => getJson<ModelList>("/models", request) },
    embeddings: {
      create: (body, request) => postJson<CreateEmbeddingResponse>("/embeddings", body, request),
    },
    health,
    waitUntilReady: (readyOptions = {}) => waitUntilReady(health, readyOptions, urls.root),
    close,
    [Symbol.asyncDispose]: close,
  };
}

async function readJson<T extends object>(exchange: Exchange): Promise<WithMeta<T>> {
  const text = await readText(exchange.body);
  exchange.timing.end = performance.now();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new ApiError(
      `The ${exchange.status} answer from ${exchange.url} is not JSON: ${text.slice(0, 200)}`,
      {
        cause,
        status: exchange.status,
        body: text,
        headers: exchange.headers,
        requestId: exchange.requestId,
        url: exchange.url,
        attempts: exchange.timing.attempts,
        hint: "Is baseURL pointing at an OpenAI-compatible server (vLLM, SGLang, the rouse gateway)?",
      },
    );
  }
  if (typeof parsed !== "object" || parsed === null) {
    throw new ApiError(`The answer from ${exchange.url} is not a JSON object`, {
      status: exchange.status,
      body: parsed,
      headers: exchange.headers,
      requestId: exchange.requestId,
      url: exchange.url,
    });
  }
  return attachMeta(parsed as T, { timing: exchange.timing, requestId: exchange.requestId });
}

function lowerKeys(headers: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) out[name.toLowerCase()] = value;
  return out;
}

function defined<T extends object>(value: T | undefined): Partial<T> {
  if (value === undefined) return {};
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
