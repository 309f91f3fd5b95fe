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
  RedirectError,
  RouseClientError,
  StreamError,
  TimeoutError,
  type TimeoutPhase,
} from "./errors.ts";
export type { Timeouts } from "./exchange.ts";
export type {
  HealthOptions,
  HealthResult,
  ReadyProgress,
  ReadyResult,
  WaitUntilReadyOptions,
} from "./ready.ts";
export type { RetryInfo, RetryOptions, RetryReason } from "./retry.ts";
// The event-stream parser, for servers that proxy streams (README: "SSE parser").
export {
  createSseParser,
  createSseTransform,
  parseSse,
  type SseEvent,
  type SseParser,
  type SseParserOptions,
} from "./sse.ts";
export { encodeSseEvent } from "./sse-encode.ts";
export type { ChatStream, CompletionStream } from "./stream.ts";
export type { RequestTiming, ResponseMeta, WithMeta } from "./timing.ts";
export type { FetchLike, PoolOptions } from "./transport.ts";
export type * from "./types/index.ts";
