export interface LatencySummary {
  readonly count: number;
  readonly sumMs: number;
  readonly minMs: number | null;
  readonly maxMs: number | null;
  readonly lastMs: number | null;
  /** Over the most recent samples (up to 256). */
  readonly p50Ms: number | null;
  readonly p95Ms: number | null;
}

/** Count, sum, extremes and recent-sample percentiles of one latency, for `/api/v1/engines`. */
export class LatencyStats {
  #count = 0;
  #sum = 0;
  #min = Number.POSITIVE_INFINITY;
  #max = Number.NEGATIVE_INFINITY;
  #last: number | null = null;
  readonly #recent: number[] = [];
  readonly #keep: number;

  constructor(keep = 256) {
    this.#keep = keep;
  }

  add(ms: number): void {
    this.#count++;
    this.#sum += ms;
    this.#min = Math.min(this.#min, ms);
    this.#max = Math.max(this.#max, ms);
    this.#last = ms;
    this.#recent.push(ms);
    if (this.#recent.length > this.#keep) this.#recent.shift();
  }

  summary(): LatencySummary {
    const sorted = [...this.#recent].sort((a, b) => a - b);
    const at = (q: number) =>
      sorted.length === 0 ? null : round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!);
    return {
      count: this.#count,
      sumMs: round(this.#sum),
      minMs: this.#count ? round(this.#min) : null,
      maxMs: this.#count ? round(this.#max) : null,
      lastMs: this.#last === null ? null : round(this.#last),
      p50Ms: at(0.5),
      p95Ms: at(0.95),
    };
  }
}

const round = (ms: number) => Math.round(ms * 1000) / 1000;
