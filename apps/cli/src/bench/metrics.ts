import { type Distribution, distribution } from "./stats.ts";

// Serving metrics with the definitions of `vllm bench serve`
// (vllm/benchmarks/serve.py, calculate_metrics):
//   TTFT  time from sending the request to the first token
//   TPOT  (latency − TTFT) / (output tokens − 1), per request with > 1 output token
//   ITL   every gap between consecutive token-carrying chunks, pooled over requests
//   E2EL  time from sending the request to the last byte
//   throughput = totals / benchmark duration; goodput = requests meeting every SLO / duration

/** What the load generator records for one request; times in milliseconds. */
export interface RequestRecord {
  readonly success: boolean;
  readonly error?: string;
  readonly inputTokens: number;
  readonly outputTokens: number;
  /** Offset of the request's start from the benchmark's start. */
  readonly startMs: number;
  readonly ttftMs: number;
  readonly latencyMs: number;
  /** Gaps between consecutive token chunks after the first. */
  readonly itlMs: readonly number[];
}

/** Service-level objectives for goodput, in milliseconds (vLLM's --goodput ttft:… tpot:… e2el:…). */
export interface Slo {
  readonly ttftMs?: number;
  readonly tpotMs?: number;
  readonly e2elMs?: number;
}

export interface ServingMetrics {
  readonly completed: number;
  readonly failed: number;
  readonly durationS: number;
  readonly totalInputTokens: number;
  readonly totalOutputTokens: number;
  readonly requestThroughput: number;
  readonly outputThroughput: number;
  readonly totalTokenThroughput: number;
  /** Requests per second that met every SLO; undefined without SLOs. */
  readonly goodput: number | undefined;
  readonly ttftMs: Distribution;
  readonly tpotMs: Distribution;
  readonly itlMs: Distribution;
  readonly e2elMs: Distribution;
}

export function tpotOf(r: RequestRecord): number | undefined {
  return r.outputTokens > 1 ? (r.latencyMs - r.ttftMs) / (r.outputTokens - 1) : undefined;
}

function meetsSlo(r: RequestRecord, slo: Slo): boolean {
  if (slo.ttftMs !== undefined && r.ttftMs > slo.ttftMs) return false;
  if (slo.e2elMs !== undefined && r.latencyMs > slo.e2elMs) return false;
  if (slo.tpotMs !== undefined) {
    // vLLM counts a single-token request's TPOT as 0.
    const tpot = tpotOf(r) ?? 0;
    if (tpot > slo.tpotMs) return false;
  }
  return true;
}

export function computeMetrics(
  records: readonly RequestRecord[],
  durationS: number,
  options: { slo?: Slo; percentiles?: readonly number[] } = {},
): ServingMetrics {
  if (!(durationS > 0)) throw new RangeError("benchmark duration must be positive");
  const ok = records.filter((r) => r.success);
  const ps = options.percentiles ?? [90, 99];
  const totalInputTokens = ok.reduce((s, r) => s + r.inputTokens, 0);
  const totalOutputTokens = ok.reduce((s, r) => s + r.outputTokens, 0);
  const tpots = ok.map(tpotOf).filter((t): t is number => t !== undefined);
  const slo = options.slo;
  const hasSlo = slo && (slo.ttftMs !== undefined || slo.tpotMs !== undefined || slo.e2elMs !== undefined);
  return {
    completed: ok.length,
    failed: records.length - ok.length,
    durationS,
    totalInputTokens,
    totalOutputTokens,
    requestThroughput: ok.length / durationS,
    outputThroughput: totalOutputTokens / durationS,
    totalTokenThroughput: (totalInputTokens + totalOutputTokens) / durationS,
    goodput: hasSlo ? ok.filter((r) => meetsSlo(r, slo)).length / durationS : undefined,
    ttftMs: distribution(
      ok.map((r) => r.ttftMs),
      ps,
    ),
    tpotMs: distribution(tpots, ps),
    itlMs: distribution(
      ok.flatMap((r) => r.itlMs),
      ps,
    ),
    e2elMs: distribution(
      ok.map((r) => r.latencyMs),
      ps,
    ),
  };
}
