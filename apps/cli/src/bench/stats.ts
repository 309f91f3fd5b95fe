// Summary statistics with numpy's conventions, so rouse's numbers line up with
// `vllm bench serve` (np.mean, np.median, np.std, np.percentile with linear
// interpolation).

export function mean(xs: readonly number[]): number {
  if (xs.length === 0) return 0;
  let sum = 0;
  for (const x of xs) sum += x;
  return sum / xs.length;
}

/** Population standard deviation (numpy's default ddof=0). */
export function std(xs: readonly number[]): number {
  if (xs.length === 0) return 0;
  const m = mean(xs);
  let acc = 0;
  for (const x of xs) acc += (x - m) ** 2;
  return Math.sqrt(acc / xs.length);
}

/** The p-th percentile (0–100) with linear interpolation between closest ranks (numpy's default). */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return 0;
  if (p < 0 || p > 100) throw new RangeError(`percentile must be in [0, 100], got ${p}`);
  const sorted = [...xs].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (rank - lo);
}

export const median = (xs: readonly number[]): number => percentile(xs, 50);

export interface Distribution {
  readonly mean: number;
  readonly median: number;
  readonly std: number;
  /** Keyed by percentile, e.g. `{ "90": …, "99": … }`. */
  readonly percentiles: Readonly<Record<string, number>>;
}

export function distribution(xs: readonly number[], ps: readonly number[] = [90, 99]): Distribution {
  return {
    mean: mean(xs),
    median: median(xs),
    std: std(xs),
    percentiles: Object.fromEntries(ps.map((p) => [String(p), percentile(xs, p)])),
  };
}
