import { ApiError, type ChatStream, type CompletionStream, type RouseClient } from "@rouse/client";
import { arrivalOffsetsMs } from "./arrivals.ts";
import type { RequestRecord } from "./metrics.ts";
import { randomPrompts } from "./prompts.ts";

// The load generator of `rouse bench load`: open-loop arrivals (Poisson, or gamma
// with burstiness) as `vllm bench serve` sends them, optionally capped at a number
// of requests in flight, or a closed loop of N concurrent clients. Every request is
// one streamed completion; what is kept per request are raw arrival times, so every
// metric in the report can be recomputed from the JSON.

export interface LoadConfig {
  readonly model: string;
  readonly endpoint: "chat" | "completions";
  readonly numPrompts: number;
  readonly inputLen: number;
  readonly outputLen: number;
  /** Requests per second; Infinity sends all at once (then `concurrency` paces them). */
  readonly rate: number;
  readonly burstiness: number;
  /** Most requests in flight; undefined: no cap. */
  readonly concurrency: number | undefined;
  readonly seed: number;
  readonly ignoreEos: boolean;
}

/** One request as measured; times are ms offsets from the benchmark's start. */
export interface RawRequest {
  readonly index: number;
  readonly success: boolean;
  readonly error?: string;
  readonly status?: number;
  /** The request was handed to the HTTP client. */
  readonly sentMs: number;
  readonly headersMs: number | undefined;
  readonly firstTokenMs: number | undefined;
  /** Arrival of every chunk that carried output (usually one token each). */
  readonly tokenMs: readonly number[];
  readonly endMs: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  /** `usage`: counted by the server; `approximate`: words sent / token chunks received. */
  readonly tokenCounts: "usage" | "approximate";
  readonly promptWords: number;
}

export interface LoadRun {
  readonly startedAt: string;
  readonly durationS: number;
  readonly requests: readonly RawRequest[];
}

/** The metrics' view of a raw request (metrics.ts definitions). */
export function recordOf(r: RawRequest): RequestRecord {
  const ttft = r.firstTokenMs === undefined ? 0 : r.firstTokenMs - r.sentMs;
  return {
    success: r.success,
    ...(r.error ? { error: r.error } : {}),
    inputTokens: r.inputTokens,
    outputTokens: r.outputTokens,
    startMs: r.sentMs,
    ttftMs: ttft,
    latencyMs: r.endMs - r.sentMs,
    itlMs: r.tokenMs.slice(1).map((t, i) => t - r.tokenMs[i]!),
  };
}

export interface LoadProgress {
  readonly done: number;
  readonly failed: number;
  readonly inFlight: number;
  readonly total: number;
}

export function requestBody(config: LoadConfig, prompt: string, maxTokens = config.outputLen) {
  const common = {
    model: config.model,
    max_tokens: maxTokens,
    stream: true as const,
    stream_options: { include_usage: true },
    temperature: 0,
    ...(config.ignoreEos ? { ignore_eos: true } : {}),
  };
  return config.endpoint === "chat"
    ? { kind: "chat" as const, body: { ...common, messages: [{ role: "user" as const, content: prompt }] } }
    : { kind: "completions" as const, body: { ...common, prompt } };
}

/** Sends one streamed request and measures it against `t0`. */
export async function measure(
  client: RouseClient,
  config: LoadConfig,
  index: number,
  prompt: { text: string; words: number },
  t0: number,
  signal?: AbortSignal,
): Promise<RawRequest> {
  const sentAt = performance.now();
  const off = (t: number | undefined) => (t === undefined ? undefined : t - t0);
  const req = requestBody(config, prompt.text);
  let stream: ChatStream | CompletionStream | undefined;
  try {
    stream =
      req.kind === "chat"
        ? await client.chat.completions.create(req.body, { retry: false, ...(signal ? { signal } : {}) })
        : await client.completions.create(req.body, { retry: false, ...(signal ? { signal } : {}) });
    for await (const _ of stream) {
      // Reading drives the stream; arrival times are recorded by the client as bytes land.
    }
    const t = stream.timing;
    const usage = stream.usage;
    const end = t.end ?? performance.now();
    const chunks = t.tokenTimes.length;
    const base = {
      index,
      sentMs: t.start - t0,
      headersMs: off(t.headers),
      firstTokenMs: off(t.firstToken),
      tokenMs: t.tokenTimes.map((x) => x - t0),
      endMs: end - t0,
      inputTokens: usage?.prompt_tokens ?? prompt.words,
      outputTokens: usage?.completion_tokens ?? chunks,
      tokenCounts: usage ? ("usage" as const) : ("approximate" as const),
      promptWords: prompt.words,
    };
    if (chunks === 0)
      return { ...base, success: false, error: "the answer carried no tokens", status: stream.status };
    return { ...base, success: true, status: stream.status };
  } catch (error) {
    const timing = stream?.timing;
    return {
      index,
      success: false,
      error: oneLine(error),
      ...(error instanceof ApiError ? { status: error.status } : stream ? { status: stream.status } : {}),
      sentMs: (timing?.start ?? sentAt) - t0,
      headersMs: off(timing?.headers),
      firstTokenMs: off(timing?.firstToken),
      tokenMs: (timing?.tokenTimes ?? []).map((x) => x - t0),
      endMs: performance.now() - t0,
      inputTokens: prompt.words,
      outputTokens: timing?.tokenTimes.length ?? 0,
      tokenCounts: "approximate",
      promptWords: prompt.words,
    };
  }
}

export function oneLine(error: unknown): string {
  return String((error as Error)?.message ?? error)
    .split("\n")[0]!
    .slice(0, 300);
}

export async function runLoad(
  client: RouseClient,
  config: LoadConfig,
  options: { onProgress?: (p: LoadProgress) => void; signal?: AbortSignal } = {},
): Promise<LoadRun> {
  const prompts = randomPrompts(config.numPrompts, config.inputLen, config.seed);
  const offsets = arrivalOffsetsMs(config.numPrompts, config.rate, {
    burstiness: config.burstiness,
    seed: config.seed,
  });
  const results: RawRequest[] = new Array(config.numPrompts);
  let inFlight = 0;
  let done = 0;
  let failed = 0;
  const report = () => options.onProgress?.({ done, failed, inFlight, total: config.numPrompts });
  const waiting: Array<() => void> = [];
  const acquire = async () => {
    if (config.concurrency === undefined) return;
    while (inFlight >= config.concurrency) await new Promise<void>((r) => waiting.push(r));
  };
  const startedAt = new Date().toISOString();
  const t0 = performance.now();
  const tasks: Promise<void>[] = [];
  for (let i = 0; i < config.numPrompts; i++) {
    const wait = offsets[i]! - (performance.now() - t0);
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    if (options.signal?.aborted) break;
    await acquire();
    inFlight++;
    report();
    tasks.push(
      measure(client, config, i, prompts[i]!, t0, options.signal).then((r) => {
        results[i] = r;
        inFlight--;
        done++;
        if (!r.success) failed++;
        waiting.shift()?.();
        report();
      }),
    );
  }
  await Promise.all(tasks);
  const durationS = (performance.now() - t0) / 1000;
  return { startedAt, durationS, requests: results.filter(Boolean) };
}
