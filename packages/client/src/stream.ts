/**
 * A streamed answer: an async iterable of typed chunks that is read from the
 * socket as soon as the bytes arrive (so chunk timings are arrival times, not
 * consumption times), with helpers for the text and the whole answer.
 */
import {
  type Accumulator,
  chatChunkHasToken,
  completionChunkHasToken,
  createChatAccumulator,
  createCompletionAccumulator,
} from "./accumulate.ts";
import { AbortError, engineError, StreamError, RouseClientError, TimeoutError } from "./errors.ts";
import type { Exchange } from "./exchange.ts";
import { createSseParser, type SseEvent } from "./sse.ts";
import type { RequestTiming } from "./timing.ts";
import type { ChatCompletion, ChatCompletionChunk, ChatCompletionMessage } from "./types/chat.ts";
import type { CompletionUsage } from "./types/common.ts";
import type { Completion } from "./types/completions.ts";

export interface StreamSpec<TChunk, TFinal> {
  accumulator(): Accumulator<TChunk, TFinal>;
  /** Whether the chunk carries generated output (counts for `firstToken`/`tokenTimes`). */
  hasToken(chunk: TChunk): boolean;
  /** The text delta of the first choice, if any. */
  text(chunk: TChunk): string | undefined;
  finalText(final: TFinal | undefined): string;
}

/** How long to keep reading after `[DONE]` so the connection can go back to the pool. */
const DRAIN_GRACE_MS = 1000;

type State = "open" | "done" | "failed" | "cancelled";

export class RouseStream<TChunk extends { usage?: CompletionUsage | null }, TFinal>
  implements AsyncIterable<TChunk>
{
  /** Arrival times; `end` is set when the stream finishes. */
  readonly timing: RequestTiming;
  readonly requestId: string | undefined;
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;

  readonly #exchange: Exchange;
  readonly #spec: StreamSpec<TChunk, TFinal>;
  readonly #accumulator: Accumulator<TChunk, TFinal>;
  readonly #queue: TChunk[] = [];
  readonly #settled: Promise<void>;
  #resolveSettled: () => void = () => {};
  #wake: (() => void) | undefined;
  #state: State = "open";
  #error: RouseClientError | undefined;
  #usage: CompletionUsage | undefined;
  #iterated = false;

  constructor(exchange: Exchange, spec: StreamSpec<TChunk, TFinal>) {
    this.#exchange = exchange;
    this.#spec = spec;
    this.#accumulator = spec.accumulator();
    this.timing = exchange.timing;
    this.requestId = exchange.requestId;
    this.status = exchange.status;
    this.headers = exchange.headers;
    this.#settled = new Promise((resolve) => {
      this.#resolveSettled = resolve;
    });
    void this.#pump();
  }

  /** The latest `usage` seen (the final usage chunk with `stream_options.include_usage`). */
  get usage(): CompletionUsage | undefined {
    return this.#usage;
  }

  /** Chunks as they arrive. A stream can be iterated once; leaving the loop early closes the connection. */
  [Symbol.asyncIterator](): AsyncIterator<TChunk> {
    if (this.#iterated) {
      throw new RouseClientError("This stream is already being iterated; a stream can be read once.", {
        hint: "Use finalText()/finalCompletion() for a second look at the answer.",
      });
    }
    this.#iterated = true;
    return {
      next: async () => {
        for (;;) {
          // Like a fetch body: once the caller aborts, reading stops, even if chunks were already buffered.
          const signal = this.#exchange.signal;
          if (signal?.aborted && this.#state !== "failed") {
            this.cancel();
            this.#queue.length = 0;
            throw new AbortError("The request was aborted", {
              cause: signal.reason,
              url: this.#exchange.url,
            });
          }
          if (this.#queue.length > 0) return { value: this.#queue.shift()!, done: false };
          if (this.#state === "failed") throw this.#error;
          if (this.#state !== "open") return { value: undefined, done: true };
          await new Promise<void>((resolve) => {
            this.#wake = resolve;
          });
        }
      },
      return: async () => {
        this.cancel();
        return { value: undefined, done: true };
      },
    };
  }

  /** The text deltas of the first choice. */
  async *textStream(): AsyncGenerator<string, void, undefined> {
    for await (const chunk of this) {
      const text = this.#spec.text(chunk);
      if (text) yield text;
    }
  }

  /** Wait for the end; the whole text of the first choice. Works whether or not the stream is iterated. */
  async finalText(): Promise<string> {
    return this.#spec.finalText(await this.finalCompletion());
  }

  /** Wait for the end; the answer as the non-streamed request would have returned it. */
  async finalCompletion(): Promise<TFinal> {
    await this.#settled;
    if (this.#error !== undefined) throw this.#error;
    const result = this.#accumulator.result();
    if (result === undefined)
      throw new StreamError("The stream ended without any chunk", { url: this.#exchange.url });
    return result;
  }

  /** Stop reading and close the connection. Pending `finalText()` calls reject with an `AbortError`. */
  cancel(): void {
    if (this.#state !== "open") return;
    const error = new AbortError("The stream was cancelled", { url: this.#exchange.url });
    this.#settle("cancelled", error);
    this.#exchange.cancel(error);
  }

  async #pump(): Promise<void> {
    const parser = createSseParser();
    let drainTimer: ReturnType<typeof setTimeout> | undefined;
    try {
      for await (const { bytes, at } of this.#exchange.body) {
        if (this.#state === "open") {
          for (const event of parser.push(bytes)) {
            this.#onEvent(event, at);
            if (this.#state !== "open") break;
          }
        }
        if (this.#state === "failed" || this.#state === "cancelled") break;
        if (this.#state === "done" && drainTimer === undefined) {
          drainTimer = setTimeout(() => this.#exchange.cancel(new AbortError("drained")), DRAIN_GRACE_MS);
          drainTimer.unref();
        }
      }
      if (this.#state === "open") {
        const now = performance.now();
        for (const event of parser.end()) {
          if (this.#state === "open") this.#onEvent(event, now);
        }
        // Ended without `[DONE]`: accept it (some servers omit it); a cut connection fails above instead.
        if (this.#state === "open") this.#settle("done");
      }
    } catch (error) {
      if (this.#state === "open") this.#fail(asStreamFailure(error, this.#exchange.url));
    } finally {
      if (drainTimer !== undefined) clearTimeout(drainTimer);
    }
  }

  #onEvent(event: SseEvent, at: number): void {
    if (event.event === "error") {
      this.#fail(streamErrorFrom(event.data, this.#exchange.url));
      return;
    }
    if (event.event !== "message" || event.data === "") return;
    if (event.data === "[DONE]") {
      this.#settle("done", undefined, at);
      return;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(event.data);
    } catch (cause) {
      this.#fail(
        new StreamError(
          `Malformed chunk in the stream from ${this.#exchange.url}: ${event.data.slice(0, 200)}`,
          {
            cause,
            data: event.data,
            url: this.#exchange.url,
          },
        ),
      );
      return;
    }
    if (isErrorPayload(parsed)) {
      this.#fail(streamErrorFrom(event.data, this.#exchange.url, parsed));
      return;
    }
    const chunk = parsed as TChunk;
    if (this.#spec.hasToken(chunk)) {
      this.timing.firstToken ??= at;
      this.timing.tokenTimes.push(at);
    }
    if (chunk.usage) this.#usage = chunk.usage;
    this.#accumulator.add(chunk);
    this.#queue.push(chunk);
    this.#wake?.();
  }

  #fail(error: RouseClientError): void {
    this.#settle("failed", error);
    this.#exchange.cancel(error);
  }

  #settle(state: Exclude<State, "open">, error?: RouseClientError, at: number = performance.now()): void {
    this.#state = state;
    this.#error = error;
    this.timing.end = at;
    this.#resolveSettled();
    this.#wake?.();
  }
}

export class ChatStream extends RouseStream<ChatCompletionChunk, ChatCompletion> {
  /** Wait for the end; the assistant message of the first choice (content, reasoning, tool calls). */
  async finalMessage(): Promise<ChatCompletionMessage> {
    const completion = await this.finalCompletion();
    return completion.choices[0]?.message ?? { role: "assistant", content: null };
  }
}

export class CompletionStream extends RouseStream<Completion, Completion> {}

export const chatStreamSpec: StreamSpec<ChatCompletionChunk, ChatCompletion> = {
  accumulator: createChatAccumulator,
  hasToken: chatChunkHasToken,
  text: (chunk) => chunk.choices?.find((c) => c.index === 0)?.delta?.content ?? undefined,
  finalText: (final) => final?.choices.find((c) => c.index === 0)?.message.content ?? "",
};

export const completionStreamSpec: StreamSpec<Completion, Completion> = {
  accumulator: createCompletionAccumulator,
  hasToken: completionChunkHasToken,
  text: (chunk) => chunk.choices?.find((c) => c.index === 0)?.text,
  finalText: (final) => final?.choices.find((c) => c.index === 0)?.text ?? "",
};

function isErrorPayload(value: unknown): boolean {
  if (typeof value !== "object" || value === null) return false;
  const record = value as Record<string, unknown>;
  if (record.object === "error") return true;
  return record.error !== undefined && record.error !== null && record.choices === undefined;
}

function streamErrorFrom(data: string, url: string, parsed?: unknown): StreamError {
  let body = parsed;
  if (body === undefined) {
    try {
      body = JSON.parse(data);
    } catch {
      body = data;
    }
  }
  const engine = engineError(body);
  const message = engine?.message ?? (typeof body === "string" && body !== "" ? body : "unknown error");
  return new StreamError(`The engine reported an error mid-stream: ${message}`, {
    error: typeof body === "string" ? { message: body } : body,
    data,
    url,
    hint: "The stream had already begun, so it was not retried: output may be partial.",
  });
}

function asStreamFailure(error: unknown, url: string): RouseClientError {
  if (error instanceof AbortError || error instanceof TimeoutError || error instanceof StreamError)
    return error;
  const message = error instanceof Error ? error.message : String(error);
  return new StreamError(`The stream from ${url} broke: ${message}`, {
    cause: error,
    url,
    hint: "The connection failed after the stream had begun, so it was not retried: output may be partial.",
  });
}
