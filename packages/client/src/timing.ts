/**
 * When things happened during one call, as `performance.now()` values (ms).
 * Subtract `start` for durations: `timing.firstToken - timing.start` is TTFT.
 */
export interface RequestTiming {
  /** The call began (before any retry or redirect). */
  start: number;
  /** Response headers of the final hop arrived. */
  headers: number | undefined;
  /** The first body byte of the final response arrived. */
  firstByte: number | undefined;
  /** Streams: the first chunk carrying generated text, reasoning or a tool call arrived. */
  firstToken: number | undefined;
  /** Streams: the arrival time of every chunk carrying generated output (a chunk is usually one token). */
  tokenTimes: number[];
  /** The response was complete (or failed). */
  end: number | undefined;
  /** Attempts made (1 = not retried). */
  attempts: number;
  /** Redirects followed. */
  redirects: number;
}

export function createTiming(): RequestTiming {
  return {
    start: performance.now(),
    headers: undefined,
    firstByte: undefined,
    firstToken: undefined,
    tokenTimes: [],
    end: undefined,
    attempts: 0,
    redirects: 0,
  };
}

/** What non-stream responses carry besides their JSON (non-enumerable, so they stay out of `JSON.stringify`). */
export interface ResponseMeta {
  readonly timing: RequestTiming;
  readonly requestId: string | undefined;
}

export type WithMeta<T> = T & ResponseMeta;

export function attachMeta<T extends object>(value: T, meta: ResponseMeta): WithMeta<T> {
  Object.defineProperty(value, "timing", { value: meta.timing, enumerable: false });
  Object.defineProperty(value, "requestId", { value: meta.requestId, enumerable: false });
  return value as WithMeta<T>;
}
