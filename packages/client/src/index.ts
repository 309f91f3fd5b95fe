export {
  type ChatCompletions,
  type ClientOptions,
  type Completions,
  createClient,
  type RequestOptions,
  type RouseClient,
} from "./client.ts";
export {
  AbortError,
  ApiError,
  ConnectionError,
  engineError,
  RedirectError,
  StreamError,
  RouseClientError,
  TimeoutError,
  type TimeoutPhase,
} from "./errors.ts";
export { DEFAULT_MAX_REDIRECTS, DEFAULT_TIMEOUTS, type Timeouts } from "./exchange.ts";
export type {
  HealthOptions,
  HealthResult,
  ReadyProgress,
  ReadyResult,
  WaitUntilReadyOptions,
} from "./ready.ts";
export {
  backoffDelay,
  DEFAULT_RETRY,
  isLoadingAnswer,
  parseRetryAfter,
  type RetryInfo,
  type RetryOptions,
  type RetryReason,
} from "./retry.ts";
export {
  createSseParser,
  createSseTransform,
  parseSse,
  type SseEvent,
  type SseParser,
  type SseParserOptions,
} from "./sse.ts";
export { encodeSseComment, encodeSseEvent } from "./sse-encode.ts";
export { ChatStream, CompletionStream, RouseStream } from "./stream.ts";
export type { RequestTiming, ResponseMeta, WithMeta } from "./timing.ts";
export type { FetchLike, PoolOptions } from "./transport.ts";
export type * from "./types/index.ts";
export { normalizeBaseURL } from "./base-url.ts";
