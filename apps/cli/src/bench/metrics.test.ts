import { describe, expect, it } from "vitest";
import { arrivalOffsetsMs, seededRandom, gamma } from "./arrivals.ts";
import { computeMetrics, type RequestRecord } from "./metrics.ts";
import { mean, median, percentile, std } from "./stats.ts";

describe("stats follow numpy", () => {
  // Values checked by hand: np.percentile([1,2,3,4,10], [50, 90, 99]) = [3, 7.6, 9.76]
  const xs = [10, 1, 3, 2, 4];
  it("percentile interpolates linearly between ranks", () => {
    expect(percentile(xs, 50)).toBe(3);
    expect(percentile(xs, 90)).toBeCloseTo(7.6, 12);
    expect(percentile(xs, 99)).toBeCloseTo(9.76, 12);
    expect(percentile(xs, 0)).toBe(1);
    expect(percentile(xs, 100)).toBe(10);
    expect(median([1, 2, 3, 4])).toBe(2.5);
  });
  it("mean and population std", () => {
    expect(mean(xs)).toBe(4);
    // sqrt(((10-4)^2+(1-4)^2+(3-4)^2+(2-4)^2+0)/5) = sqrt(50/5)
    expect(std(xs)).toBeCloseTo(Math.sqrt(10), 12);
  });
  it("empty input is 0 rather than NaN; bad percentiles throw", () => {
    expect(percentile([], 50)).toBe(0);
    expect(() => percentile([1], 101)).toThrow(RangeError);
  });
});

describe("serving metrics on a recorded set of timings", () => {
  // Three requests over a 2 s run; hand-computed values below.
  const records: RequestRecord[] = [
    { success: true, inputTokens: 10, outputTokens: 5, startMs: 0, ttftMs: 100, latencyMs: 500, itlMs: [100, 100, 100, 100] },
    { success: true, inputTokens: 20, outputTokens: 3, startMs: 50, ttftMs: 200, latencyMs: 400, itlMs: [50, 150] },
    { success: true, inputTokens: 30, outputTokens: 1, startMs: 90, ttftMs: 300, latencyMs: 300, itlMs: [] },
    { success: false, error: "HTTP 503", inputTokens: 40, outputTokens: 0, startMs: 95, ttftMs: 0, latencyMs: 10, itlMs: [] },
  ];
  const m = computeMetrics(records, 2, { slo: { ttftMs: 250, tpotMs: 100 } });

  it("counts and throughput exclude failed requests", () => {
    expect(m.completed).toBe(3);
    expect(m.failed).toBe(1);
    expect(m.totalInputTokens).toBe(60);
    expect(m.totalOutputTokens).toBe(9);
    expect(m.requestThroughput).toBe(1.5);
    expect(m.outputThroughput).toBe(4.5);
    expect(m.totalTokenThroughput).toBe(34.5);
  });

  it("TTFT, TPOT (only requests with >1 token), ITL (pooled) and E2EL", () => {
    expect(m.ttftMs.mean).toBe(200);
    expect(m.ttftMs.median).toBe(200);
    // TPOTs: (500-100)/4 = 100, (400-200)/2 = 100
    expect(m.tpotMs.mean).toBe(100);
    // ITLs pooled: [100,100,100,100,50,150] → mean 100, median 100, p90 = 125
    expect(m.itlMs.mean).toBe(100);
    expect(m.itlMs.percentiles["90"]).toBeCloseTo(125, 12);
    expect(m.e2elMs.mean).toBe(400);
    expect(m.e2elMs.percentiles["99"]).toBeCloseTo(498, 12);
  });

  it("goodput counts requests meeting every SLO (single-token TPOT is 0)", () => {
    // r1: ttft 100 ok, tpot 100 ok → good; r2: ttft 200 ok, tpot 100 → good; r3: ttft 300 > 250 → bad
    expect(m.goodput).toBe(1);
    expect(computeMetrics(records, 2).goodput).toBeUndefined();
  });

  it("rejects a non-positive duration", () => {
    expect(() => computeMetrics(records, 0)).toThrow(RangeError);
  });
});

describe("arrivals", () => {
  it("are seeded and repeatable, with mean gap ≈ 1/rate", () => {
    const a = arrivalOffsetsMs(4000, 10, { seed: 7 });
    expect(arrivalOffsetsMs(4000, 10, { seed: 7 })).toEqual(a);
    const meanGapMs = a[a.length - 1]! / (a.length - 1);
    expect(meanGapMs).toBeGreaterThan(90);
    expect(meanGapMs).toBeLessThan(110);
  });
  it("infinite rate sends everything at once; bursty traffic has a larger spread", () => {
    expect(arrivalOffsetsMs(3, Number.POSITIVE_INFINITY)).toEqual([0, 0, 0]);
    const gaps = (xs: number[]) => xs.slice(1).map((x, i) => x - xs[i]!);
    const cv = (xs: number[]) => std(xs) / mean(xs);
    const poisson = cv(gaps(arrivalOffsetsMs(3000, 10, { seed: 1 })));
    const bursty = cv(gaps(arrivalOffsetsMs(3000, 10, { seed: 1, burstiness: 0.25 })));
    expect(poisson).toBeGreaterThan(0.85);
    expect(poisson).toBeLessThan(1.15);
    expect(bursty).toBeGreaterThan(1.5);
  });
  it("gamma samples have the right mean", () => {
    const r = seededRandom(3);
    const xs = Array.from({ length: 20000 }, () => gamma(2.5, r));
    expect(mean(xs)).toBeGreaterThan(2.4);
    expect(mean(xs)).toBeLessThan(2.6);
  });
});
