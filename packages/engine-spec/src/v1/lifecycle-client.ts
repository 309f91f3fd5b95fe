/** A running process the lifecycle client watches, so waits fail fast when it dies (a Node ChildProcess fits). */
export interface WatchedProcessV1 {
  readonly exitCode: number | null;
  readonly signalCode?: NodeJS.Signals | string | null;
}

/** A Prometheus histogram: cumulative bucket counts by upper bound. */
export interface HistogramV1 {
  readonly buckets: ReadonlyArray<{ readonly le: number; readonly count: number }>;
  readonly sum: number;
  readonly count: number;
}

/** The engine's `/metrics`, reduced to numbers every engine reports (undefined when absent). */
export interface EngineMetricsV1 {
  readonly runningRequests: number | undefined;
  readonly waitingRequests: number | undefined;
  /** Fraction of KV cache in use, 0–1. */
  readonly kvCacheUsage: number | undefined;
  readonly timeToFirstToken: HistogramV1 | undefined;
  /** Every sample, by `name{labels}`. */
  readonly samples: Readonly<Record<string, number>>;
}

export interface LifecycleClientOptionsV1 {
  /** e.g. `http://127.0.0.1:8000` */
  readonly baseUrl: string;
  readonly apiKey?: string;
  /** Per-call timeout; each method also takes its own. */
  readonly timeoutMs?: number;
  /** Injected for tests; defaults to undici's fetch. */
  readonly fetch?: typeof globalThis.fetch;
}

/** Drives one engine process over HTTP. Every error names the engine, the endpoint and what came back. */
export interface EngineLifecycleClientV1 {
  readonly engine: string;
  /** Resolves when ready; rejects at the deadline, or at once when `process` exits. */
  waitReady(options: { timeoutMs: number; process?: WatchedProcessV1; intervalMs?: number; signal?: AbortSignal }): Promise<void>;
  /** Sends the plugin's warmup request `count` times (default: the plugin's count). */
  warmup(options?: { count?: number }): Promise<void>;
  /** Puts the engine to sleep and waits until it confirms. Rejects with an EngineUnsupportedError without sleep mode. */
  sleep(options?: { level?: 1 | 2; timeoutMs?: number }): Promise<void>;
  wakeUp(options?: { timeoutMs?: number }): Promise<void>;
  isSleeping(): Promise<boolean>;
  health(): Promise<boolean>;
  metrics(): Promise<EngineMetricsV1>;
}
